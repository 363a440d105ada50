"""The order's clock: one second before due, at due, at due plus grace, across midnight and
daylight-saving changes (pure methods of ``now``; no database)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from pillars.rounds.choices import CheckStatus as S
from pillars.rounds.models import ObservationLevel, ObservationOrder

T0 = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)


def level(minutes: int = 15, grace: str = "1.50", window: int = 2) -> ObservationLevel:
    return ObservationLevel(
        code=f"q{minutes}",
        name=f"q{minutes}",
        interval_minutes=minutes,
        grace_factor=Decimal(grace),
        due_window_minutes=window,
    )


def order(
    last: datetime | None = None, lvl: ObservationLevel | None = None, started: datetime = T0
) -> ObservationOrder:
    return ObservationOrder(level=lvl or level(), started_at=started, last_observed_at=last)


def test_first_check_is_due_when_the_order_starts() -> None:
    o = order()
    assert o.next_due_at() == T0
    assert o.status_at(T0 - timedelta(minutes=3)) == S.UPCOMING
    assert o.status_at(T0 - timedelta(minutes=2)) == S.DUE
    assert o.status_at(T0) == S.DUE
    assert o.status_at(T0 + SECOND) == S.LATE
    assert o.missed_at() == T0 + timedelta(minutes=7, seconds=30)
    assert o.status_at(o.missed_at()) == S.LATE
    assert o.status_at(o.missed_at() + SECOND) == S.MISSED


def test_q15_boundaries_after_a_check() -> None:
    o = order(last=T0)
    due = T0 + timedelta(minutes=15)
    assert o.next_due_at() == due
    assert o.status_at(due - timedelta(minutes=2) - SECOND) == S.UPCOMING
    assert o.status_at(due - SECOND) == S.DUE
    assert o.status_at(due) == S.DUE
    assert o.status_at(due + SECOND) == S.LATE
    # The common vendor rule: on time within 1.5 x the interval, 22.5 minutes for q15.
    grace_end = T0 + timedelta(minutes=22, seconds=30)
    assert o.missed_at() == grace_end
    assert o.status_at(grace_end) == S.LATE
    assert o.status_at(grace_end + SECOND) == S.MISSED


@pytest.mark.parametrize(
    ("minutes", "grace", "missed_after"), [(5, "1.50", 450), (30, "1.50", 2700), (60, "2.00", 7200)]
)
def test_grace_is_data(minutes: int, grace: str, missed_after: int) -> None:
    o = order(last=T0, lvl=level(minutes, grace))
    assert o.missed_at() == T0 + timedelta(seconds=missed_after)


def test_rounds_cross_midnight_in_the_units_zone() -> None:
    zone = ZoneInfo("America/Chicago")
    last = datetime(2026, 6, 10, 23, 50, tzinfo=zone).astimezone(UTC)
    o = order(last=last, started=last - timedelta(hours=1))
    due = o.next_due_at().astimezone(zone)
    assert (due.date().isoformat(), due.hour, due.minute) == ("2026-06-11", 0, 5)
    assert o.status_at(last + timedelta(minutes=16)) == S.LATE


@pytest.mark.parametrize(
    ("local_last", "expected_local_due", "offset_hours"),
    [
        # Spring forward (2026-03-08, 02:00 CST -> 03:00 CDT): 01:55 CST + 15 min is 03:10 CDT.
        (datetime(2026, 3, 8, 1, 55), datetime(2026, 3, 8, 3, 10), -5),
        # Fall back (2026-11-01, 02:00 CDT -> 01:00 CST): 01:50 CDT + 15 min is 01:05 CST.
        (datetime(2026, 11, 1, 1, 50, fold=0), datetime(2026, 11, 1, 1, 5), -6),
    ],
)
def test_daylight_saving_days_keep_real_fifteen_minutes(
    local_last: datetime, expected_local_due: datetime, offset_hours: int
) -> None:
    zone = ZoneInfo("America/Chicago")
    last = local_last.replace(tzinfo=zone).astimezone(UTC)
    o = order(last=last, started=last - timedelta(hours=1))
    assert o.next_due_at() - last == timedelta(minutes=15)
    due_local = o.next_due_at().astimezone(zone)
    assert due_local.replace(tzinfo=None, fold=0) == expected_local_due
    assert due_local.utcoffset() == timedelta(hours=offset_hours)


def test_an_ended_order_has_no_clock() -> None:
    o = order(last=T0)
    o.ended_at = T0 + timedelta(minutes=5)
    assert o.status_at(T0 + timedelta(minutes=30)) == S.ENDED
    assert o.status_at(T0 + timedelta(minutes=4)) == S.UPCOMING
