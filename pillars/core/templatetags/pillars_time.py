"""Times in a unit's zone. Pages say the zone once; a time in the repeated hour of the night the
clocks go back (01:00 to 02:00 happens twice) carries its abbreviation, so "01:30 CDT" and
"01:30 CST" are never the same line (issue 11, item 13). Installed as a template builtin."""

from __future__ import annotations

from datetime import datetime, tzinfo
from zoneinfo import ZoneInfo

from django import template

register = template.Library()


def _tz(zone: str | tzinfo) -> tzinfo:
    return zone if isinstance(zone, tzinfo) else ZoneInfo(str(zone))


def is_repeated_hour(moment: datetime, zone: str | tzinfo) -> bool:
    """Whether the local wall time of ``moment`` occurs twice in ``zone`` (fall-back night)."""
    local = moment.astimezone(_tz(zone))
    other = local.replace(fold=1 - local.fold)
    return other.utcoffset() != local.utcoffset()


@register.filter
def fold_mark(moment: datetime | None, zone: str | tzinfo | None) -> str:
    """ " CDT" (the zone's abbreviation, with a leading space) when the moment's local time is in
    the repeated hour; nothing otherwise."""
    if not isinstance(moment, datetime) or not zone or moment.tzinfo is None:
        return ""
    try:
        if not is_repeated_hour(moment, zone):
            return ""
        return " " + (moment.astimezone(_tz(zone)).tzname() or "")
    except (KeyError, ValueError):
        return ""
