"""Helpers for API tests: a test client that sends a bearer token and JSON."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from django.test import Client

from pillars.core import tokens

API = "/api/v1"


def token_for(user: Any, scopes: Iterable[str] = ("read", "write"), days: int = 30) -> str:
    """A fresh personal access token's secret for a user (made through the token service)."""
    _token, secret = tokens.create_token(user, "test token", list(scopes), days)
    return secret


class ApiClient:
    """Sends JSON with ``Authorization: Bearer`` and no session cookie."""

    def __init__(self, secret: str | None = None) -> None:
        self.client = Client()
        self.secret = secret

    def _headers(self, extra: dict[str, str] | None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.secret}"} if self.secret else {}
        headers.update(extra or {})
        return headers

    def get(self, path: str, params: dict[str, Any] | None = None, **headers: str) -> Any:
        return self.client.get(API + path, params or {}, headers=self._headers(headers))

    def post(self, path: str, body: Any = None, *, headers: dict[str, str] | None = None) -> Any:
        return self.client.post(
            API + path,
            json.dumps(body if body is not None else {}),
            content_type="application/json",
            headers=self._headers(headers),
        )

    def patch(self, path: str, body: Any = None, *, headers: dict[str, str] | None = None) -> Any:
        return self.client.patch(
            API + path,
            json.dumps(body if body is not None else {}),
            content_type="application/json",
            headers=self._headers(headers),
        )


def api_as(user: Any, scopes: Iterable[str] = ("read", "write")) -> ApiClient:
    return ApiClient(token_for(user, scopes))


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    """The response is an RFC 9457 problem with this status; returns its body."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/problem+json"), response["Content-Type"]
    body = response.json()
    assert body["status"] == status
    assert body["title"]
    return body
