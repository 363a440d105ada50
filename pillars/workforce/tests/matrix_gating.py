"""Permission matrix for the floor gate: the rules page (everyone signed in) and the API
check of a staff member (those who assign the floor, and leaders)."""

from __future__ import annotations

from typing import Any

from pillars.core.tests.matrix_support import Case
from pillars.people.testing import World


def bht(w: World, extra: dict[str, Any]) -> dict[str, Any]:
    return {"public_id": w.staff["bht"].public_id}


#                                                 bht nur cli pee sup dir pri adm out anon
PAGES: dict[str, Case] = {
    "workforce:floor-rules": Case("GET", "A A A A A A A A A L"),
}

#                                                 bht nur cli pee sup dir pri adm out anon
API: dict[str, Case] = {
    "GET /api/v1/workforce/staff/{public_id}/floor-check": Case("GET", "F A A F A A F A F U", bht),
}


def fuzz_ids(world: World) -> dict[str, str]:
    return {}
