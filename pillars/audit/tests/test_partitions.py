"""Audit events partitioned by month on PostgreSQL: each event in its month, the append-only
rule kept on every partition, every lane verifying across months, and a month detached for
archive (oldest first) leaving a signed record the later events verify from."""

from __future__ import annotations

from datetime import UTC, date, datetime
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from pillars.audit import log
from pillars.audit.models import ArchivedMonth, AuditEvent
from pillars.audit.verify import verify_database
from pillars.core import clock, partitions

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="partitions exist on PostgreSQL only"
    ),
]

TABLE = "audit_auditevent"


def _months_back(count: int) -> list[date]:
    this_month = partitions.month_of(clock.now().astimezone(UTC))
    return [partitions.add_months(this_month, -n) for n in range(count, 0, -1)]


def _partition_of(event: AuditEvent) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT tableoid::regclass::text FROM {TABLE} WHERE id = %s", [event.pk])
        return str(cursor.fetchone()[0])


def _events_in(months: list[date]) -> dict[date, list[AuditEvent]]:
    """Two events in the middle of each month (oldest first), then the months made: their
    events move out of the default partition into them."""
    written: dict[date, list[AuditEvent]] = {}
    for month in months:
        with time_machine.travel(datetime(month.year, month.month, 14, 12, tzinfo=UTC)):
            written[month] = [
                log.record(actor=None, action="view", object_type="test", object_id=f"{month}-{i}")
                for i in range(2)
            ]
    partitions.ensure_months(TABLE, "occurred_at", months[0], months[-1])
    return written


def _detach(month: date, *extra: str) -> str:
    out = StringIO()
    call_command("partitions", "detach", f"{month:%Y-%m}", *extra, stdout=out)
    return out.getvalue()


def test_events_land_in_their_months_and_every_lane_verifies_across_them() -> None:
    months = _months_back(3)
    written = _events_in(months)
    assert TABLE in partitions.partitioned_tables()
    for month, events in written.items():
        for event in events:
            assert _partition_of(event) == partitions.partition_name(TABLE, month)
    broken, count = verify_database()
    assert broken is None
    assert count == AuditEvent.objects.count() >= 6


def test_every_partition_stays_append_only() -> None:
    months = _months_back(1)
    [first, _] = _events_in(months)[months[0]]
    for sql in (
        f"UPDATE {TABLE} SET action = 'export' WHERE id = %s",
        f"DELETE FROM {TABLE} WHERE id = %s",
        f"DELETE FROM {partitions.partition_name(TABLE, months[0])} WHERE id = %s",
    ):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [first.pk])
    # The one exception lets the partition sweep move rows out of the default partition; it
    # opens nothing else, even with the setting on.
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('pillars.partition_move', 'on', true); "
            f"DELETE FROM {TABLE} WHERE id = %s",
            [first.pk],
        )
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {TABLE}")
    assert AuditEvent.objects.filter(pk=first.pk).exists()


def test_seq_stays_unique_across_months() -> None:
    months = _months_back(2)
    written = _events_in(months)
    old = written[months[0]][0]
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {TABLE} (seq, lane, occurred_at, actor_label, action, object_type, "
            "object_id, outcome, category, purpose, user_agent, request_id, detail, prev_hmac, "
            "hmac) SELECT seq, lane, %s, actor_label, action, object_type, object_id, outcome, "
            "category, purpose, user_agent, request_id, detail, prev_hmac, hmac "
            f"FROM {TABLE} WHERE id = %s",
            [clock.now(), old.pk],
        )


def test_the_oldest_month_is_archived_and_the_rest_verifies_from_its_record() -> None:
    months = _months_back(3)
    written = _events_in(months)
    before = AuditEvent.objects.count()
    # The audit log is left alone unless named.
    with pytest.raises(CommandError, match="No partition"):
        _detach(months[0])
    # Oldest month first.
    with pytest.raises(CommandError, match="oldest month first"):
        _detach(months[1], "--table", TABLE)
    text = _detach(months[0], "--table", TABLE)
    assert f"Detached {partitions.partition_name(TABLE, months[0])}" in text
    archived = ArchivedMonth.objects.get()
    last = written[months[0]][-1]
    assert archived.lanes == {str(last.lane): [last.seq, last.hmac]}
    assert archived.events == 2
    # The month's events left the log (they stay in the detached table); the detach itself
    # is audited.
    assert AuditEvent.objects.count() == before - 2 + 1
    assert verify_database()[0] is None
    # The next month goes the same way.
    _detach(months[1], "--table", TABLE)
    assert ArchivedMonth.objects.count() == 2
    broken, _ = verify_database()
    assert broken is None


def test_a_forged_or_missing_archive_record_fails_verification() -> None:
    months = _months_back(2)
    written = _events_in(months)
    _detach(months[0], "--table", TABLE)
    archived = ArchivedMonth.objects.get()
    later = written[months[1]][0]
    ArchivedMonth.objects.filter(pk=archived.pk).update(
        lanes={str(later.lane): [later.seq, later.hmac]}
    )
    broken, _ = verify_database()
    assert broken is not None
    assert "not signed with the audit key" in str(broken)
    ArchivedMonth.objects.all().delete()
    broken, _ = verify_database()
    assert broken is not None
    assert broken.seq == later.seq
    assert "link to the previous event" in broken.reason
