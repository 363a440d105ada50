"""Retention: annualized turnover worked out by hand (internal transfers left out, voluntary
and involuntary apart), 90-day retention of hiring cohorts old enough to judge, exit
interviews, the director's page and its CSV."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import reverse

from pillars.core.errors import Conflict, ValidationError
from pillars.people.models import Staff
from pillars.people.testing import StaffFactory, World, make_unit
from pillars.workforce.selectors import retention as sel
from pillars.workforce.services import retention as svc

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 5, 12, 17, 0, tzinfo=UTC)


def hire(name: str, unit: Any, hired: date, left: date | None = None, why: str = "") -> Staff:
    return StaffFactory.create(
        username=name, roles=["bht"], units=[unit], hired_on=hired, exited_on=left, exit_reason=why
    )


def unit_c(world: World) -> Any:
    unit, _ = make_unit(world.site, "c")
    for n in range(5):
        hire(f"t-c{n}", unit, date(2025, 6, 1))
    hire("t-vol", unit, date(2025, 6, 1), date(2026, 2, 15), "resigned_pay")
    hire("t-invol", unit, date(2025, 6, 1), date(2026, 3, 31), "terminated")
    moved = hire("t-moved", unit, date(2025, 6, 1), date(2026, 1, 20), "resigned_other")
    hire("t-new", unit, date(2026, 2, 1))
    svc.record_exit_interview(
        moved,
        actor=world.user("admin"),
        held_on=date(2026, 1, 20),
        reason="internal_transfer",
    )
    return unit


def test_turnover_by_hand(world: World) -> None:
    unit_c(world)
    with time_machine.travel(NOW, tick=False):
        view = sel.workforce_view(world.user("director"), by="unit")
    q1 = next(t for t in view.turnover if t.group == "Unit C" and t.quarter.key == "2026-Q1")
    # 1 January: the eight hired in June. 31 March (the last day): nine hired, three gone (the
    # transfer on 20 January, the resignation on 15 February, the termination on 31 March,
    # who no longer counts on their last day).
    assert (q1.headcount_start, q1.headcount_end) == (8, 6)
    assert q1.average_headcount == 7
    # The internal transfer is not a separation.
    assert (q1.voluntary, q1.involuntary) == (1, 1)
    # 2 / 7 x 365 / 90 days = 115.87 %; voluntary and involuntary 57.94 % each.
    assert q1.days == 90
    assert q1.rate == 115.9
    assert q1.voluntary_rate == q1.involuntary_rate == 57.9
    quiet = next(t for t in view.turnover if t.group == "Unit C" and t.quarter.key == "2025-Q3")
    assert quiet.rate == 0.0
    empty = next(t for t in view.turnover if t.group == "Unit C" and t.quarter.key == "2025-Q2")
    assert (empty.headcount_start, empty.headcount_end) == (0, 8)
    assert empty.rate == 0.0
    assert view.quarters[-1].key == "2026-Q1"


def test_ninety_day_retention_of_ripe_cohorts(world: World) -> None:
    unit, _ = make_unit(world.site, "d")
    hire("t-d1", unit, date(2025, 11, 1), date(2025, 12, 15), "resigned_schedule")
    # Day 90 after 1 November is 30 January: leaving that day is not staying 90 days.
    hire("t-d2", unit, date(2025, 11, 1), date(2026, 1, 30), "resigned_pay")
    hire("t-d3", unit, date(2025, 11, 1), date(2026, 3, 1), "terminated")
    hire("t-d4", unit, date(2025, 11, 1))
    transfer = hire("t-d5", unit, date(2025, 11, 10), date(2025, 11, 20), "resigned_other")
    svc.record_exit_interview(
        transfer,
        actor=world.user("director"),
        held_on=date(2025, 11, 20),
        reason="internal_transfer",
    )
    hire("t-d6", unit, date(2026, 3, 1))  # 2026-Q1's cohort is not 90 days old by 12 May
    with time_machine.travel(NOW, tick=False):
        view = sel.workforce_view(world.user("director"), by="unit")
    rows = {r.quarter.key: r for r in view.retention if r.group == "Unit D"}
    assert (rows["2025-Q4"].hired, rows["2025-Q4"].retained) == (4, 2)
    assert rows["2025-Q4"].rate == 50.0
    assert "2026-Q1" not in rows
    assert rows["2025-Q3"].rate is None


def test_by_role_counts_each_role_and_the_organization_once(world: World) -> None:
    with time_machine.travel(NOW, tick=False):
        view = sel.workforce_view(world.user("admin"), by="role")
    groups = {t.group for t in view.turnover}
    assert "The whole organization" in groups
    bht = next(t for t in view.turnover if t.group == "Behavioral health technician")
    assert bht.headcount_end == 2  # the technician of unit A and the outsider
    org = next(t for t in view.turnover if t.group == "The whole organization")
    assert org.headcount_end == Staff.objects.count()


def test_only_the_director_and_administrators_see_turnover(world: World) -> None:
    for role in ("bht", "nurse", "peer", "supervisor", "privacy"):
        with pytest.raises(PermissionDenied):
            sel.workforce_view(world.user(role))


def test_an_exit_interview_is_checked(world: World) -> None:
    staying = world.staff["nurse"]
    with pytest.raises(ValidationError):
        svc.record_exit_interview(staying, actor=world.user("admin"), held_on=date(2026, 1, 1))
    unit, _ = make_unit(world.site, "e")
    gone = hire("t-gone", unit, date(2025, 1, 1), date(2025, 6, 1), "relocated")
    with pytest.raises(ValidationError):
        svc.record_exit_interview(
            gone, actor=world.user("admin"), held_on=date(2025, 6, 1), reason="bored"
        )
    # Unit E is not the supervisor's: the record does not exist for them.
    with pytest.raises(Http404):
        svc.record_exit_interview(gone, actor=world.user("supervisor"), held_on=date(2025, 6, 1))
    with pytest.raises(ValidationError, match="future"):
        svc.record_exit_interview(gone, actor=world.user("director"), held_on=date(2099, 1, 1))
    svc.record_exit_interview(gone, actor=world.user("admin"), held_on=date(2025, 6, 1))
    with pytest.raises(Conflict):
        svc.record_exit_interview(gone, actor=world.user("admin"), held_on=date(2025, 6, 2))


def test_the_page_prints_definitions_beside_the_figures(world: World, signed_in: Any) -> None:
    unit_c(world)
    with time_machine.travel(NOW, tick=False):
        page = signed_in("director").get(reverse("workforce:retention") + "?by=unit")
        csv = signed_in("director").get(reverse("workforce:retention-csv") + "?by=unit")
    html = page.content.decode()
    assert "Annualized turnover: separations divided by average headcount" in html
    assert "115.9%" in html
    assert "<svg" in html
    body = b"".join(csv.streaming_content).decode()
    assert "Unit C,2026-Q1,8,6,7.0,1,1,115.9,57.9,57.9" in body
    assert body.startswith("# Headcount on a day")
    assert signed_in("director").get(reverse("workforce:retention") + "?by=x").status_code == 404
