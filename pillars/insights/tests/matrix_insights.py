"""Permission matrix for the insights dashboards: the director's (organization-wide roles),
a unit's (its nurse, clinician and supervisor leads; the director), a supervisor's (their
staff; the director), the privacy officer's, the list of one's units, the CSV exports, the
monthly report, and the measures API."""

from __future__ import annotations

from typing import Any

from pillars.core.tests.matrix_support import Case
from pillars.people.testing import World


def unit_a(w: World, extra: dict[str, Any]) -> dict[str, Any]:
    return {"public_id": w.unit_a.public_id}


#                                          bht nur cli pee sup dir pri adm out anon
PAGES: dict[str, Case] = {
    "insights:director": Case("GET", "F F F F F A F F F L"),
    "insights:units": Case("GET", "F A A F A A F F F L"),
    "insights:unit": Case("GET", "F A A F A A F F N L", unit_a),
    "insights:csv": Case("GET", "F F F F F A F F F L"),
    "insights:report": Case("GET", "F F F F F A F F F L"),
    "insights:team": Case("GET", "F F F F A A F F F L"),
    "insights:team-csv": Case("GET", "F F F F A A F F F L"),
    "insights:privacy": Case("GET", "F F F F F F A F F L"),
    "insights:privacy-csv": Case("GET", "F F F F F F A F F L"),
}
#                                          bht nur cli pee sup dir pri adm out anon
API: dict[str, Case] = {
    "GET /api/v1/insights/measures": Case("GET", "F F F F F A F F F U"),
}
