"""Permission matrix for wellness plans and goals: the recovery page, the plan pages, signing,
the printed copy, goals with steps and progress, and the API. Fixtures: a signed version 1 and
a draft version 2 of person A's wellness plan, and a goal with one step.

Peers write; clinicians, supervisors and the director read; technicians, nurses, the privacy
officer and administrators are refused (403); staff outside the person's scope get 404."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pillars.core import clock
from pillars.core.tests.matrix_support import Case
from pillars.people.testing import World
from pillars.recovery.models.plans import Goal, GoalStep, WellnessPlanVersion

CONTENT = {
    "toolbox": [{"text": "Walk by the river"}],
    "early_warning": [{"text": "I stop calling my sister"}],
    "crisis": [{"text": "Call my peer specialist and my sister"}],
}


def person_a(w: World, extra: dict[str, Any]) -> dict[str, Any]:
    return {"public_id": w.person_a.public_id}


def signed(w: World, extra: dict[str, Any]) -> dict[str, Any]:
    return {"public_id": extra["wellness_signed"].public_id}


def draft(w: World, extra: dict[str, Any]) -> dict[str, Any]:
    return {"public_id": extra["wellness_draft"].public_id}


def goal(w: World, extra: dict[str, Any]) -> dict[str, Any]:
    return {"public_id": extra["goal"].public_id}


def step(w: World, extra: dict[str, Any]) -> dict[str, Any]:
    return {"public_id": extra["goal_step"].public_id}


def _draft_body(w: World, who: str) -> dict[str, Any]:
    return {
        "review_on": (clock.now() + timedelta(days=20)).date().isoformat(),
        "sections": {k: list(v) for k, v in CONTENT.items()},
    }


#                                              bht nur cli pee sup dir pri adm out anon
PAGES: dict[str, Case] = {
    "recovery:person": Case("GET", "F F A A A A F F N L", person_a),
    "recovery:wellness-plan": Case("GET", "F F A A A A F F N L", person_a),
    "recovery:wellness-plan-edit": Case("GET", "F F F A F F F F N L", person_a),
    "recovery:wellness-plan-version": Case("GET", "F F A A A A F F N L", signed),
    "recovery:wellness-plan-sign": Case("GET", "F F F A F F F F N L", draft),
    "recovery:wellness-plan-pdf": Case("GET", "F F A A A A F F N L", signed),
    "recovery:goal-create": Case("GET", "F F F A F F F F N L", person_a),
    "recovery:goal-detail": Case("GET", "F F A A A A F F N L", goal),
    "recovery:goal-step-add": Case("POST", "F F F A F F F F N L", goal),
    "recovery:goal-status": Case("POST", "F F F A F F F F N L", goal),
    "recovery:goal-progress": Case("GET", "F F F A F F F F N L", goal),
    "recovery:goal-step-done": Case("POST", "F F F A F F F F N L", step),
}

#                                        bht nur cli pee sup dir pri adm out anon
API: dict[str, Case] = {
    "GET /api/v1/recovery/persons/{public_id}/wellness-plan/versions": Case(
        "GET", "F F A A A A F F N U", person_a
    ),
    "GET /api/v1/recovery/wellness-plans/{public_id}": Case("GET", "F F A A A A F F N U", signed),
    "POST /api/v1/recovery/persons/{public_id}/wellness-plan/draft": Case(
        "POST", "F F F A F F F F N U", person_a, body=_draft_body
    ),
    "POST /api/v1/recovery/wellness-plans/{public_id}/sign": Case(
        "POST",
        "F F F A F F F F N U",
        draft,
        body=lambda w, who: {"person_signature": "tablet", "typed_name": "Alex Rivera"},
    ),
    "GET /api/v1/recovery/persons/{public_id}/goals": Case("GET", "F F A A A A F F N U", person_a),
    "POST /api/v1/recovery/persons/{public_id}/goals": Case(
        "POST",
        "F F F A F F F F N U",
        person_a,
        body=lambda w, who: {
            "domain": "housing",
            "statement": "Find a place of my own",
            "steps": [{"text": "Call the housing office"}],
        },
    ),
    "POST /api/v1/recovery/goals/{public_id}/progress": Case(
        "POST",
        "F F F A F F F F N U",
        goal,
        body=lambda w, who: {"note": "I called them today", "attainment": 2},
    ),
}


def make_plan(world: World) -> tuple[WellnessPlanVersion, WellnessPlanVersion]:
    now = clock.now()
    peer = world.staff["peer"]
    one = WellnessPlanVersion.objects.create(
        person=world.person_a,
        number=1,
        status="signed",
        content=CONTENT,
        review_on=(now + timedelta(days=30)).date(),
        drafted_by=peer,
        drafted_at=now - timedelta(days=40),
        updated_at=now - timedelta(days=40),
        person_signature="tablet",
        person_signed_name="Alex Rivera",
        person_signed_at=now - timedelta(days=40),
        signed_by=peer,
        signed_at=now - timedelta(days=40),
    )
    two = WellnessPlanVersion.objects.create(
        person=world.person_a,
        number=2,
        content=CONTENT,
        based_on=one,
        review_on=(now + timedelta(days=60)).date(),
        drafted_by=peer,
        drafted_at=now,
        updated_at=now,
    )
    return one, two


def make_goal(world: World) -> tuple[Goal, GoalStep]:
    now = clock.now()
    peer = world.staff["peer"]
    g = Goal.objects.create(
        person=world.person_a,
        domain="work",
        statement="Get back to part-time work",
        created_by=peer,
        created_at=now - timedelta(days=10),
    )
    s = GoalStep.objects.create(
        goal=g, text="Update my resume", created_by=peer, created_at=now - timedelta(days=10)
    )
    return g, s


def fixtures(world: World, extra: dict[str, Any]) -> None:
    extra["wellness_signed"], extra["wellness_draft"] = make_plan(world)
    extra["goal"], extra["goal_step"] = make_goal(world)


def fuzz_ids(world: World) -> dict[str, str]:
    version = WellnessPlanVersion.objects.filter(person=world.person_a, status="signed").first()
    if version is None:
        version, _ = make_plan(world)
    g = Goal.objects.filter(person=world.person_a).first()
    if g is None:
        g, _ = make_goal(world)
    return {
        "/api/v1/recovery/persons/": str(world.person_a.public_id),
        "/api/v1/recovery/wellness-plans/": str(version.public_id),
        "/api/v1/recovery/goals/": str(g.public_id),
    }
