"""The one clock.

Every piece of Pillars asks this module for the time, so tests can move it (time-machine) and
storage stays timezone-aware UTC (DESIGN.md, rule 1).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime, tzinfo
from zoneinfo import ZoneInfo

from django.conf import settings

# The years a moment given from outside may name: far enough for any record, near enough that
# every database converts it (9999-12-31T23:59-05:00 overflows on its way to UTC).
EARLIEST_YEAR = 1900
LATEST_YEAR = 2200

_replaying: ContextVar[datetime | None] = ContextVar("replaying", default=None)


def now() -> datetime:
    """The current moment, timezone-aware, in UTC."""
    moment = _replaying.get()
    return moment if moment is not None else datetime.now(UTC)


@contextmanager
def replaying_at(moment: datetime) -> Iterator[None]:
    """Run the block as if it happened at ``moment``: the demo replays weeks of rounds through
    the real services, each check recorded seconds after it was observed, as on the floor."""
    if moment.tzinfo is None:
        raise ValueError("replaying_at needs a timezone-aware moment")
    token = _replaying.set(moment.astimezone(UTC))
    try:
        yield
    finally:
        _replaying.reset(token)


def today_in(zone: str | tzinfo) -> date:
    """The calendar date at this moment in a unit's local zone."""
    tz = ZoneInfo(zone) if isinstance(zone, str) else zone
    return now().astimezone(tz).date()


def organization_today(moment: datetime | None = None) -> date:
    """The organization's calendar day (its zone, ``PILLARS_DEFAULT_TIME_ZONE``) at ``moment``,
    now when not given: a staff member's hire and exit, a caseload's first and last day, due
    and expiry days, the quarters and months of the organization's figures are its days
    (DESIGN.md rule 1). UTC's date is already tomorrow from 18:00 in Chicago."""
    return local(moment or now(), settings.PILLARS_DEFAULT_TIME_ZONE).date()


def local(moment: datetime, zone: str | tzinfo) -> datetime:
    """A stored moment seen in a unit's local zone."""
    tz = ZoneInfo(zone) if isinstance(zone, str) else zone
    return moment.astimezone(tz)


def _within_years(value: date, what: str) -> None:
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise ValueError(f"Give a {what} between the years {EARLIEST_YEAR} and {LATEST_YEAR}.")


def storable(moment: datetime) -> datetime:
    """An aware moment given from outside (an API field, a query value, a tablet's queue), in
    UTC; ValueError, saying the range, when it lies outside ``EARLIEST_YEAR`` to
    ``LATEST_YEAR``."""
    _within_years(moment, "time")
    return moment.astimezone(UTC)


def storable_day(day: date) -> date:
    """``storable`` for a calendar day: a day a record may name, or ValueError saying the range
    (a day at the calendar's edge overflows once a day is added to it)."""
    _within_years(day, "date")
    return day
