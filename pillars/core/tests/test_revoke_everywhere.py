"""Signing out, a new password, a disabled account and a lockout revoke API tokens too."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from pillars.audit.choices import Action
from pillars.audit.models import AuditEvent
from pillars.core import clock, tokens
from pillars.core.models import ApiToken
from pillars.people.choices import ExitReason
from pillars.people.testing import World

pytestmark = pytest.mark.django_db


def _token(world: World, role: str) -> str:
    _token_row, secret = tokens.create_token(world.user(role), "script", ["read"], 30)
    assert tokens.authenticate_token(secret) is not None
    return secret


def _revocations() -> list[AuditEvent]:
    return [
        e
        for e in AuditEvent.objects.filter(action=Action.TOKEN).order_by("seq")
        if e.detail.get("event") == "revoked"
    ]


def test_signing_out_revokes_the_users_api_tokens(world: World, signed_in: Any) -> None:
    secret = _token(world, "nurse")
    other = _token(world, "bht")
    assert signed_in("nurse").post("/account/sign-out/").status_code == 302
    assert tokens.authenticate_token(secret) is None
    assert tokens.authenticate_token(other) is not None
    [event] = _revocations()
    assert event.detail["reason"] == "signed out"
    assert event.actor == world.user("nurse")


def test_a_new_password_revokes_api_tokens(world: World) -> None:
    secret = _token(world, "nurse")
    user = world.user("nurse")
    user.set_password("a brand new long passphrase 42")
    user.save()
    assert tokens.authenticate_token(secret) is None
    assert _revocations()[-1].detail["reason"] == "password changed"
    # Saving without a new password leaves a fresh token alone.
    fresh = _token(world, "nurse")
    user.first_name = "Pat"
    user.save()
    assert tokens.authenticate_token(fresh) is not None


def test_a_disabled_account_loses_its_tokens(world: World) -> None:
    from pillars.people import services

    secret = _token(world, "bht")
    services.exit_staff(
        world.staff["bht"],
        exited_on=clock.organization_today(),
        exit_reason=ExitReason.RESIGNED_PAY,
        actor=world.user("admin"),
    )
    assert ApiToken.objects.filter(user=world.user("bht"), revoked_at__isnull=True).count() == 0
    assert tokens.authenticate_token(secret) is None


def test_a_lockout_revokes_tokens(world: World, client: Client) -> None:
    secret = _token(world, "bht")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/account/sign-in/", {"username": "t-bht", "password": "not-the-password"})
    assert tokens.authenticate_token(secret) is None
    assert _revocations()[-1].detail["reason"] == "locked out"
