"""The worker clears expired sessions and stored API replies past their window."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session

from pillars.core import clock, housekeeping
from pillars.core.management.commands.worker import registered_sweeps
from pillars.core.models import IdempotencyRecord
from pillars.people.testing import World

pytestmark = pytest.mark.django_db


def test_the_worker_clears_expired_sessions_and_old_replies(world: World) -> None:
    housekeeping._last_run.clear()
    assert housekeeping.sweep_expired_sessions in registered_sweeps()
    assert housekeeping.sweep_idempotency in registered_sweeps()
    now = clock.now()
    for expiry in (now - timedelta(minutes=1), now + timedelta(hours=1)):
        store = SessionStore()
        store.set_expiry(expiry)
        store.save()
    for age in (31, 1):
        IdempotencyRecord.objects.create(
            key=uuid.uuid4(),
            user=world.user("nurse"),
            method="POST",
            route="/api/v1/x",
            request_hash="h",
            response_status=201,
            response_body={},
            created_at=now - timedelta(days=age),
        )
    assert housekeeping.sweep_expired_sessions(now) is True
    assert housekeeping.sweep_idempotency(now) == 1
    assert Session.objects.count() == 1
    assert Session.objects.get().expire_date > now
    assert IdempotencyRecord.objects.count() == 1
    # Not again within ten minutes; again after.
    assert housekeeping.sweep_expired_sessions(now + timedelta(minutes=5)) is False
    assert housekeeping.sweep_idempotency(now + timedelta(minutes=5)) is None
    assert housekeeping.sweep_idempotency(now + timedelta(minutes=11)) == 0
