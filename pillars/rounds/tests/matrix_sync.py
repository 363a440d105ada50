"""Permission matrix for batch sync, an order's checks, and room codes (proof of presence)."""

from __future__ import annotations

import uuid
from typing import Any

from pillars.core import clock
from pillars.core.tests.matrix_support import Case
from pillars.people.testing import World
from pillars.rounds import presence


def _order(w: World, extra: dict[str, Any]) -> dict[str, Any]:
    return {"public_id": extra["order"].public_id}


def _unit_a(w: World, extra: dict[str, Any]) -> dict[str, Any]:
    return {"public_id": w.unit_a.public_id}


def _code(w: World, extra: dict[str, Any]) -> dict[str, Any]:
    return {"code": presence.code_for(w.beds_a[0].room)}


def _scan_check(w: World, extra: dict[str, Any]) -> dict[str, Any]:
    return {"code": presence.code_for(w.beds_a[0].room), "public_id": extra["order"].public_id}


def _open_order_a(w: World) -> Any:
    from pillars.rounds.models import ObservationOrder

    return ObservationOrder.objects.get(person=w.person_a, ended_at__isnull=True)


def _batch(w: World, who: str) -> dict[str, Any]:
    # Every role's batch names the unit A order: the outsider's item is refused as not found
    # inside a 200 answer (a batch is never refused whole for one item's scope).
    return {
        "checks": [
            {
                "order": str(_open_order_a(w).public_id),
                "client_id": str(uuid.uuid4()),
                "observed_at": clock.now().isoformat(),
                "location": "bedroom",
                "activity": "asleep",
                "safety_status": "safe",
            }
        ]
    }


#                                 bht nur cli pee sup dir pri adm out anon
PAGES: dict[str, Case] = {
    "rounds:room-codes": Case("GET", "F A F F A F F F N L", _unit_a),
    "rounds:scan": Case("GET", "A A A F F F F F A L"),
    # A code of unit A's room: out of scope for the outsider (404, as an unknown code).
    "rounds:scan-code": Case("GET", "A A A F F F F F N L", _code),
    "rounds:scan-check": Case("POST", "A A A F F F F F N L", _scan_check),
}

#                                           bht nur cli pee sup dir pri adm out anon
API: dict[str, Case] = {
    "POST /api/v1/checks/batch": Case("POST", "A A A F F F F F A U", body=_batch),
    "GET /api/v1/orders/{public_id}/checks": Case("GET", "A A A A A A F F N U", _order),
}
