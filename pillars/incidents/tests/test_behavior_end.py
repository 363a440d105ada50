"""Ending a behavior plan: who may, the end-date rule in the unit's zone, what stops (recording,
the board's link, signing the plan's contracts), what stays readable (history, chart), and a
new plan written later as the next version. Service, page and API, refusals storing nothing."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import reverse

from pillars.audit.models import AuditEvent
from pillars.core import clock
from pillars.core.errors import Conflict, ValidationError
from pillars.core.tests.api_support import api_as, assert_problem
from pillars.incidents.models import (
    BehaviorContract,
    BehaviorPlan,
    BehaviorRecord,
    ContractStatus,
    PlanStatus,
)
from pillars.incidents.services import behavior as services
from pillars.people.testing import World
from pillars.rounds import services as rounds_services
from pillars.rounds.models import ObservationLevel

pytestmark = pytest.mark.django_db

# 22:00 on 9 March 2025 in Chicago (CDT, UTC-5) is already 10 March in UTC: "today" on the
# unit is the 9th.
EVENING = datetime(2025, 3, 10, 3, 0, tzinfo=UTC)
UNIT_TODAY = date(2025, 3, 9)
TARGET = {"name": "Hitting", "definition": "Hand contact, with force.", "measure": "frequency"}


def write(world: World, effective_on: date, **extra: Any) -> BehaviorPlan:
    return services.write_plan(
        world.person_a,
        actor=world.user("clinician"),
        effective_on=effective_on,
        targets=[TARGET],
        antecedents=["Peer conflict"],
        consequences=["Offered space"],
        **extra,
    )


def end(world: World, ended_on: date, role: str = "clinician", **extra: Any) -> BehaviorPlan:
    values: dict[str, Any] = {"reason": "Goals met for three months", **extra}
    return services.end_plan(world.person_a, actor=world.user(role), ended_on=ended_on, **values)


def record(world: World, plan: BehaviorPlan, observed_at: datetime | None = None) -> BehaviorRecord:
    return services.record_behavior(
        world.person_a,
        actor=world.user("bht"),
        target=plan.targets.get(),
        observed_at=observed_at or clock.now(),
        antecedent="Peer conflict",
        consequence="Offered space",
        client_id=uuid.uuid4(),
    )


def contract(world: World, *, sign: bool) -> BehaviorContract:
    clinician = world.user("clinician")
    written = services.write_contract(
        world.person_a,
        actor=clinician,
        terms="Use the break card.",
        rewards="Outing",
        review_on=clock.organization_today() + timedelta(days=30),
    )
    if sign:
        services.sign_contract(written, actor=clinician, signer="person", signed_name="Alex")
        written = services.sign_contract(written, actor=clinician, signer="staff")
    return written


@pytest.fixture
def evening() -> Any:
    with time_machine.travel(EVENING, tick=False):
        yield


# --- The service ------------------------------------------------------------------------------


def test_ending_is_stored_with_who_when_why_and_audited(world: World, evening: Any) -> None:
    plan = write(world, UNIT_TODAY - timedelta(days=20))
    ended = end(world, UNIT_TODAY, version=plan.version)
    plan.refresh_from_db()
    assert plan.status == PlanStatus.ENDED
    assert not plan.is_current
    assert plan.ended_on == UNIT_TODAY
    assert plan.ended_by == world.staff["clinician"]
    assert plan.ended_at == EVENING
    assert plan.end_reason == "Goals met for three months"
    assert ended.pk == plan.pk
    event = AuditEvent.objects.filter(object_id=str(plan.public_id), action="update").get()
    assert event.detail["event"] == "end"
    assert event.detail["ended_on"] == "2025-03-09"
    assert event.detail["old"]["status"] == "active"
    assert event.detail["new"]["status"] == "ended"


def test_end_date_rule_in_the_unit_zone(world: World, evening: Any) -> None:
    write(world, UNIT_TODAY - timedelta(days=5))
    before = AuditEvent.objects.count()
    # The 10th is already today in UTC but still tomorrow on the unit.
    with pytest.raises(ValidationError) as exc:
        end(world, UNIT_TODAY + timedelta(days=1))
    assert "today is 2025-03-09" in str(exc.value.error_dict["ended_on"])
    with pytest.raises(ValidationError) as exc:
        end(world, UNIT_TODAY - timedelta(days=6))
    assert "took effect on 2025-03-04" in str(exc.value.error_dict["ended_on"])
    assert BehaviorPlan.objects.get().status == PlanStatus.ACTIVE
    assert AuditEvent.objects.count() == before
    # The day it took effect is allowed (a plan may end the day it started).
    assert end(world, UNIT_TODAY - timedelta(days=5)).is_ended


def test_end_cannot_come_before_behavior_recorded_under_the_plan(
    world: World, evening: Any
) -> None:
    plan = write(world, UNIT_TODAY - timedelta(days=5))
    # Recorded 21:50 on the 9th, unit time (02:50 UTC on the 10th).
    record(world, plan, observed_at=EVENING - timedelta(minutes=10))
    with pytest.raises(ValidationError) as exc:
        end(world, UNIT_TODAY - timedelta(days=1))
    assert "recorded under this plan on 2025-03-09" in str(exc.value.error_dict["ended_on"])
    assert end(world, UNIT_TODAY).is_ended


def test_end_needs_a_reason_a_plan_and_the_version_seen(world: World, evening: Any) -> None:
    with pytest.raises(ValidationError) as exc:
        end(world, UNIT_TODAY)
    assert "no behavior plan in force" in str(exc.value)
    write(world, UNIT_TODAY - timedelta(days=5))
    with pytest.raises(ValidationError) as exc:
        end(world, UNIT_TODAY, reason="  ")
    assert "reason" in exc.value.error_dict
    with pytest.raises(ValidationError) as exc:
        end(world, UNIT_TODAY, reason="x" * 501)
    assert "reason" in exc.value.error_dict
    # Another clinician changed the plan after this one looked at version 1.
    write(world, UNIT_TODAY, change_reason="Narrower definition")
    with pytest.raises(Conflict):
        end(world, UNIT_TODAY, version=1)
    assert not BehaviorPlan.objects.filter(status=PlanStatus.ENDED).exists()
    assert end(world, UNIT_TODAY, version=2).version == 2


@pytest.mark.parametrize("role", ["bht", "nurse", "peer", "supervisor", "director"])
def test_only_clinicians_end_plans(world: World, evening: Any, role: str) -> None:
    write(world, UNIT_TODAY)
    with pytest.raises(PermissionDenied):
        end(world, UNIT_TODAY, role=role)
    assert BehaviorPlan.objects.get().is_current


def test_out_of_scope_is_not_found(world: World, evening: Any) -> None:
    write(world, UNIT_TODAY)
    with pytest.raises(Http404):
        end(world, UNIT_TODAY, role="outsider")
    assert BehaviorPlan.objects.get().is_current


def test_recording_against_an_ended_plan_is_refused(world: World, evening: Any) -> None:
    plan = write(world, UNIT_TODAY - timedelta(days=5))
    first = record(world, plan)
    end(world, UNIT_TODAY)
    with pytest.raises(ValidationError) as exc:
        record(world, plan)
    assert "ended on 2025-03-09" in str(exc.value.error_dict["target"])
    assert BehaviorRecord.objects.count() == 1
    # A device replaying a record made before the end gets the first answer, not a refusal.
    again = services.record_behavior(
        world.person_a,
        actor=world.user("bht"),
        target=plan.targets.get(),
        observed_at=first.observed_at,
        antecedent=first.antecedent,
        consequence=first.consequence,
        client_id=first.client_id,
    )
    assert again.pk == first.pk


def test_open_contracts_end_with_the_plan_and_are_not_signed(world: World, evening: Any) -> None:
    write(world, UNIT_TODAY - timedelta(days=5))
    signed = contract(world, sign=True)
    awaiting = contract(world, sign=False)
    end(world, UNIT_TODAY)
    signed.refresh_from_db()
    awaiting.refresh_from_db()
    assert (signed.status, awaiting.status) == (ContractStatus.ENDED, ContractStatus.ENDED)
    assert signed.terms == "Use the break card."  # still readable, unchanged
    with pytest.raises(Conflict) as exc:
        services.sign_contract(awaiting, actor=world.user("clinician"), signer="staff")
    assert "ended" in exc.value.message
    awaiting.refresh_from_db()
    assert awaiting.staff_signed_at is None
    event = AuditEvent.objects.filter(
        object_id=str(BehaviorPlan.objects.get().public_id), action="update"
    ).get()
    assert {c["was"] for c in event.detail["contracts_ended"]} == {"signed", "awaiting"}


def test_a_new_plan_after_the_end_is_the_next_version(world: World, evening: Any) -> None:
    first = write(world, UNIT_TODAY - timedelta(days=5))
    end(world, UNIT_TODAY - timedelta(days=1))
    with pytest.raises(ValidationError) as exc:
        write(world, UNIT_TODAY - timedelta(days=2))
    assert "ended on 2025-03-08" in str(exc.value.error_dict["effective_on"])
    # No change reason is needed: there is no plan in force to change.
    second = write(world, UNIT_TODAY)
    first.refresh_from_db()
    assert (second.version, second.is_current, second.replaces) == (2, True, first)
    assert first.is_ended
    assert record(world, second).target.plan == second
    event = AuditEvent.objects.filter(object_id=str(second.public_id)).get()
    assert event.detail["replaces"] == str(first.public_id)


# --- Pages ------------------------------------------------------------------------------------


def test_end_page_confirms_then_ends(world: World, signed_in: Any, evening: Any) -> None:
    plan = write(world, UNIT_TODAY - timedelta(days=5))
    record(world, plan)
    contract(world, sign=True)
    client = signed_in("clinician")
    url = reverse("incidents:behavior-plan-end", args=[world.person_a.public_id])
    form = client.get(url).content.decode()
    assert 'value="2025-03-09"' in form  # the unit's today, not UTC's
    assert "1 open contract" in form
    post = {"version": "1", "ended_on": "2025-03-09", "reason": "Goals met"}
    unconfirmed = client.post(url, post)
    assert unconfirmed.status_code == 200
    assert "Confirm that the plan ends." in unconfirmed.content.decode()
    future = client.post(url, {**post, "ended_on": "2025-03-10", "confirm": "on"})
    assert future.status_code == 200
    assert "A plan cannot end in the future" in future.content.decode()
    assert BehaviorPlan.objects.get().is_current
    done = client.post(url, {**post, "confirm": "on"})
    assert done.status_code == 302
    page = client.get(done["Location"]).content.decode()
    assert "The behavior plan ended on 2025-03-09" in page
    assert "Goals met" in page
    assert world.staff["clinician"].display_name in page
    assert "Version 1" in page  # the history stays
    assert "Ended with the plan" in page
    assert reverse("incidents:behavior-chart", args=[world.person_a.public_id]) in page
    assert reverse("incidents:behavior-plan-end", args=[world.person_a.public_id]) not in page
    chart = client.get(reverse("incidents:behavior-chart", args=[world.person_a.public_id]))
    assert "Hitting: 1 in 30 days" in chart.content.decode()
    # Nothing left to end.
    assert "There is nothing to end." in client.get(url).content.decode()


def test_after_the_end_the_floor_is_not_offered_recording(
    world: World, signed_in: Any, evening: Any
) -> None:
    plan = write(world, UNIT_TODAY - timedelta(days=5))
    rounds_services.order_observation(
        world.person_a,
        actor=world.user("nurse"),
        level=ObservationLevel.objects.get(code="q15", is_current=True),
        reason="Admission default",
    )
    client = signed_in("bht")
    record_url = reverse("incidents:behavior-record-new", args=[world.person_a.public_id])
    board_url = reverse("rounds:board", args=[world.unit_a.public_id])
    assert record_url in client.get(board_url).content.decode()
    end(world, UNIT_TODAY)
    assert record_url not in client.get(board_url).content.decode()
    person = client.get(reverse("people:person-detail", args=[world.person_a.public_id]))
    assert "The behavior plan ended on 2025-03-09" in person.content.decode()
    assert record_url not in person.content.decode()
    # A form opened before the end and posted after it stores nothing and says why.
    response = client.post(
        record_url,
        {
            "client_id": str(uuid.uuid4()),
            "target": str(plan.targets.get().public_id),
            "antecedent": "Peer conflict",
            "consequence": "Offered space",
            "count": "1",
            "observed_at": "2025-03-09T21:55",
        },
    )
    assert response.status_code == 200
    assert "The behavior plan ended on 2025-03-09" in response.content.decode()
    assert "Nothing was saved." in response.content.decode()
    assert not BehaviorRecord.objects.exists()


# --- API --------------------------------------------------------------------------------------


def test_api_end_then_record_is_refused(world: World, evening: Any) -> None:
    plan = write(world, UNIT_TODAY - timedelta(days=5))
    path = f"/persons/{world.person_a.public_id}/behavior-plan"
    assert_problem(
        api_as(world.user("bht")).post(f"{path}/end", {"ended_on": "2025-03-09", "reason": "x"}),
        403,
    )
    api = api_as(world.user("clinician"))
    assert_problem(api.post(f"{path}/end", {"ended_on": "2025-03-10", "reason": "Done"}), 422)
    assert_problem(
        api.post(f"{path}/end", {"ended_on": "2025-03-09", "reason": "Done", "version": 4}), 409
    )
    response = api.post(f"{path}/end", {"ended_on": "2025-03-09", "reason": "Goals met"})
    assert response.status_code == 200, response.content
    data = response.json()
    assert (data["status"], data["ended_on"], data["end_reason"]) == (
        "ended",
        "2025-03-09",
        "Goals met",
    )
    assert data["ended_by"] == world.staff["clinician"].display_name
    read = api_as(world.user("bht")).get(path).json()
    assert read["status"] == "ended"
    assert read["version"] == 1
    problem = assert_problem(
        api_as(world.user("bht")).post(
            f"/persons/{world.person_a.public_id}/behavior-records",
            {
                "client_id": str(uuid.uuid4()),
                "target": str(plan.targets.get().public_id),
                "observed_at": clock.now().isoformat(),
                "antecedent": "Peer conflict",
                "consequence": "Offered space",
            },
        ),
        422,
    )
    assert "ended on 2025-03-09" in str(problem)
    assert not BehaviorRecord.objects.exists()
    # Ending again: nothing in force.
    assert_problem(api.post(f"{path}/end", {"ended_on": "2025-03-09", "reason": "Again"}), 422)
