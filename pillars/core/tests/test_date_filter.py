"""The ``date`` filter pages use is Pillars' (``pillars_time``, a builtin): it must write exactly
what Django's own writes, for every value and format, in any zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from itertools import product
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.template import Context, engines
from django.template import defaultfilters as django_filters
from django.utils import timezone

from pillars.core.templatetags.pillars_time import date_filter

FORMATS = [
    "Y-m-d",
    "Y-m-d H:i",
    "H:i",
    "Y-m-d H:i:s",
    "d/m/Y",
    "Y-m-d H:i T",
    "H:i T",
    "j M Y",
    "D Y-m-d H:i",
    "c",
    "",
    None,
    "DATE_FORMAT",
]
CHICAGO = ZoneInfo("America/Chicago")
VALUES = [
    datetime(2026, 3, 8, 7, 59, 30, tzinfo=UTC),
    datetime(2026, 11, 1, 6, 30, tzinfo=UTC).astimezone(CHICAGO),  # the repeated hour
    datetime(2026, 11, 1, 7, 30, tzinfo=UTC).astimezone(CHICAGO),
    datetime(2026, 3, 8, 2, 30, tzinfo=CHICAGO),  # a wall time the clocks skip
    datetime(2026, 7, 1, 12, 5),  # naive: the default zone's name
    datetime(9, 1, 2, 3, 4, 5),  # naive, a year below 1000
    date(2026, 12, 31),
    date(987, 1, 1),
    None,
    "",
    "2026-01-01",
]


@pytest.mark.parametrize(("value", "arg"), list(product(VALUES, FORMATS)))
def test_it_writes_what_djangos_writes(value: Any, arg: str | None) -> None:
    try:
        expected = django_filters.date(value, arg)
    except TypeError as refused:  # a time of day asked of a day
        with pytest.raises(TypeError, match=str(refused)[:30]):
            date_filter(value, arg)
        return
    assert date_filter(value, arg) == expected


def test_pages_use_it_with_their_moments_in_the_zone_they_name() -> None:
    engine: Any = engines["django"]
    template = engine.from_string(
        '{% load tz %}{{ moment|date:"Y-m-d H:i" }}|{{ moment|timezone:"America/Chicago"'
        '|date:"Y-m-d H:i" }}|{{ moment|date:"H:i T" }}'
    )
    moment = datetime(2026, 7, 1, 12, 5, tzinfo=UTC)
    with timezone.override(ZoneInfo("Asia/Tokyo")):
        shown = template.template.render(Context({"moment": moment}))
    assert shown == "2026-07-01 21:05|2026-07-01 07:05|21:05 JST"
    assert engine.engine.template_builtins[-1].filters["date"] is date_filter
    later = moment + timedelta(days=200)
    assert date_filter(later, "Y-m-d") == "2027-01-17"
