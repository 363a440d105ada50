"""Checks partitioned by month on PostgreSQL: each check in its month, client ids unique across
months, references into the table kept whole, months made ahead and detached for archive."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from io import StringIO
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction

from pillars.core import clock, partitions
from pillars.people.testing import World
from pillars.rounds import services
from pillars.rounds.models import Check, CheckAddendum, ObservationLevel, ObservationOrder
from pillars.rounds.services.sync import CREATED, REPLAYED, CheckItem, record_checks

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="partitions exist on PostgreSQL only"
    ),
]

TABLE = "rounds_check"


def _order(world: World) -> ObservationOrder:
    return services.order_observation(
        world.person_a,
        actor=world.user("nurse"),
        level=ObservationLevel.objects.get(code="q15", is_current=True),
        reason="Admission default",
        started_at=clock.now() - timedelta(hours=1),
    )


def _record(order: ObservationOrder, world: World, **overrides: Any) -> Check:
    values: dict[str, Any] = {
        "observed_at": clock.now() - timedelta(minutes=1),
        "location": "bedroom",
        "activity": "asleep",
        "safety_status": "safe",
        "client_id": uuid.uuid4(),
    }
    values.update(overrides)
    return services.record_check(order, actor=world.user("bht"), **values)


def _partition_of(check: Check) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT tableoid::regclass::text FROM {TABLE} WHERE id = %s", [check.pk])
        return str(cursor.fetchone()[0])


def _copy(check: Check, **changes: Any) -> Check:
    """An unsaved copy of a check with a new id and public id (and the changes)."""
    fields = {
        f.attname: getattr(check, f.attname)
        for f in Check._meta.concrete_fields
        if f.attname not in ("id", "public_id")
    }
    return Check(**{**fields, **changes})


def test_the_table_is_partitioned_by_month_of_recorded_at(world: World) -> None:
    assert partitions.partitioned_tables()[TABLE] == "recorded_at"
    check = _record(_order(world), world)
    assert _partition_of(check) == partitions.partition_name(
        TABLE, partitions.month_of(clock.now())
    )


def test_a_client_id_taken_in_another_month_is_refused(world: World) -> None:
    check = _record(_order(world), world)
    other_month = check.recorded_at - timedelta(days=40)
    with pytest.raises(IntegrityError), transaction.atomic():
        _copy(check, recorded_at=other_month, observed_at=other_month).save()
    # The services still answer a replay with the first check.
    again = _record(check.order, world, client_id=check.client_id, observed_at=check.observed_at)
    assert again.pk == check.pk
    assert Check.objects.filter(client_id=check.client_id).count() == 1


def test_a_batch_skips_a_client_id_stored_in_another_month(world: World) -> None:
    with time_machine.travel(clock.now() - timedelta(days=45), tick=False):
        order = _order(world)
        old = _record(order, world, observed_at=clock.now())
    fresh = CheckItem(
        order=order.public_id,
        client_id=uuid.uuid4(),
        observed_at=clock.now() - timedelta(minutes=2),
        location="dayroom",
        activity="sitting",
        safety_status="safe",
    )
    replayed = CheckItem(
        order=order.public_id,
        client_id=old.client_id,
        observed_at=old.observed_at,
        location=old.location,
        activity=old.activity,
        safety_status=old.safety_status,
    )
    results = record_checks([fresh, replayed], actor=world.user("bht"))
    assert [r.status for r in results] == [CREATED, REPLAYED]
    assert Check.objects.filter(client_id=old.client_id).count() == 1


def test_the_trigger_skips_a_taken_key_only_when_asked(world: World) -> None:
    check = _record(_order(world), world)
    with connection.cursor() as cursor, transaction.atomic():
        partitions.skipping_conflicts(cursor, True)
        _insert_copy(cursor, check)
        partitions.skipping_conflicts(cursor, False)
    assert Check.objects.filter(client_id=check.client_id).count() == 1
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        _insert_copy(cursor, check)


def _insert_copy(cursor: Any, check: Check) -> None:
    columns = [
        str(f.column) for f in Check._meta.concrete_fields if f.column not in ("id", "public_id")
    ]
    listed = ", ".join(columns)
    cursor.execute(
        f"INSERT INTO {TABLE} (public_id, {listed}) SELECT gen_random_uuid(), {listed} "
        f"FROM {TABLE} WHERE id = %s",
        [check.pk],
    )


def test_references_into_the_table_stay_whole(world: World) -> None:
    check = _record(_order(world), world)
    services.add_addendum(check, actor=world.user("nurse"), reason="Wrong room", text="Day room.")
    # A referenced check cannot be deleted, as PROTECT promises, now at the database too.
    with pytest.raises(IntegrityError):
        _checked(lambda: Check.objects.filter(pk=check.pk)._raw_delete(connection.alias))
    # A reference to no check is refused.
    addendum = CheckAddendum.objects.filter(check_record=check)
    with pytest.raises(IntegrityError):
        _checked(lambda: addendum.update(check_record_id=check.pk + 10_000))


def _checked(write: Any) -> None:
    """Run a write and check the deferred foreign keys at once, in a savepoint."""
    with transaction.atomic():
        write()
        connection.check_constraints()


def test_a_checks_id_and_recorded_moment_never_change_and_its_keys_stay_unique(
    world: World,
) -> None:
    order = _order(world)
    check, other = _record(order, world), _record(order, world)
    for change in (
        {"recorded_at": check.recorded_at - timedelta(days=60)},
        {"client_id": other.client_id},
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            Check.objects.filter(pk=check.pk).update(**change)
    Check.objects.filter(pk=check.pk).update(note="Other columns may change.")


def test_a_month_made_later_takes_its_rows_from_the_default_partition(world: World) -> None:
    with time_machine.travel(datetime(2019, 3, 10, 12, tzinfo=UTC), tick=False):
        old = _record(_order(world), world, observed_at=clock.now())
    assert _partition_of(old) == f"{TABLE}_default"
    services.add_addendum(old, actor=world.user("nurse"), reason="Typo", text="Asleep.")
    made = partitions.ensure_months(TABLE, "recorded_at", date(2019, 2, 1), date(2019, 3, 1))
    assert made == [f"{TABLE}_p2019_02", f"{TABLE}_p2019_03"]
    assert _partition_of(old) == f"{TABLE}_p2019_03"
    # Its key stayed: the client id is still taken, the addendum still points at it.
    with pytest.raises(IntegrityError), transaction.atomic():
        _copy(old).save()
    connection.check_constraints()
    assert partitions.ensure_months(TABLE, "recorded_at", date(2019, 3, 1), date(2019, 3, 1)) == []


def test_the_sweep_makes_next_months_ahead(world: World) -> None:
    partitions._last_sweep.clear()
    later = datetime(2031, 6, 15, tzinfo=UTC)
    result = partitions.sweep_partitions(later)
    assert result is not None
    assert result.failed == 0
    names = {p.name for p in partitions.partitions_of(TABLE)}
    for ahead in range(partitions.MONTHS_AHEAD + 1):
        month = partitions.add_months(date(2031, 6, 1), ahead)
        assert partitions.partition_name(TABLE, month) in names
    # Not due again for a while.
    assert partitions.sweep_partitions(later + timedelta(minutes=1)) is None


def test_detaching_a_month_keeps_its_rows_in_a_plain_table(world: World) -> None:
    partitions.ensure_months(TABLE, "recorded_at", date(2020, 1, 1), date(2020, 1, 1))
    with time_machine.travel(datetime(2020, 1, 20, 9, tzinfo=UTC), tick=False):
        old = _record(_order(world), world, observed_at=clock.now())
    services.add_addendum(old, actor=world.user("nurse"), reason="Typo", text="Asleep.")
    out = StringIO()
    call_command("partitions", "list", stdout=out)
    assert f"{TABLE}_p2020_01" in out.getvalue()
    call_command("partitions", "detach", "2020-01", "--table", TABLE, stdout=out)
    text = out.getvalue()
    assert f"stay in the plain table {TABLE}_p2020_01" in text
    assert not Check.objects.filter(pk=old.pk).exists()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {TABLE}_p2020_01")
        assert cursor.fetchone()[0] == 1
    # Archived, not forgotten: its client id stays taken and its addendum stays valid.
    with pytest.raises(IntegrityError), transaction.atomic():
        _copy(old, recorded_at=clock.now()).save()
    connection.check_constraints()


def test_the_current_month_cannot_be_detached(world: World) -> None:
    from django.core.management.base import CommandError

    month = f"{clock.now():%Y-%m}"
    with pytest.raises(CommandError, match="only a month before"):
        call_command("partitions", "detach", month, stdout=StringIO())
