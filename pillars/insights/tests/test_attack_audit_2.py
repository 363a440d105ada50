"""An attacker's audit of the leaders' figures, second round: a figure hidden on one scope (a
unit's month) must not come back from two figures shown on others (the organization's month
minus the other units'), on screen, in the CSV or from the API."""

from __future__ import annotations

from datetime import timedelta
from fractions import Fraction
from typing import Any

import pytest
import time_machine
from django.urls import reverse

from conftest import client_for
from pillars.core import clock
from pillars.core.roles import RoleCode
from pillars.core.tests.api_support import api_as
from pillars.insights.summaries import rebuild
from pillars.people.models import Unit
from pillars.people.testing import World, make_person, make_staff, make_unit, place
from pillars.recovery.models import Instrument
from pillars.recovery.services import capital

pytestmark = pytest.mark.django_db

# The change in BARC-10 total of the one person in the substance-use program this month.
SECRET_CHANGE = 30


def _changes(unit: Unit, peer: Any, changes: list[int], first_record: int) -> None:
    """One person per change on ``unit``, assessed yesterday and today (one change each)."""
    barc = Instrument.objects.get(code="barc-10")
    today = clock.today_in("America/Chicago")
    for n, change in enumerate(changes):
        person = make_person(f"MRN-X{first_record + n}", f"Person{first_record + n}")
        place(person, unit, None, peer)
        before = [2] * 10
        after = [2] * 10
        for item in range(change):
            after[item % 10] += 1
        for day, values in ((today - timedelta(days=1), before), (today, after)):
            capital.record_assessment(
                person,
                actor=peer.user,
                instrument=barc,
                answers={str(i + 1): v for i, v in enumerate(values)},
                administered_on=day,
            )


def _world_with_one_secret(world: World) -> Unit:
    """Five people's changes on unit A (shown), one person's on a Part 2 program (hidden)."""
    peer = make_staff("t-a-peer", [RoleCode.PEER], [world.unit_a])
    _changes(world.unit_a, peer, [1, 2, 3, 4, 7], 100)
    sud, _ = make_unit(world.site, "sud", part2=True)
    sud_peer = make_staff("t-sud-peer", [RoleCode.PEER], [sud])
    _changes(sud, sud_peer, [SECRET_CHANGE], 200)
    rebuild()
    return sud


def _worked_out(whole: str | float, part: str | float) -> set[int]:
    """What the director works out from two averages shown: each one's few cases behind it
    (the smallest denominator that gives the figure), and the whole's sum minus the part's."""
    a = Fraction(str(whole)).limit_denominator(12)
    b = Fraction(str(part)).limit_denominator(12)
    found = set()
    for n in range(a.denominator, 13, a.denominator):
        for m in range(b.denominator, n, b.denominator):
            found.add(round(a * n - b * m))
    return found


def test_the_api_does_not_give_a_hidden_units_month_back_by_subtraction(world: World) -> None:
    with time_machine.travel(clock.now(), tick=False):
        sud = _world_with_one_secret(world)
        api = api_as(world.user("director"))
        whole = api.get("/insights/measures").json()
        part = api.get("/insights/measures", {"unit": str(world.unit_a.public_id)}).json()
        hidden = api.get("/insights/measures", {"unit": str(sud.public_id)}).json()

    def month(body: dict[str, Any]) -> dict[str, Any]:
        found = {m["code"]: m for m in body["measures"]}["barc-change"]
        return found["months"][-1]

    assert month(hidden)["value"] is None
    shown = [month(whole)["value"], month(part)["value"]]
    if None not in shown:
        assert SECRET_CHANGE not in _worked_out(*shown), shown


def test_the_dashboards_do_not_give_a_hidden_units_month_back_by_subtraction(
    world: World,
) -> None:
    with time_machine.travel(clock.now(), tick=False):
        _world_with_one_secret(world)
        director = client_for(world, "director")
        whole = director.get(reverse("insights:director")).context["board"]
        part = director.get(reverse("insights:unit", args=[world.unit_a.public_id]))
        part_board = part.context["board"]
    whole_line = next(line for line in whole.lines if line.measure.code == "barc-change")
    part_line = next(line for line in part_board.lines if line.measure.code == "barc-change")
    shown = [whole_line.last_month, part_line.last_month]
    if all(text[:1].isdigit() or text[:1] == "-" for text in shown):
        assert SECRET_CHANGE not in _worked_out(*shown), shown
