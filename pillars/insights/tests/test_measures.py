"""Measures over the summary tables: HBIPS-2/3 agree with the incidents app's own report, and
the strata split the same hours."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import time_machine

from pillars.core import clock
from pillars.incidents.selectors.restraint import hbips
from pillars.incidents.services import restraint as restraint_services
from pillars.insights import measures
from pillars.insights.summaries import rebuild
from pillars.people.services import admit_person
from pillars.people.testing import World, make_person

pytestmark = pytest.mark.django_db


def test_hbips_from_the_summary_tables_equals_the_incidents_report(world: World) -> None:
    now = clock.now()
    young = make_person("MRN-Y2", "Lee", dob=date(2012, 1, 1))
    admit_person(
        young,
        actor=world.user("nurse"),
        unit=world.unit_a,
        bed=world.beds_a[1],
        admitted_at=now - timedelta(hours=30),
    )
    for person, kind, hours_ago, minutes in (
        (world.person_a, "physical_hold", 20, 25),
        (young, "seclusion", 10, 50),
        (young, "mechanical", 5, 35),
    ):
        with time_machine.travel(now - timedelta(hours=hours_ago), tick=False):
            episode = restraint_services.start_episode(
                person,
                actor=world.user("nurse"),
                kind=kind,
                reason="Hitting staff",
                release_criteria="Calm for five minutes",
                ordered_by=world.staff["clinician"],
                ordered_at=clock.now(),
            )
        with time_machine.travel(now - timedelta(hours=hours_ago, minutes=-minutes), tick=False):
            restraint_services.release_episode(episode, actor=world.user("nurse"), reason="Calm")
    with time_machine.travel(now, tick=False):
        rebuild()
        today = clock.today_in(world.unit_a.time_zone)
        first = today - timedelta(days=3)
        rows = measures.hbips_monthly([world.unit_a.pk], first, today)
        months = {(r.year, r.month): r for r in rows}
        for expected in hbips([world.unit_a], today.year, {today.month, first.month}, now=now):
            if (expected.year, expected.month) not in months:
                continue
            got = months[(expected.year, expected.month)]
            assert got.patient_hours == pytest.approx(expected.patient_hours, abs=0.01)
            if expected.hbips2 is None:
                continue
            assert got.values["hbips-2"] == pytest.approx(expected.hbips2, rel=1e-3)
            assert got.values["hbips-3"] == pytest.approx(expected.hbips3, rel=1e-3)
        total = measures.sums([world.unit_a.pk], first, today)
    # 25 min of hold for the adult, 35 min mechanical and 50 min seclusion for the adolescent.
    assert total["restraint_seconds_adult"] == 25 * 60
    assert total["restraint_seconds_adolescent"] == 35 * 60
    assert total["seclusion_seconds_adolescent"] == 50 * 60
    assert total["restraint_starts"] == 2
    child = measures.BY_CODE["hbips-3-adolescent"].value(total)
    assert child == pytest.approx(50 * 60 / total["patient_seconds_adolescent"] * 1000, rel=1e-9)
    assert measures.BY_CODE["hbips-3-adult"].value(total) == 0
    assert measures.BY_CODE["hbips-2-older"].value(total) is None
    assert measures.BY_CODE["hbips-2"].format(total) != "no data"
