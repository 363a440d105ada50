"""Fixtures shared by every app's tests."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from pillars.core.roles import RoleCode
from pillars.people.testing import World, build_world

ROLES = [str(code) for code in RoleCode]


@pytest.fixture
def world(db: Any) -> World:
    return build_world()


@pytest.fixture
def signed_in(world: World) -> Any:
    """A factory: a test client signed in as a role of the world (two-factor already passed)."""

    def make(role: str) -> Client:
        client = Client()
        user = world.user(role)
        client.force_login(user)
        if any(r.requires_two_factor for r in world.staff[role].roles.all()):
            from django_otp.plugins.otp_totp.models import TOTPDevice

            device, _ = TOTPDevice.objects.get_or_create(
                user=user, name="test", defaults={"confirmed": True}
            )
            session = client.session
            session["otp_device_id"] = device.persistent_id
            session.save()
        return client

    return make
