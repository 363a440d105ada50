"""Permission matrix for the survey-readiness packet of a stay (person A's open episode)."""

from __future__ import annotations

from typing import Any

from pillars.core.tests.matrix_support import Case
from pillars.people.models import Episode
from pillars.people.testing import World


def stay_a(w: World, extra: dict[str, Any]) -> dict[str, Any]:
    return {"public_id": Episode.objects.get(person=w.person_a).public_id}


#                                              bht nur cli pee sup dir pri adm out anon
PAGES: dict[str, Case] = {
    "insights-packet:packet": Case("GET", "F A A F F A F F N L", stay_a),
    "insights-packet:packet-pdf": Case("GET", "F A A F F A F F N L", stay_a),
}

API: dict[str, Case] = {}
