"""Permission matrix: the integrity report, one check, and the shift handoff (pages and API).

Codes per role, in the order bht nurse clinician peer supervisor director privacy admin
outsider anon (see pillars/core/tests/test_matrix.py).
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from pillars.core import clock
from pillars.core.tests.matrix_support import Case
from pillars.people.testing import World
from pillars.rounds.models import Check, Handoff


def unit_a(w: World, extra: dict[str, Any]) -> dict[str, Any]:
    return {"public_id": w.unit_a.public_id}


def a_check(w: World, extra: dict[str, Any]) -> dict[str, Any]:
    return {"public_id": extra["integrity_check"].public_id}


def a_handoff(w: World, extra: dict[str, Any]) -> dict[str, Any]:
    return {"public_id": extra["handoff"].public_id}


def shift_body(w: World, who: str) -> dict[str, Any]:
    now = clock.now()
    return {
        "starts_at": (now - timedelta(hours=11)).isoformat(),
        "ends_at": (now + timedelta(hours=1)).isoformat(),
    }


#                                   bht nur cli pee sup dir pri adm out anon
PAGES: dict[str, Case] = {
    # Leaders only: the shift lead, the supervisor and the director (org-wide).
    "rounds:integrity": Case("GET", "F A F F A A F F N L", unit_a),
    "rounds:check-detail": Case("GET", "A A A A A A F F N L", a_check),
    # Handoffs: the floor (BHT, nurse) writes and signs; care team leaders read.
    "rounds:handoff-list": Case("GET", "A A A F A A F F N L", unit_a),
    "rounds:handoff-new": Case("GET", "A A F F F F F F N L", unit_a),
    "rounds:handoff-detail": Case("GET", "A A A F A A F F N L", a_handoff),
    "rounds:handoff-print": Case("GET", "A A A F A A F F N L", a_handoff),
    "rounds:handoff-note": Case("POST", "A A F F F F F F N L", a_handoff),
    "rounds:handoff-sign": Case("POST", "A A F F F F F F N L", a_handoff),
}

API: dict[str, Case] = {
    "GET /api/v1/units/{public_id}/handoffs": Case("GET", "A A A F A A F F N U", unit_a),
    "POST /api/v1/units/{public_id}/handoffs": Case(
        "POST", "A A F F F F F F N U", unit_a, body=shift_body
    ),
    "GET /api/v1/handoffs/{public_id}": Case("GET", "A A A F A A F F N U", a_handoff),
    "POST /api/v1/handoffs/{public_id}/sign": Case(
        "POST", "A A F F F F F F N U", a_handoff, body=lambda w, who: {"side": "outgoing"}
    ),
}


def fixtures(world: World, extra: dict[str, Any]) -> None:
    now = clock.now()
    extra["integrity_check"] = Check.objects.create(
        order=extra["order"],
        observed_by=world.staff["bht"],
        observed_at=now - timedelta(minutes=20),
        recorded_at=now - timedelta(minutes=20),
        location="bedroom",
        activity="asleep",
        safety_status="safe",
        client_id=uuid.uuid4(),
    )
    extra["handoff"] = Handoff.objects.create(
        unit=world.unit_a,
        starts_at=now - timedelta(hours=12),
        ends_at=now,
        snapshot={"persons": [], "open_findings": []},
        compiled_at=now,
        compiled_by=world.staff["nurse"],
        created_at=now,
    )


def fuzz_ids(world: World) -> dict[str, str]:
    from pillars.rounds.services import handoffs

    now = clock.now()
    handoff = handoffs.compile_handoff(
        world.unit_a,
        actor=world.user("nurse"),
        start=now - timedelta(hours=12),
        end=now,
    )
    return {"/api/v1/handoffs/": str(handoff.public_id)}
