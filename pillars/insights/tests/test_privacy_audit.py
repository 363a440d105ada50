"""Privacy audit of the insights dashboards ("Small cells", 42 CFR Part 2): a measure that
averages persons' own scores (the BARC-10 change) is a person's own score when one person is
behind it; on the director's screen it came from a substance-use program's records, outside
the recovery team and without a consent."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse

from conftest import client_for
from pillars.core import clock
from pillars.core.roles import RoleCode
from pillars.core.tests.api_support import api_as
from pillars.insights import dashboards
from pillars.insights.measures import BY_CODE
from pillars.insights.summaries import rebuild
from pillars.people.testing import World, make_person, make_staff, make_unit, place
from pillars.recovery.models import Instrument
from pillars.recovery.services import capital

pytestmark = pytest.mark.django_db


def _one_persons_barc_change(world: World) -> float:
    """Two BARC-10 assessments of one person in a Part 2 program this month: one change."""
    sud, beds = make_unit(world.site, "sud", part2=True)
    peer = make_staff("t-sud-peer", [RoleCode.PEER], [sud])
    person = make_person("MRN-S9", "Delgado")
    place(person, sud, beds[0], peer)
    barc = Instrument.objects.get(code="barc-10")
    today = clock.today_in("America/Chicago")
    first = capital.record_assessment(
        person,
        actor=peer.user,
        instrument=barc,
        answers={str(n): 2 for n in range(1, 11)},
        administered_on=today - timedelta(days=1),
    )
    second = capital.record_assessment(
        person,
        actor=peer.user,
        instrument=barc,
        answers={str(n): 5 for n in range(1, 11)},
        administered_on=today,
    )
    rebuild()
    return float(second.total - first.total)


def test_one_persons_barc_change_is_not_shown_as_a_unit_or_month_figure(world: World) -> None:
    with time_machine.travel(clock.now(), tick=False):
        change = _one_persons_barc_change(world)
        assert change == 30.0
        units = dashboards.lead_units(world.user("director"))
        board = dashboards.build(
            "Organization insights", "organization", [u.pk for u in units], unit_rows=units
        )
    measure = BY_CODE["barc-change"]
    index = [m.code for m in dashboards.HEADLINE].index("barc-change")
    line = next(line for line in board.lines if line.measure.code == "barc-change")
    shown = [line.text, line.last_month]
    shown += [measure.format(sums) for _, sums in board.months]
    shown += [row["figures"][index] for row in board.units]
    assert "30.00" not in shown, shown


def test_one_persons_barc_change_leaves_by_neither_the_csv_nor_the_api(world: World) -> None:
    with time_machine.travel(clock.now(), tick=False):
        _one_persons_barc_change(world)
        response = client_for(world, "director").get(reverse("insights:csv"))
        body = b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]
        reply = api_as(world.user("director")).get("/insights/measures")
    assert response.status_code == 200
    assert "30.00" not in body
    found = {m["code"]: m for m in reply.json()["measures"]}["barc-change"]
    assert [m["value"] for m in found["months"] if m["value"] is not None] == []
    assert not any("30.00" in m["text"] for m in found["months"])
