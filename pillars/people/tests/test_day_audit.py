"""Staff and caseload days on the organization's calendar, not UTC's: a worker's last day, a
caseload's first and last day, who is listed as working here, judged in the evening in Chicago
(when UTC is already on the next day)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
import time_machine
from django.urls import reverse

from pillars.core import policy
from pillars.core.roles import RoleCode
from pillars.people import services
from pillars.people.choices import CaseloadKind
from pillars.people.models import CaseloadAssignment, Staff
from pillars.people.testing import World

pytestmark = pytest.mark.django_db

# 03:00 UTC on 9 December is 21:00 on 8 December in Chicago (the units' and the default zone).
EVENING = datetime(2026, 12, 9, 3, 0, tzinfo=UTC)
TODAY = date(2026, 12, 8)  # in Chicago
TOMORROW = date(2026, 12, 9)


def _leaves_tomorrow(world: World, role: str) -> Staff:
    staff = world.staff[role]
    Staff.objects.filter(pk=staff.pk).update(exited_on=TOMORROW, exit_reason="resigned_pay")
    staff.refresh_from_db()
    return staff


def test_a_worker_whose_last_day_is_tomorrow_keeps_their_rights_this_evening(
    world: World,
) -> None:
    staff = _leaves_tomorrow(world, RoleCode.NURSE)
    with time_machine.travel(EVENING, tick=False):
        actor = policy.actor_for(type(staff.user).objects.get(pk=staff.user_id))
        assert RoleCode.NURSE in actor.roles
        assert world.unit_a.pk in actor.unit_ids


def test_a_caseload_ending_today_still_opens_the_person_this_evening(world: World) -> None:
    # person_b is on unit B, outside the peer's home unit: only the caseload opens them.
    CaseloadAssignment.objects.create(
        staff=world.staff[RoleCode.PEER],
        person=world.person_b,
        kind=CaseloadKind.PEER,
        started_on=date(2026, 12, 1),
        ended_on=TODAY,
    )
    with time_machine.travel(EVENING, tick=False):
        actor = policy.actor_for(world.user(RoleCode.PEER))
        assert world.person_b.pk in actor.caseload_person_ids
        assert policy.is_visible(actor, world.person_b)


def test_a_caseload_starting_tomorrow_does_not_open_the_person_this_evening(
    world: World,
) -> None:
    CaseloadAssignment.objects.create(
        staff=world.staff[RoleCode.PEER],
        person=world.person_b,
        kind=CaseloadKind.PEER,
        started_on=TOMORROW,
    )
    with time_machine.travel(EVENING, tick=False):
        actor = policy.actor_for(world.user(RoleCode.PEER))
        assert world.person_b.pk not in actor.caseload_person_ids
        assert not policy.is_visible(actor, world.person_b)


def test_a_caseload_assigned_this_evening_starts_and_ends_on_todays_date(world: World) -> None:
    with time_machine.travel(EVENING, tick=False):
        assignment = services.assign_caseload(
            actor=world.user(RoleCode.SUPERVISOR),
            staff=world.staff[RoleCode.PEER],
            person=world.person_a,
            kind=CaseloadKind.PEER,
        )
        assert assignment.started_on == TODAY
        ended = services.end_caseload(assignment, actor=world.user(RoleCode.SUPERVISOR))
        assert ended.ended_on == TODAY


def test_exit_recorded_this_evening_for_tomorrow_leaves_the_account_on(world: World) -> None:
    staff = world.staff[RoleCode.BHT]
    with time_machine.travel(EVENING, tick=False):
        services.exit_staff(
            staff, actor=world.user(RoleCode.ADMIN), exited_on=TOMORROW, exit_reason="resigned_pay"
        )
    staff.user.refresh_from_db()
    assert staff.user.is_active


def test_the_staff_list_shows_a_worker_leaving_tomorrow_as_current(
    world: World, signed_in: Any
) -> None:
    staff = _leaves_tomorrow(world, RoleCode.BHT)
    with time_machine.travel(EVENING, tick=False):
        client = signed_in(RoleCode.ADMIN)
        current = client.get(reverse("people:staff-list"), {"status": "current"})
        left = client.get(reverse("people:staff-list"), {"status": "left"})
    assert staff.display_name in current.content.decode()
    assert staff.display_name not in left.content.decode()


def test_the_person_page_lists_a_caseload_ending_today_as_active(
    world: World, signed_in: Any
) -> None:
    assignment = CaseloadAssignment.objects.create(
        staff=world.staff[RoleCode.PEER],
        person=world.person_a,
        kind=CaseloadKind.PEER,
        started_on=date(2026, 12, 1),
        ended_on=TODAY,
    )
    with time_machine.travel(EVENING, tick=False):
        page = signed_in(RoleCode.NURSE).get(
            reverse("people:person-detail", args=[world.person_a.public_id])
        )
    assert page.status_code == 200
    assert assignment.public_id in [a.public_id for a in page.context["active_caseload"]]
    assert assignment.public_id not in [a.public_id for a in page.context["past_caseload"]]
