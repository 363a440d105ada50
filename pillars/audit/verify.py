"""Checking the audit chain.

``first_break`` is a pure function over events in ``seq`` order, so it can be tested on any
sequence; ``verify_database`` feeds it the table and the chain head.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from pillars.audit.models import GENESIS, AuditEvent, ChainHead, compute_hmac


class Chained(Protocol):
    seq: int
    prev_hmac: str
    hmac: str

    def chained_values(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class Break:
    """The first link that does not hold."""

    position: int  # 1-based position in the stored order
    seq: int | None
    reason: str

    def __str__(self) -> str:
        return f"broken at position {self.position} (event #{self.seq}): {self.reason}"


def first_break(
    events: Iterable[Chained], *, key: str | None = None, head: tuple[int, str] | None = None
) -> tuple[Break | None, int]:
    """Walk the chain; return the first break (or None) and how many events were checked."""
    expected_seq, prev = 1, GENESIS
    count = 0
    for count, event in enumerate(events, start=1):
        if event.seq != expected_seq:
            reason = (
                "an event is missing before this one (deleted)"
                if event.seq > expected_seq
                else "this event repeats or precedes an earlier position (inserted or reordered)"
            )
            return Break(count, event.seq, f"expected #{expected_seq}; {reason}"), count
        if event.prev_hmac != prev:
            return Break(
                count,
                event.seq,
                "the link to the previous event does not match "
                "(an event before it was removed, inserted or reordered)",
            ), count
        if compute_hmac(event.chained_values(), key) != event.hmac:
            return Break(count, event.seq, "the content does not match its HMAC (edited)"), count
        expected_seq, prev = expected_seq + 1, event.hmac
    if head is not None and (head[0] != expected_seq - 1 or head[1] != prev):
        return Break(
            count + 1,
            head[0],
            f"the chain head says #{head[0]} but the log ends at #{expected_seq - 1} "
            "(events at the end were removed)",
        ), count
    return None, count


def verify_database() -> tuple[Break | None, int]:
    head_row = ChainHead.objects.filter(pk=1).first()
    head = (head_row.seq, head_row.hmac) if head_row else (0, GENESIS)
    events = AuditEvent.objects.order_by("seq").iterator(chunk_size=2000)
    return first_break(events, head=head)


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
