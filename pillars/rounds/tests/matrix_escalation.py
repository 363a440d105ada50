"""Permission matrix for the escalation area: a unit's chain (pages and API); alerts and the
inbox are people's (pillars/people/tests/matrix_alerts.py). Codes and roles: see
pillars/core/tests/test_matrix.py."""

from __future__ import annotations

from typing import Any

from pillars.core.tests.matrix_support import Case
from pillars.people.testing import World


def unit_a(w: World, extra: dict[str, Any]) -> dict[str, Any]:
    return {"public_id": w.unit_a.public_id}


# Keeping a unit's chain is the administrator's; others who can see the unit get 403.
#                                    bht nur cli pee sup dir pri adm out anon
PAGES: dict[str, Case] = {
    "rounds:escalation-steps": Case("GET", "F F F F F F F A N L", unit_a),
}

API: dict[str, Case] = {
    # The chain is reference data: anyone who can see the unit may read it.
    "GET /api/v1/units/{public_id}/escalation-steps": Case("GET", "A A A A A A A A N U", unit_a),
}
