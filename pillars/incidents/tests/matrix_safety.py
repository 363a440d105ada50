"""Permission matrix for safety plans: the plan pages, signing, the printed copy, a unit's
overdue reviews and the API. Fixtures: a signed version 1 and a draft version 2 for person A."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pillars.core import clock
from pillars.core.tests.matrix_support import Case
from pillars.incidents.models import SafetyPlanVersion
from pillars.people.testing import World

CONTENT = {
    "warning_signs": [{"text": "I stop answering my phone"}],
    "on_my_own": [{"text": "Walk around the courtyard"}],
    "professionals": [{"name": "988 Suicide & Crisis Lifeline", "phone": "988"}],
}


def person_a(w: World, extra: dict[str, Any]) -> dict[str, Any]:
    return {"public_id": w.person_a.public_id}


def unit_a(w: World, extra: dict[str, Any]) -> dict[str, Any]:
    return {"public_id": w.unit_a.public_id}


def signed(w: World, extra: dict[str, Any]) -> dict[str, Any]:
    return {"public_id": extra["safety_signed"].public_id}


def draft(w: World, extra: dict[str, Any]) -> dict[str, Any]:
    return {"public_id": extra["safety_draft"].public_id}


def _draft_body(w: World, who: str) -> dict[str, Any]:
    return {
        "review_on": (clock.now() + timedelta(days=20)).date().isoformat(),
        "sections": {k: list(v) for k, v in CONTENT.items()},
    }


#                                            bht nur cli pee sup dir pri adm out anon
PAGES: dict[str, Case] = {
    "incidents:safety-plan": Case("GET", "A A A A A A F F N L", person_a),
    "incidents:safety-plan-edit": Case("GET", "A A A A F F F F N L", person_a),
    "incidents:safety-plan-version": Case("GET", "A A A A A A F F N L", signed),
    "incidents:safety-plan-sign": Case("GET", "A A A A F F F F N L", draft),
    "incidents:safety-plan-pdf": Case("GET", "A A A A A A F F N L", signed),
    "incidents:safety-plan-overdue": Case("GET", "A A A A A A F F N L", unit_a),
}

#                                                          bht nur cli pee sup dir pri adm out anon
API: dict[str, Case] = {
    "GET /api/v1/persons/{public_id}/safety-plan": Case("GET", "A A A A A A F F N U", person_a),
    "GET /api/v1/persons/{public_id}/safety-plan/versions": Case(
        "GET", "A A A A A A F F N U", person_a
    ),
    "POST /api/v1/persons/{public_id}/safety-plan/draft": Case(
        "POST", "A A A A F F F F N U", person_a, body=_draft_body
    ),
    "POST /api/v1/safety-plans/{public_id}/sign": Case(
        "POST",
        "A A A A F F F F N U",
        draft,
        body=lambda w, who: {"person_signature": "tablet", "typed_name": "Alex Rivera"},
    ),
    "GET /api/v1/safety-plans/{public_id}/pdf": Case("GET", "A A A A A A F F N U", signed),
}


def make_versions(world: World) -> tuple[SafetyPlanVersion, SafetyPlanVersion]:
    now = clock.now()
    staff = world.staff["clinician"]
    one = SafetyPlanVersion.objects.create(
        person=world.person_a,
        number=1,
        status="signed",
        content=CONTENT,
        review_on=(now - timedelta(days=3)).date(),
        drafted_by=staff,
        drafted_at=now - timedelta(days=40),
        updated_at=now - timedelta(days=40),
        person_signature="tablet",
        person_signed_name="Alex Rivera",
        person_signed_at=now - timedelta(days=40),
        signed_by=staff,
        signed_at=now - timedelta(days=40),
    )
    two = SafetyPlanVersion.objects.create(
        person=world.person_a,
        number=2,
        content=CONTENT,
        review_on=(now + timedelta(days=30)).date(),
        drafted_by=staff,
        drafted_at=now,
        updated_at=now,
    )
    return one, two


def fixtures(world: World, extra: dict[str, Any]) -> None:
    extra["safety_signed"], extra["safety_draft"] = make_versions(world)


def fuzz_ids(world: World) -> dict[str, str]:
    version = SafetyPlanVersion.objects.filter(person=world.person_a, status="signed").first()
    if version is None:
        version, _ = make_versions(world)
    return {"/api/v1/safety-plans/": str(version.public_id)}
