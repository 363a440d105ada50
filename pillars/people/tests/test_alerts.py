"""people.alerts, the one alert writer: once per recipient and key while open, the unit and
person optional, closing by subject or key, acknowledging, and an alert with no unit in the
inbox and the API."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.db import IntegrityError, transaction

from pillars.audit.models import AuditEvent
from pillars.core import clock
from pillars.core.tests.api_support import api_as
from pillars.people import alerts
from pillars.people.alerts import Subject
from pillars.people.choices import AlertKind
from pillars.people.models import Alert
from pillars.people.testing import World

SUBJECT = Subject("people.test", uuid.uuid4())


def remind(world: World, *who: str, key: str = "t:1", **extra: Any) -> list[Alert]:
    return alerts.write(
        [world.staff[w] for w in who],
        kind=AlertKind.OTHER,
        message="A reminder for you.",
        due_at=clock.now(),
        dedupe_key=key,
        subject=SUBJECT,
        **extra,
    )


def test_each_recipient_once_while_open_and_again_once_closed(world: World) -> None:
    first = remind(world, "nurse", "bht", "nurse", audit_as="test sweep")
    assert sorted(a.recipient_id for a in first) == sorted(
        [world.staff["nurse"].pk, world.staff["bht"].pk]
    )
    assert all(a.unit_id is None and a.person_id is None for a in first)
    assert AuditEvent.objects.filter(actor_label="test sweep", action="create").count() == 2
    assert remind(world, "nurse", "bht") == []
    # Another key is another thing to alert about.
    assert len(remind(world, "nurse", key="t:2")) == 1
    closed = alerts.resolve(alerts.about(SUBJECT), moment=clock.now(), reason="Done.")
    assert closed == 3
    assert Alert.objects.filter(resolved_at__isnull=True).count() == 0
    # The cause came back: alerted again, once.
    assert len(remind(world, "nurse")) == 1
    assert remind(world, "nurse") == []


def test_the_database_refuses_a_second_open_alert_with_the_same_key(world: World) -> None:
    (alert,) = remind(world, "nurse")
    now = clock.now()
    with pytest.raises(IntegrityError), transaction.atomic():
        Alert.objects.create(
            kind=AlertKind.OTHER,
            recipient=world.staff["nurse"],
            message="again",
            due_at=now,
            created_at=now,
            dedupe_key=alert.dedupe_key,
        )


def test_about_names_only_what_it_is_given(world: World) -> None:
    remind(world, "nurse", key="rs:one:late")
    remind(world, "nurse", key="rs:two:late")
    assert alerts.resolve(alerts.about(), moment=clock.now(), reason="x") == 0
    assert alerts.resolve(alerts.about(key_prefix="rs:one:"), moment=clock.now(), reason="x") == 1
    kinds = alerts.about(SUBJECT, kinds=[AlertKind.EMERGENCY])
    assert alerts.resolve(kinds, moment=clock.now(), reason="x") == 0


def test_the_recipient_acknowledges_once_and_it_is_audited(world: World) -> None:
    (alert,) = remind(world, "nurse")
    done = alerts.acknowledge(alert, actor=world.user("nurse"))
    assert done.acknowledged_at is not None
    event = AuditEvent.objects.get(object_id=str(alert.public_id), action="update")
    assert event.detail["event"] == "acknowledge"
    assert alerts.acknowledge(alert, actor=world.user("nurse")).acknowledged_at == (
        done.acknowledged_at
    )


def test_on_duty_falls_back_to_the_units_nurses(world: World) -> None:
    assert alerts.on_duty(world.unit_a, clock.now()) == [world.staff["nurse"]]
    # An account switched off hears nothing.
    world.staff["nurse"].user.is_active = False
    world.staff["nurse"].user.save()
    assert alerts.on_duty(world.unit_a, clock.now() + timedelta(seconds=1)) == []


def test_an_alert_with_no_unit_is_in_the_inbox_and_the_api(world: World, signed_in: Any) -> None:
    (alert,) = remind(world, "nurse")
    page = signed_in("nurse").get("/rounds/inbox/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "A reminder for you." in body
    assert f"/rounds/alerts/{alert.public_id}/acknowledge/" in body
    items = api_as(world.user("nurse")).get("/alerts").json()["items"]
    assert [(i["unit"], i["subject_kind"], i["order"]) for i in items] == [
        (None, "people.test", None)
    ]
