"""Checking the audit chain.

``first_break`` is a pure function over one lane's events in ``seq`` order, so it can be tested
on any sequence; ``verify_database`` feeds it each lane of the table with that lane's head.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from pillars.audit.models import (
    GENESIS,
    LANES,
    ArchivedMonth,
    AuditEvent,
    ChainHead,
    compute_hmac,
)


class Chained(Protocol):
    seq: int
    prev_hmac: str
    hmac: str

    def chained_values(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class Break:
    """The first link that does not hold."""

    position: int  # 1-based position in the lane's stored order
    seq: int | None
    reason: str
    lane: int = 1

    def __str__(self) -> str:
        if self.seq is None:
            return f"broken: {self.reason}"
        where = f"position {self.position}" + (f" of lane {self.lane}" if self.lane != 1 else "")
        return f"broken at {where} (event #{self.seq}): {self.reason}"


def first_break(
    events: Iterable[Chained],
    *,
    key: str | None = None,
    head: tuple[int, str] | None = None,
    lane: int = 1,
    start: tuple[int, str] = (0, GENESIS),
) -> tuple[Break | None, int]:
    """Walk one lane; return the first break (or None) and how many events were checked.

    Each event links to the one before it in its lane (the first to ``GENESIS``) and numbers
    rise along the lane: an edited event fails its HMAC, a removed, inserted or reordered one
    breaks a link, events cut from the end leave the head pointing past the last one. ``start``
    is where the lane stood before its first event here (the end of an archived month)."""
    last_seq, prev = start
    count = 0
    for count, event in enumerate(events, start=1):
        if event.seq <= last_seq:
            return Break(
                count,
                event.seq,
                f"#{event.seq} comes after #{last_seq}; this event repeats or precedes an "
                "earlier position (inserted or reordered)",
                lane,
            ), count
        if event.prev_hmac != prev:
            return Break(
                count,
                event.seq,
                "the link to the previous event does not match "
                "(an event before it was removed, inserted or reordered)",
                lane,
            ), count
        if compute_hmac(event.chained_values(), key) != event.hmac:
            return Break(count, event.seq, "the content does not match its HMAC (edited)", lane), (
                count
            )
        last_seq, prev = event.seq, event.hmac
    if head is not None and (head[0] != last_seq or head[1] != prev):
        return Break(
            count + 1,
            head[0],
            f"the chain head says #{head[0]} but the log ends at #{last_seq} "
            "(events at the end were removed)",
            lane,
        ), count
    return None, count


def lane_heads() -> dict[int, tuple[int, str]]:
    """Every lane's head (its last ``seq`` and HMAC), the lanes without a row at the start."""
    heads = dict.fromkeys(range(1, LANES + 1), (0, GENESIS))
    heads.update(
        {pk: (seq, mac) for pk, seq, mac in ChainHead.objects.values_list("pk", "seq", "hmac")}
    )
    return heads


def verify_database() -> tuple[Break | None, int]:
    """Every lane, each against its head, from where the archived months left it; the count is
    of all events checked."""
    heads = lane_heads()
    starts, problem = archive_starts()
    if problem is not None:
        return problem, 0
    lanes = set(heads) | set(AuditEvent.objects.values_list("lane", flat=True).distinct())
    total = 0
    for lane in sorted(lanes):
        events = AuditEvent.objects.filter(lane=lane).order_by("seq").iterator(chunk_size=2000)
        broken, count = first_break(
            events,
            head=heads.get(lane, (0, GENESIS)),
            lane=lane,
            start=starts.get(lane, (0, GENESIS)),
        )
        total += count
        if broken is not None:
            return broken, total
    return None, total


def archive_starts() -> tuple[dict[int, tuple[int, str]], Break | None]:
    """Where each lane stands after the months detached for archive (the newest record that
    names the lane), or the first archive record whose signature does not hold."""
    starts: dict[int, tuple[int, str]] = {}
    for archived in ArchivedMonth.objects.order_by("month"):
        if not hmac.compare_digest(archived.signed(), archived.signature):
            return starts, Break(
                0,
                None,
                f"the record of the archived month {archived.month:%Y-%m} "
                "is not signed with the audit key (forged or edited)",
            )
        for lane, (seq, mac) in archived.lanes.items():
            starts[int(lane)] = (int(seq), str(mac))
    return starts, None


@dataclass(frozen=True)
class Verdict:
    """The whole verification: the chain, then the newest checkpoint outside the database."""

    is_intact: bool
    events_checked: int
    finding: str


def verify_all() -> Verdict:
    """What ``pillars audit verify`` and the privacy officer's page both report."""
    from pillars.audit import checkpoint

    broken, count = verify_database()
    if broken is not None:
        return Verdict(False, count, f"Audit chain BROKEN after {count} events: {broken}")
    missing = checkpoint.check()
    if missing is not None:
        return Verdict(False, count, f"Audit chain BROKEN: {missing}")
    return Verdict(True, count, f"Audit chain intact: {count} events checked.")
