"""Times in a unit's zone. Pages say the zone once; a time in the repeated hour of the night the
clocks go back (01:00 to 02:00 happens twice) carries its abbreviation, so "01:30 CDT" and
"01:30 CST" are never the same line (issue 11, item 13). Installed as a template builtin.

Being a builtin loaded after Django's, its ``date`` filter stands in for Django's own: the same
output, with the numeric formats pages show most ("Y-m-d", "Y-m-d H:i", "H:i") written out
directly. Django's general formatter took about 40 microseconds a date, and a page shows dozens
(the board a few per row)."""

from __future__ import annotations

import functools
from datetime import date as Day
from datetime import datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from django import template
from django.template import defaultfilters
from django.utils import timezone

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


# The format characters written out directly (each as Django's formatter writes it: a four-digit
# year, two-digit month, day, hour, minute and second, and the zone's abbreviation) and the
# separators between them.
_NUMERIC = {
    "Y": "{0.year:04d}",
    "m": "{0.month:02d}",
    "d": "{0.day:02d}",
    "H": "{0.hour:02d}",
    "i": "{0.minute:02d}",
    "s": "{0.second:02d}",
    "T": "{1}",
}
_SEPARATORS = frozenset("-: /")


@functools.lru_cache(maxsize=64)
def _numeric(arg: str) -> tuple[str, bool, bool] | None:
    """The format as a ``str.format`` pattern, whether it shows a time of day, and whether it
    names the zone; None for a format with any other character (Django's formatter writes it)."""
    if not arg or any(c not in _NUMERIC and c not in _SEPARATORS for c in arg):
        return None
    pattern = "".join(_NUMERIC.get(c, c) for c in arg)
    return pattern, any(c in "HisT" for c in arg), "T" in arg


def _zone_name(moment: datetime) -> str:
    """The zone's abbreviation as Django's formatter writes it ("T"): the default zone's for a
    naive moment, and nothing in an hour the clocks repeat or skip."""
    zone = moment.tzinfo
    if zone is None or timezone.is_naive(moment):
        zone = timezone.get_default_timezone()
    if zone.utcoffset(moment.replace(fold=not moment.fold)) != zone.utcoffset(moment):
        return ""
    return str(zone.tzname(moment))


@register.filter(name="date", expects_localtime=True, is_safe=False)
def date_filter(value: Any, arg: str | None = None) -> str:
    """Django's ``date`` filter: the same text for every value and format, numeric formats of a
    date or a moment written out without its general formatter."""
    numeric = _numeric(arg) if isinstance(arg, str) else None
    if numeric is not None and isinstance(value, Day):
        pattern, with_time, with_zone = numeric
        # A day has no time of day: Django refuses such a format for it, and still does.
        if isinstance(value, datetime):
            return pattern.format(value, _zone_name(value) if with_zone else "")
        if not with_time:
            return pattern.format(value)
    return str(defaultfilters.date(value, arg))
