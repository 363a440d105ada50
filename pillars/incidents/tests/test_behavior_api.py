"""The behavior API: the plan, ABC records (create, replay, conflict, batch, cursor list) and
the chart's numbers."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest

from pillars.core import clock
from pillars.core.tests.api_support import api_as, assert_problem
from pillars.incidents.models import BehaviorPlan, BehaviorRecord
from pillars.incidents.services import behavior as services
from pillars.people.testing import World

pytestmark = pytest.mark.django_db


@pytest.fixture
def plan(world: World) -> BehaviorPlan:
    plan = services.write_plan(
        world.person_a,
        actor=world.user("clinician"),
        effective_on=clock.organization_today() - timedelta(days=10),
        targets=[{"name": "Hitting", "definition": "Hand contact.", "measure": "frequency"}],
        antecedents=["Peer conflict"],
        consequences=["Offered space"],
    )
    services.change_phase(
        world.person_a,
        actor=world.user("clinician"),
        name="Intervention",
        started_on=clock.organization_today() - timedelta(days=3),
    )
    return plan


def body(plan: BehaviorPlan, **extra: Any) -> dict[str, Any]:
    return {
        "client_id": str(uuid.uuid4()),
        "target": str(plan.targets.get().public_id),
        "observed_at": clock.now().isoformat(),
        "antecedent": "Peer conflict",
        "consequence": "Offered space",
        "count": 2,
        **extra,
    }


def url(world: World, tail: str) -> str:
    return f"/persons/{world.person_a.public_id}/{tail}"


def test_plan_read(world: World, plan: BehaviorPlan) -> None:
    response = api_as(world.user("peer")).get(url(world, "behavior-plan"))
    assert response.status_code == 200
    data = response.json()
    assert data["version"] == 1
    assert data["targets"][0]["key"] == "hitting"
    assert data["phases"][0]["name"] == "Intervention"


def test_create_replay_and_conflict(world: World, plan: BehaviorPlan) -> None:
    api = api_as(world.user("bht"))
    payload = body(plan)
    first = api.post(url(world, "behavior-records"), payload)
    assert first.status_code == 201, first.content
    again = api.post(url(world, "behavior-records"), payload)
    assert again.status_code == 201
    assert again.json()["public_id"] == first.json()["public_id"]
    assert BehaviorRecord.objects.count() == 1
    clash = api.post(url(world, "behavior-records"), {**payload, "count": 9})
    assert_problem(clash, 409)
    assert BehaviorRecord.objects.count() == 1


def test_bad_record_is_422_and_stores_nothing(world: World, plan: BehaviorPlan) -> None:
    api = api_as(world.user("bht"))
    late = (clock.now() - timedelta(hours=2)).isoformat()
    problem = assert_problem(
        api.post(url(world, "behavior-records"), body(plan, observed_at=late)), 422
    )
    assert "late_reason" in str(problem)
    assert_problem(api.post(url(world, "behavior-records"), body(plan, intensity=9)), 422)
    assert not BehaviorRecord.objects.exists()


def test_batch_is_all_or_nothing(world: World, plan: BehaviorPlan) -> None:
    api = api_as(world.user("nurse"))
    good, bad = body(plan), body(plan, antecedent=" ")
    assert_problem(api.post(url(world, "behavior-records/batch"), {"records": [good, bad]}), 422)
    assert not BehaviorRecord.objects.exists()
    ok = api.post(url(world, "behavior-records/batch"), {"records": [good, body(plan)]})
    assert ok.status_code == 201, ok.content
    assert BehaviorRecord.objects.count() == 2


def test_list_pages_with_a_cursor_and_chart(world: World, plan: BehaviorPlan) -> None:
    api = api_as(world.user("bht"))
    for minutes in (9, 6, 3):
        moment = (clock.now() - timedelta(minutes=minutes)).isoformat()
        assert (
            api.post(url(world, "behavior-records"), body(plan, observed_at=moment)).status_code
            == 201
        )
    page = api.get(url(world, "behavior-records"), {"limit": 2}).json()
    assert len(page["items"]) == 2
    assert page["next_cursor"]
    rest = api.get(
        url(world, "behavior-records"), {"limit": 2, "cursor": page["next_cursor"]}
    ).json()
    assert len(rest["items"]) == 1
    assert rest["next_cursor"] is None
    chart = api.get(url(world, "behavior-chart"), {"target": "hitting"}).json()
    assert sum(b["total"] for b in chart["buckets"]) == 6
    assert len(chart["buckets"]) == 30
    assert [p["name"] for p in chart["phase_changes"]] == ["Intervention"]
    assert api.get(url(world, "behavior-chart"), {"target": "nope"}).status_code == 404
