"""Alerts partitioned by month on PostgreSQL: each alert in its month, and a recipient's one
open alert per dedupe key held across months, released when the alert is resolved."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.db import IntegrityError, connection, transaction

from pillars.core import clock, partitions
from pillars.core.bulk import insert_objects
from pillars.people import alerts
from pillars.people.choices import AlertKind
from pillars.people.models import Alert
from pillars.people.testing import World

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="partitions exist on PostgreSQL only"
    ),
]

TABLE = "people_alert"


def _drafts(world: World, key: str = "t:1") -> list[Alert]:
    return alerts.draft(
        [world.staff["nurse"]],
        kind=AlertKind.OTHER,
        message="A reminder for you.",
        due_at=clock.now(),
        dedupe_key=key,
    )


def _partition_of(alert: Alert) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT tableoid::regclass::text FROM {TABLE} WHERE id = %s", [alert.pk])
        return str(cursor.fetchone()[0])


def test_alerts_are_partitioned_by_month_of_created_at(world: World) -> None:
    assert partitions.partitioned_tables()[TABLE] == "created_at"
    (alert,) = alerts.write_many(_drafts(world), audit_as="test")
    assert _partition_of(alert) == partitions.partition_name(
        TABLE, partitions.month_of(alert.created_at)
    )


def test_an_open_alert_of_another_month_keeps_its_key(world: World) -> None:
    with time_machine.travel(clock.now() - timedelta(days=40), tick=False):
        (old,) = alerts.write_many(_drafts(world), audit_as="test")
    # The unique index holds across months: a plain insert is refused ...
    (again,) = _drafts(world)
    with pytest.raises(IntegrityError), transaction.atomic():
        again.save()
    # ... and a writer that skips conflicts skips it (as a racing worker's insert would be).
    insert_objects(_drafts(world), skip_conflicts=True)
    assert Alert.objects.filter(dedupe_key="t:1").count() == 1
    # Resolved, the key is free again.
    alerts.resolve(alerts.about(key_prefix="t:"), moment=clock.now(), reason="Done.")
    (fresh,) = alerts.write_many(_drafts(world), audit_as="test")
    assert fresh.pk != old.pk
    assert Alert.objects.filter(dedupe_key="t:1").count() == 2
