"""An attacker's audit of the incidents API: what a valid token of a low-privilege role, or a
tablet's replayed queue, tries beyond the permission matrix and the fuzz run."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import time_machine
from django.urls import reverse

from pillars.core import clock
from pillars.core.tests.api_support import api_as, assert_problem
from pillars.incidents.models import BehaviorPlan, BehaviorRecord
from pillars.incidents.tests.test_behavior_api import body, plan, url
from pillars.people.testing import World

__all__ = ["plan"]  # the fixture, shared with the behavior API's tests


def test_a_refused_behavior_batch_names_the_entry_that_failed(
    world: World, plan: BehaviorPlan
) -> None:
    # A tablet's queue is sent whole and stored all or none: the refusal must say which entry
    # to set aside, or the queue is refused on every resend.
    api = api_as(world.user("bht"))
    late = (clock.now() - timedelta(hours=2)).isoformat()
    records = [body(plan), body(plan), body(plan, observed_at=late)]
    problem = assert_problem(
        api.post(url(world, "behavior-records/batch"), {"records": records}), 422
    )
    assert set(problem["errors"]) == {"records.2.late_reason"}, problem
    assert not BehaviorRecord.objects.exists()


def test_a_batch_entry_replayed_with_other_details_is_named_in_the_conflict(
    world: World, plan: BehaviorPlan
) -> None:
    api = api_as(world.user("bht"))
    first = body(plan)
    assert api.post(url(world, "behavior-records"), first).status_code == 201
    clash = {**first, "count": 9}
    problem = assert_problem(
        api.post(url(world, "behavior-records/batch"), {"records": [body(plan), clash]}), 409
    )
    assert "records.1" in problem["detail"], problem
    assert BehaviorRecord.objects.count() == 1


def test_the_restraint_report_opens_on_the_month_of_the_organizations_day(
    world: World, signed_in: Any
) -> None:
    """At 19:00 on 31 March in Chicago (April in UTC) the report opens on March, the month
    the director is still in, not on an April with nothing in it yet."""
    evening = datetime(2026, 3, 31, 19, 0, tzinfo=ZoneInfo("America/Chicago"))
    with time_machine.travel(evening, tick=False):
        page = signed_in("director").get(reverse("incidents:restraint-report"))
    assert page.status_code == 200
    assert (page.context["year"], page.context["month"]) == (2026, 3)
