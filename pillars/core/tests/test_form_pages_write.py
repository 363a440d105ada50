"""Form pages whose fields are their service's keywords (the view hands the cleaned form over
whole): posting each stores what was typed, and a bad post stores nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse

from pillars.core import clock
from pillars.incidents.models import BehaviorContract, PlanPhase
from pillars.incidents.tests.test_behavior_pages import make_plan
from pillars.people.testing import StaffFactory, World
from pillars.recovery.models import Referral
from pillars.workforce.models import ExitInterview

pytestmark = pytest.mark.django_db


def test_a_behavior_phase_is_started_from_its_page(world: World, signed_in: Any) -> None:
    make_plan(world)  # phases and contracts belong to a behavior plan
    client = signed_in("clinician")
    url = reverse("incidents:behavior-phase-new", args=[world.person_a.public_id])
    today = clock.today_in(world.unit_a.time_zone)  # the person's unit's day
    response = client.post(url, {"name": "", "started_on": today.isoformat()})
    assert response.status_code == 200
    assert not PlanPhase.objects.exists()
    response = client.post(
        url, {"name": "baseline", "started_on": today.isoformat(), "note": "Two weeks"}
    )
    assert response.status_code == 302
    phase = PlanPhase.objects.get()
    assert (phase.person, phase.name, phase.started_on, phase.note) == (
        world.person_a,
        "baseline",
        today,
        "Two weeks",
    )


def test_a_behavior_contract_is_written_from_its_page(world: World, signed_in: Any) -> None:
    make_plan(world)  # phases and contracts belong to a behavior plan
    client = signed_in("clinician")
    url = reverse("incidents:behavior-contract-new", args=[world.person_a.public_id])
    review = clock.today_in(world.unit_a.time_zone) + timedelta(days=30)
    response = client.post(url, {"terms": "Use words", "review_on": review.isoformat()})
    assert response.status_code == 200
    assert not BehaviorContract.objects.exists()
    response = client.post(
        url, {"terms": "Use words", "rewards": "Outing", "review_on": review.isoformat()}
    )
    assert response.status_code == 302
    contract = BehaviorContract.objects.get()
    assert (contract.person, contract.terms, contract.rewards, contract.review_on) == (
        world.person_a,
        "Use words",
        "Outing",
        review,
    )


def test_an_outside_referral_is_logged_from_its_page(world: World, signed_in: Any) -> None:
    client = signed_in("peer")
    url = reverse("recovery:referral-log", args=[world.person_a.public_id])
    response = client.post(url, {"organization": "Harbor Food Bank", "reason": ""})
    assert response.status_code == 200
    assert not Referral.objects.exists()
    follow_up = clock.today_in(world.unit_a.time_zone) + timedelta(days=7)
    response = client.post(
        url,
        {
            "organization": "Harbor Food Bank",
            "contact": "555-0100",
            "reason": "Groceries each week",
            "follow_up_on": follow_up.isoformat(),
        },
    )
    assert response.status_code == 302
    referral = Referral.objects.get()
    assert (referral.person, referral.reason, referral.follow_up_on) == (
        world.person_a,
        "Groceries each week",
        follow_up,
    )


def test_an_exit_interview_is_recorded_from_its_page(world: World, signed_in: Any) -> None:
    left = StaffFactory.create(
        roles=["bht"],
        units=[world.unit_a],
        exited_on=clock.organization_today() - timedelta(days=10),
        exit_reason="resigned_pay",
    )
    client = signed_in("director")
    url = reverse("workforce:retention-exit-interview", args=[left.public_id])
    response = client.post(url, {"held_on": "not a date"})
    assert response.status_code == 200
    assert not ExitInterview.objects.exists()
    held = clock.organization_today() - timedelta(days=9)
    response = client.post(
        url,
        {
            "held_on": held.isoformat(),
            "reason": "",
            "would_return": "true",
            "what_helped": "The team",
            "what_would_change": "Pay",
        },
    )
    assert response.status_code == 302
    interview = ExitInterview.objects.get()
    assert (interview.staff, interview.held_on, interview.would_return) == (left, held, True)
    assert (interview.what_helped, interview.what_would_change) == ("The team", "Pay")
