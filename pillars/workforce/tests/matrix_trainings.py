"""Permission matrix for trainings: recording a completion (the BHT's own, or an
administrator for them); the staff member's other roles and colleagues are refused."""

from __future__ import annotations

from typing import Any

from pillars.core.tests.matrix_support import Case
from pillars.people.testing import World


def bht(w: World, extra: dict[str, Any]) -> dict[str, Any]:
    return {"public_id": w.staff["bht"].public_id}


#                                                 bht nur cli pee sup dir pri adm out anon
PAGES: dict[str, Case] = {
    "workforce:completion-new": Case("GET", "A F F F F F F A N L", bht),
}

#                                                 bht nur cli pee sup dir pri adm out anon
API: dict[str, Case] = {
    "POST /api/v1/workforce/staff/{public_id}/completions": Case(
        "POST",
        "A F F F F F F A N U",
        bht,
        body=lambda w, who: {"course_code": "privacy", "completed_on": "2025-01-15"},
    ),
}


def fuzz_ids(world: World) -> dict[str, str]:
    return {"/api/v1/workforce/staff/": str(world.staff["bht"].public_id)}
