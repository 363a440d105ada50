"""The enrolment key of the second sign-in step is shown once: a later visit before the key is
confirmed makes a new key, and the key shown before can no longer be confirmed. Anyone who gets
the half-signed-in screen later cannot copy a key that is waiting to be confirmed."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from pillars.audit.choices import Action, Purpose
from pillars.audit.models import AuditEvent
from pillars.core.tests.test_two_factor import TWO_FACTOR, code_for, password_sign_in

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
KEY = re.compile(r'<code class="secret">([A-Z2-7 ]+)</code>')


def shown_key(client: Client) -> str:
    """Visit the enrolment page and read the key it shows."""
    page = client.get(TWO_FACTOR)
    assert page.status_code == 200
    found = KEY.search(page.content.decode())
    assert found, "the enrolment page shows no key"
    return found.group(1)


def pending(user: Any) -> TOTPDevice:
    return TOTPDevice.objects.get(user=user, confirmed=False)


def test_a_second_visit_shows_a_new_key(world: Any) -> None:
    client = password_sign_in("t-director")
    first = shown_key(client)
    second = shown_key(client)
    assert first != second
    # The first key's device is gone: only the newest waits to be confirmed.
    devices = TOTPDevice.objects.filter(user=world.user("director"))
    assert devices.count() == 1
    assert not devices.get().confirmed


def test_the_first_key_no_longer_confirms_and_the_newest_does(world: Any) -> None:
    user = world.user("director")
    with time_machine.travel(T0, tick=False) as traveller:
        client = password_sign_in("t-director")
        shown_key(client)
        first = pending(user)
        shown_key(client)
        newest = pending(user)
        assert newest.pk != first.pk
        refused = client.post(TWO_FACTOR, {"code": code_for(first), "next": "/"})
        assert refused.status_code == 200
        assert "That code did not match" in refused.content.decode()
        assert client.get("/").status_code == 302
        traveller.shift(timedelta(seconds=10))  # past the delay after a wrong code
        response = client.post(TWO_FACTOR, {"code": code_for(newest), "next": "/"})
        assert response.status_code == 302
        assert client.get("/").status_code == 200
    newest.refresh_from_db()
    assert newest.confirmed
    assert list(TOTPDevice.objects.filter(user=user)) == [newest]


def test_a_mistyped_code_is_tried_again_without_showing_the_key(world: Any) -> None:
    user = world.user("admin")
    with time_machine.travel(T0, tick=False) as traveller:
        client = password_sign_in("t-admin")
        key = shown_key(client)
        device = pending(user)
        wrong = f"{(int(code_for(device)) + 1) % 1_000_000:06d}"
        refused = client.post(TWO_FACTOR, {"code": wrong, "next": "/"})
        html = refused.content.decode()
        assert refused.status_code == 200
        # The key was shown once; the answer to a wrong code neither shows it nor makes another.
        assert key not in html
        assert "data:image" not in html
        assert 'class="secret"' not in html
        assert "new key" in html
        assert pending(user).pk == device.pk
        traveller.shift(timedelta(seconds=10))
        response = client.post(TWO_FACTOR, {"code": code_for(device), "next": "/"})
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.confirmed


def test_each_new_key_is_audited(world: Any) -> None:
    user = world.user("privacy")
    client = password_sign_in("t-privacy")
    shown_key(client)
    shown_key(client)
    events = list(
        AuditEvent.objects.filter(object_type="otp_totp.totpdevice", action=Action.CREATE)
    )
    assert len(events) == 2
    assert all(e.actor_id == user.pk and e.purpose == Purpose.SECURITY for e in events)
    assert [e.detail["replaced"] for e in events] == [0, 1]


def test_a_confirmed_device_is_never_replaced_by_a_visit(world: Any) -> None:
    user = world.user("privacy")
    device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)
    client = password_sign_in("t-privacy")
    html = client.get(TWO_FACTOR).content.decode()
    assert 'class="secret"' not in html
    assert list(TOTPDevice.objects.filter(user=user)) == [device]
