"""Request bodies over the limit are refused with a 413 that names the limit."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client


@pytest.fixture
def small_limit(settings: Any) -> int:
    settings.PILLARS_MAX_BODY_BYTES = 1024
    return 1024


def test_a_page_post_over_the_limit_is_refused_naming_it(db: Any, small_limit: int) -> None:
    response = Client().post("/account/sign-in/", {"username": "x", "password": "y" * 2000})
    assert response.status_code == 413
    assert "the limit is" in response.content.decode()
    assert "1024 bytes" in response.content.decode()
    # At the limit, the request goes through to the page.
    assert Client().post("/account/sign-in/", {"username": "x", "password": "y"}).status_code == 200


def test_an_api_post_over_the_limit_answers_problem_json(db: Any, small_limit: int) -> None:
    response = Client().post("/api/v1/rounds/checks", "x" * 2000, content_type="application/json")
    assert response.status_code == 413
    assert response["Content-Type"] == "application/problem+json"
    body = json.loads(response.content)
    assert body["limit_bytes"] == 1024
    assert "1024 bytes" in body["detail"]
