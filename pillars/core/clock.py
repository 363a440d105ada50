"""The one clock.

Every piece of Pillars asks this module for the time, so tests can move it (time-machine) and
storage stays timezone-aware UTC (DESIGN.md, rule 1).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, tzinfo
from zoneinfo import ZoneInfo


def now() -> datetime:
    """The current moment, timezone-aware, in UTC."""
    return datetime.now(UTC)


def today_in(zone: str | tzinfo) -> date:
    """The calendar date at this moment in a unit's local zone."""
    tz = ZoneInfo(zone) if isinstance(zone, str) else zone
    return now().astimezone(tz).date()


def local(moment: datetime, zone: str | tzinfo) -> datetime:
    """A stored moment seen in a unit's local zone."""
    tz = ZoneInfo(zone) if isinstance(zone, str) else zone
    return moment.astimezone(tz)
