"""Permission matrix for caseload balance: the balance page (supervisors, director), bulk
reassignment of the peer's caseload, one's own caseload, and the API summary. Fixture: the
peer carries person A."""

from __future__ import annotations

from typing import Any

from pillars.core.tests.matrix_support import Case
from pillars.people.testing import World


def peer(w: World, extra: dict[str, Any]) -> dict[str, Any]:
    return {"public_id": w.staff["peer"].public_id}


#                                             bht nur cli pee sup dir pri adm out anon
PAGES: dict[str, Case] = {
    "workforce:caseload-balance": Case("GET", "F F F F A A F F F L"),
    "workforce:my-caseload": Case("GET", "A A A A A A F F A L"),
    "workforce:caseload-reassign": Case("GET", "F F F F A A F F N L", peer),
}
API: dict[str, Case] = {
    "GET /api/v1/workforce/caseloads": Case("GET", "F F F F A A F F F U"),
}
