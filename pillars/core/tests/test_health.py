"""Health probes answer without sign-in and carry no data."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.test.utils import override_settings


@pytest.mark.django_db
def test_healthz_and_readyz_answer_without_sign_in() -> None:
    client = Client()
    live = client.get("/healthz")
    ready = client.get("/readyz")
    assert live.status_code == 200
    assert json.loads(live.content) == {"status": "ok"}
    assert ready.status_code == 200
    assert json.loads(ready.content) == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_reports_pending_migrations(monkeypatch: pytest.MonkeyPatch) -> None:
    from django.db.migrations.executor import MigrationExecutor

    from pillars.core import views

    monkeypatch.setattr(views, "_migrated", False)
    monkeypatch.setattr(MigrationExecutor, "migration_plan", lambda self, targets: ["pending"])
    response = Client().get("/readyz")
    assert response.status_code == 503
    assert json.loads(response.content)["database"] == "migrations pending"


@pytest.mark.django_db
def test_production_headers_on_probe() -> None:
    with override_settings(SECURE_HSTS_SECONDS=31536000, SECURE_SSL_REDIRECT=False):
        response = Client().get("/healthz", secure=True)
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")
    assert response["X-Frame-Options"] == "DENY"


@pytest.mark.django_db
def test_readyz_reports_an_unreachable_database(monkeypatch: pytest.MonkeyPatch) -> None:
    from django.db import connection

    def broken(*args: object, **kwargs: object) -> None:
        raise OSError("connection refused")

    monkeypatch.setattr(connection, "cursor", broken)
    response = Client().get("/readyz")
    assert response.status_code == 503
    assert json.loads(response.content) == {"status": "unavailable", "database": "unreachable"}
