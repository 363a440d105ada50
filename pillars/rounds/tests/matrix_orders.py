"""Permission matrix for ordering levels, their history, check corrections and level admin.

The foundation matrix (pillars/core/tests/test_matrix.py) already lists a unit's orders and
recording a check, and its fixtures make ``extra["order"]``: an open q15 order on person A.
"""

from __future__ import annotations

from typing import Any

from pillars.core import clock
from pillars.core.tests.matrix_support import Case
from pillars.people.testing import World
from pillars.rounds.models import Check, ObservationLevel, ObservationOrder


def person_a(w: World, extra: dict[str, Any]) -> dict[str, Any]:
    return {"public_id": w.person_a.public_id}


def order(w: World, extra: dict[str, Any]) -> dict[str, Any]:
    return {"public_id": extra["order"].public_id}


def check(w: World, extra: dict[str, Any]) -> dict[str, Any]:
    return {"public_id": extra["check"].public_id}


def q15(w: World, extra: dict[str, Any]) -> dict[str, Any]:
    return {"public_id": ObservationLevel.objects.get(code="q15", is_current=True).public_id}


#                                      bht nur cli pee sup dir pri adm out anon
PAGES: dict[str, Case] = {
    "rounds:order-new": Case("GET", "F A A F F F F F N L", person_a),
    "rounds:order-history": Case("GET", "A A A A A A F F N L", person_a),
    # An empty body: the form answers with its errors (200), nothing is ended.
    "rounds:order-end": Case("POST", "F A A F F F F F N L", order),
    "rounds:check-addendum": Case("GET", "A A A F F F F F N L", check),
    # Levels are reference data: nobody but the administrator keeps them.
    "rounds:level-list": Case("GET", "F F F F F F F A F L"),
    "rounds:level-new": Case("GET", "F F F F F F F A F L"),
    "rounds:level-edit": Case("GET", "F F F F F F F A F L", q15),
}

#                                                 bht nur cli pee sup dir pri adm out anon
API: dict[str, Case] = {
    "GET /api/v1/levels": Case("GET", "A A A A A A F A A U"),
    "GET /api/v1/persons/{public_id}/orders": Case("GET", "A A A A A A F F N U", person_a),
    "POST /api/v1/persons/{public_id}/orders": Case(
        "POST",
        "F A A F F F F F N U",
        person_a,
        body=lambda w, who: {"level": "q5", "reason": "Said a plan", "precautions": ["suicide"]},
    ),
    "GET /api/v1/orders/{public_id}": Case("GET", "A A A A A A F F N U", order),
    "POST /api/v1/orders/{public_id}/end": Case(
        "POST", "F A A F F F F F N U", order, body=lambda w, who: {"reason": "No longer needed"}
    ),
    "POST /api/v1/checks/{public_id}/addenda": Case(
        "POST",
        "A A A F F F F F N U",
        check,
        body=lambda w, who: {"reason": "Wrong room chosen", "text": "Was in the day room."},
    ),
}


def _check_on(order: ObservationOrder, world: World) -> Check:
    import uuid

    now = clock.now()
    return Check.objects.create(
        order=order,
        observed_by=world.staff["bht"],
        observed_at=now,
        recorded_at=now,
        location="bedroom",
        activity="asleep",
        safety_status="safe",
        client_id=uuid.uuid4(),
    )


def fixtures(world: World, extra: dict[str, Any]) -> None:
    extra["check"] = _check_on(extra["order"], world)


def fuzz_ids(world: World) -> dict[str, str]:
    order = ObservationOrder.objects.filter(person=world.person_a, ended_at__isnull=True).first()
    if order is None:
        return {}
    return {"/api/v1/checks/": str(_check_on(order, world).public_id)}
