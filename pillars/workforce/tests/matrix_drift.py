"""Permission matrix for role drift: the organization's figures (director), one staff
member's figures (own, supervisor, director) and one's own time log."""

from __future__ import annotations

from typing import Any

from pillars.core.tests.matrix_support import Case
from pillars.people.testing import World


def peer(w: World, extra: dict[str, Any]) -> dict[str, Any]:
    return {"public_id": w.staff["peer"].public_id}


#                                      bht nur cli pee sup dir pri adm out anon
PAGES: dict[str, Case] = {
    "workforce:drift-org": Case("GET", "F F F F F A F F F L"),
    "workforce:drift-person": Case("GET", "F F F A A A F F N L", peer),
    "workforce:time-log": Case("GET", "A A A A A A F F A L"),
}
API: dict[str, Case] = {}
