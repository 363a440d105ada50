"""Permission matrix for the career ladder: everyone reads the ladders and their own progress;
the peer's progress is also their supervisor's, the director's and administrators' to read and
to record a step in; other colleagues are refused (403), the outsider does not see the peer
(404)."""

from __future__ import annotations

from typing import Any

from pillars.core.tests.matrix_support import Case
from pillars.people.testing import World
from pillars.workforce.models.ladder import LadderStep


def peer(w: World, extra: dict[str, Any]) -> dict[str, Any]:
    return {"public_id": w.staff["peer"].public_id}


def step(w: World, who: str) -> dict[str, Any]:
    found = LadderStep.objects.get(role__code="peer", rank=2)
    return {"step": str(found.public_id)}


#                                                 bht nur cli pee sup dir pri adm out anon
PAGES: dict[str, Case] = {
    "workforce:ladder-list": Case("GET", "A A A A A A A A A L"),
    "workforce:ladder-mine": Case("GET", "A A A A A A A A A L"),
    "workforce:ladder-progress": Case("GET", "F F F A A A F A N L", peer),
    "workforce:ladder-place": Case("POST", "F F F F A A F A N L", peer),
}

#                                                 bht nur cli pee sup dir pri adm out anon
API: dict[str, Case] = {
    "GET /api/v1/workforce/ladders": Case("GET", "A A A A A A A A A U"),
    "GET /api/v1/workforce/staff/{public_id}/ladder-progress": Case(
        "GET", "F F F A A A F A N U", peer
    ),
    "POST /api/v1/workforce/staff/{public_id}/ladder-placement": Case(
        "POST", "F F F F A A F A N U", peer, body=step
    ),
}


def fuzz_ids(world: World) -> dict[str, str]:
    return {"/api/v1/workforce/staff/": str(world.staff["nurse"].public_id)}
