"""Times in the unit's zone: the zone is said once per page, and a time in the repeated hour of
the fall-back night says which 01:00 it is (issue 11, item 13)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from django.template import Context, Template

from pillars.core.templatetags.pillars_time import fold_mark, is_repeated_hour
from pillars.people.testing import World

ZONE = "America/Chicago"


def test_the_repeated_hour_carries_its_abbreviation() -> None:
    # 2026-11-01: clocks go back at 02:00 CDT; 01:30 happens at 06:30 and at 07:30 UTC.
    first = datetime(2026, 11, 1, 6, 30, tzinfo=UTC)
    second = datetime(2026, 11, 1, 7, 30, tzinfo=UTC)
    assert is_repeated_hour(first, ZONE) and is_repeated_hour(second, ZONE)  # noqa: PT018
    assert (fold_mark(first, ZONE), fold_mark(second, ZONE)) == (" CDT", " CST")
    # Any other hour, and the spring-forward night, need nothing.
    assert fold_mark(datetime(2026, 11, 1, 9, 0, tzinfo=UTC), ZONE) == ""
    assert fold_mark(datetime(2026, 3, 8, 8, 30, tzinfo=UTC), ZONE) == ""
    assert fold_mark(None, ZONE) == ""
    assert fold_mark(first, "") == ""


def test_templates_use_it_without_loading_a_library() -> None:
    text = Template('{% load tz %}{{ m|timezone:z|date:"H:i" }}{{ m|fold_mark:z }}').render(
        Context({"m": datetime(2026, 11, 1, 7, 30, tzinfo=UTC), "z": ZONE})
    )
    assert text == "01:30 CST"


@pytest.mark.django_db
def test_the_person_page_says_the_zone_once(world: World, signed_in: Any) -> None:
    from pillars.rounds.tests.floor import order_for

    order_for(world)
    body = signed_in("nurse").get(f"/people/persons/{world.person_a.public_id}/").content
    text = body.decode()
    zone = world.unit_a.time_zone
    assert text.count(zone) == 1, f"{zone} appears {text.count(zone)} times"
    assert f"Times are in {zone}." in text
