"""Permission matrix for the behavior area: plans, phases, contracts, ABC records, the chart and
corrections, on pages and in the API. The fixtures give person A (unit A) a plan with one
target, an awaiting contract and one ABC record; the outsider works on unit B (404)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from pillars.core import clock
from pillars.core.tests.matrix_support import Case
from pillars.incidents.models import BehaviorContract, BehaviorPlan, BehaviorRecord, TargetBehavior
from pillars.people.testing import World


def person_a(w: World, extra: dict[str, Any]) -> dict[str, Any]:
    return {"public_id": w.person_a.public_id}


def contract(w: World, extra: dict[str, Any]) -> dict[str, Any]:
    return {"public_id": extra["behavior_contract"].public_id}


def record(w: World, extra: dict[str, Any]) -> dict[str, Any]:
    return {"public_id": extra["behavior_record"].public_id}


def _record_body(w: World, who: str) -> dict[str, Any]:
    target = TargetBehavior.objects.filter(plan__person=w.person_a, plan__is_current=True).first()
    return {
        "client_id": str(uuid.uuid4()),
        "target": str(target.public_id) if target else str(uuid.uuid4()),
        "observed_at": clock.now().isoformat(),
        "antecedent": "Peer conflict",
        "consequence": "Offered space",
        "count": 1,
    }


def _end_body(w: World, who: str) -> dict[str, Any]:
    # The day before the plan took effect (in the unit's zone, at any hour of the day): refused
    # for its content (V) once the permission check has passed.
    return {
        "ended_on": (clock.today_in(w.unit_a.time_zone) - timedelta(days=1)).isoformat(),
        "reason": "Goals met; the team agreed to stop the plan.",
    }


#                                                    bht nur cli pee sup dir pri adm out anon
PAGES: dict[str, Case] = {
    "incidents:behavior-plan": Case("GET", "A A A A A A F F N L", person_a),
    "incidents:behavior-plan-edit": Case("GET", "F F A F F F F F N L", person_a),
    "incidents:behavior-plan-end": Case("GET", "F F A F F F F F N L", person_a),
    "incidents:behavior-phase-new": Case("GET", "F F A F F F F F N L", person_a),
    "incidents:behavior-contract-new": Case("GET", "F F A F F F F F N L", person_a),
    "incidents:behavior-contract-sign": Case("GET", "F F A F F F F F N L", contract),
    "incidents:behavior-record-new": Case("GET", "A A A A F F F F N L", person_a),
    "incidents:behavior-chart": Case("GET", "A A A A A A F F N L", person_a),
    "incidents:behavior-record-addendum": Case("GET", "A A A A F F F F N L", record),
    # Every unit the user sees: the outsider sees their own (an empty list), not a 404.
    "incidents:behavior-reviews-due": Case("GET", "A A A A A A F F A L"),
}

#                                                      bht nur cli pee sup dir pri adm out anon
API: dict[str, Case] = {
    "GET /api/v1/persons/{public_id}/behavior-plan": Case("GET", "A A A A A A F F N U", person_a),
    "POST /api/v1/persons/{public_id}/behavior-plan/end": Case(
        "POST", "F F V F F F F F N U", person_a, body=_end_body
    ),
    "GET /api/v1/persons/{public_id}/behavior-records": Case(
        "GET", "A A A A A A F F N U", person_a
    ),
    "POST /api/v1/persons/{public_id}/behavior-records": Case(
        "POST", "A A A A F F F F N U", person_a, body=_record_body
    ),
    "POST /api/v1/persons/{public_id}/behavior-records/batch": Case(
        "POST",
        "A A A A F F F F N U",
        person_a,
        body=lambda w, who: {"records": [_record_body(w, who)]},
    ),
    "GET /api/v1/persons/{public_id}/behavior-chart": Case(
        "GET", "A A A A A A F F N U", lambda w, e: {"public_id": w.person_a.public_id}
    ),
    "GET /api/v1/behavior-contracts/reviews-due": Case("GET", "A A A A A A F F A U"),
}


def _plan(world: World) -> BehaviorPlan:
    now = clock.now()
    plan = BehaviorPlan.objects.create(
        person=world.person_a,
        effective_on=clock.today_in(world.unit_a.time_zone),
        written_by=world.staff["clinician"],
        written_at=now,
        antecedents=["Peer conflict"],
        consequences=["Offered space"],
    )
    TargetBehavior.objects.create(
        plan=plan, key="hitting", name="Hitting", definition="Hand contact.", measure="frequency"
    )
    return plan


def fixtures(world: World, extra: dict[str, Any]) -> None:
    plan = _plan(world)
    now = clock.now()
    extra["behavior_contract"] = BehaviorContract.objects.create(
        person=world.person_a,
        plan=plan,
        terms="Use the break card.",
        rewards="Outing",
        review_on=clock.organization_today(),
        written_by=world.staff["clinician"],
        written_at=now,
    )
    extra["behavior_record"] = BehaviorRecord.objects.create(
        person=world.person_a,
        target=plan.targets.get(),
        observed_at=now,
        recorded_at=now,
        antecedent="Peer conflict",
        consequence="Offered space",
        recorded_by=world.staff["bht"],
        client_id=uuid.uuid4(),
    )


def fuzz_ids(world: World) -> dict[str, str]:
    if not BehaviorPlan.objects.filter(person=world.person_a).exists():
        _plan(world)
    return {}
