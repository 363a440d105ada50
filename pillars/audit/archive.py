"""Detaching a month of the audit log for archive (PostgreSQL).

Only the oldest attached month goes, only while the whole log verifies, and only when each
lane's events of that month all come before its events of later months (so the lane's chain is
cut between two of its events). What is kept, signed with the audit key, is where each lane
stood at the end of the month (``ArchivedMonth``); ``verify`` walks the events still attached
from there. The detached table keeps the month's events for the archive.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from pillars.audit.models import ArchivedMonth, AuditEvent
from pillars.core import clock, partitions

TABLE = AuditEvent._meta.db_table


def before_detach(cursor: Any, name: str, month: date) -> None:
    """Refuse (``DetachRefused``) or record the archive of ``name``; inside the detaching
    transaction, so a refusal or a failed detach records nothing."""
    from pillars.audit.verify import verify_database

    attached = [p for p in partitions.partitions_of(TABLE) if p.month is not None]
    if not attached or attached[0].name != name:
        oldest = f"{attached[0].month:%Y-%m}" if attached else "none"
        raise partitions.DetachRefused(
            f"the audit log is archived oldest month first (the oldest attached is {oldest})."
        )
    _, end = partitions.month_bounds(month)
    cursor.execute(
        f"SELECT count(*) FROM {TABLE}_default WHERE occurred_at < %s",  # noqa: S608
        [end],
    )
    if cursor.fetchone()[0]:
        raise partitions.DetachRefused(
            f"events of {month:%Y-%m} or earlier wait in the default partition; "
            "run the worker's partition sweep first."
        )
    broken, _ = verify_database()
    if broken is not None:
        raise partitions.DetachRefused(f"the audit log does not verify ({broken}).")
    cursor.execute(
        f"SELECT lane, max(seq), count(*) FROM {name} GROUP BY lane",  # noqa: S608
    )
    ends = {int(lane): (int(seq), int(count)) for lane, seq, count in cursor.fetchall()}
    cursor.execute(
        f"SELECT lane, min(seq) FROM {TABLE} WHERE occurred_at >= %s GROUP BY lane",  # noqa: S608
        [end],
    )
    for lane, later in cursor.fetchall():
        if int(lane) in ends and int(later) < ends[int(lane)][0]:
            raise partitions.DetachRefused(
                f"lane {lane} has an event after {month:%Y-%m} (#{later}) that precedes the "
                f"month's last (#{ends[int(lane)][0]}): the month cannot be cut off cleanly."
            )
    macs = dict(
        AuditEvent.objects.filter(seq__in=[seq for seq, _ in ends.values()]).values_list(
            "seq", "hmac"
        )
    )
    archived = ArchivedMonth(
        partition=name,
        month=month,
        detached_at=clock.now(),
        events=sum(count for _, count in ends.values()),
        lanes={str(lane): [seq, macs[seq]] for lane, (seq, _) in sorted(ends.items())},
    )
    archived.signature = archived.signed()
    archived.save()


def register() -> None:
    partitions.DETACH_HOOKS[TABLE] = before_detach
    partitions.DETACH_ONLY_WHEN_NAMED.add(TABLE)
