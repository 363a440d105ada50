"""The unit board's pages in the permission matrix (codes: see pillars/core/tests/test_matrix.py).

The board is for the care team and the director (rounds.view); recording a check for those who
round (BHT, nurse, clinician). The privacy officer and the administrator see the unit exists but
not who is on it; the outsider's unit is another one (404).
"""

from __future__ import annotations

from typing import Any

from pillars.core.tests.matrix_support import Case
from pillars.people.testing import World


def unit_a(w: World, extra: dict[str, Any]) -> dict[str, Any]:
    return {"public_id": w.unit_a.public_id}


def order_a(w: World, extra: dict[str, Any]) -> dict[str, Any]:
    # The open q15 order on person A made by the foundation's fixtures.
    return {"public_id": extra["order"].public_id}


#                                 bht nur cli pee sup dir pri adm out anon
PAGES: dict[str, Case] = {
    "rounds:board-list": Case("GET", "A A A A A A F F A L"),
    "rounds:board": Case("GET", "A A A A A A F F N L", unit_a),
    "rounds:board-rows": Case("GET", "A A A A A A F F N L", unit_a),
    "rounds:board-panels": Case("GET", "A A A A A A F F N L", unit_a),
    "rounds:round": Case("GET", "A A A A A A F F N L", unit_a),
    # An empty post is a form error (A) for those who may record; a refusal for the rest.
    "rounds:check-record": Case("POST", "A A A F F F F F N L", order_a),
    # An empty body: refused as invalid (422, V) for whoever may record checks.
    "rounds:check-batch": Case("POST", "V V V F F F F F V L"),
    # Fixed text and static code, for anyone (the tablet may be signed out when offline).
    "rounds:offline": Case("GET", "A A A A A A A A A A"),
    "rounds:offline-worker": Case("GET", "A A A A A A A A A A"),
}

#                                               bht nur cli pee sup dir pri adm out anon
API: dict[str, Case] = {
    "GET /api/v1/units/{public_id}/board": Case("GET", "A A A A A A F F N U", unit_a),
}
