"""Out.at_now: a field read by the record's method of a moment, called with the caller's now."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pillars.core.entry import Out

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


class _Task:
    def __init__(self, due_at: datetime) -> None:
        self.due_at = due_at

    def status_at(self, now: datetime) -> str:
        return "late" if now > self.due_at else "due"

    def is_late_at(self, now: datetime) -> bool:
        return now > self.due_at


class _TaskOut(Out):
    due_at: datetime
    status: str
    is_late: bool

    at_now = {"status": "status_at", "is_late": "is_late_at"}


def test_each_field_is_its_method_called_with_the_moment_given() -> None:
    early = _TaskOut.of(_Task(NOW + timedelta(hours=1)), now=NOW)
    late = _TaskOut.of(_Task(NOW - timedelta(hours=1)), now=NOW)
    assert (early.status, early.is_late) == ("due", False)
    assert (late.status, late.is_late) == ("late", True)


def test_a_schema_made_by_hand_keeps_its_values() -> None:
    made = _TaskOut(due_at=NOW, status="due", is_late=False)
    assert (made.status, made.is_late) == ("due", False)
