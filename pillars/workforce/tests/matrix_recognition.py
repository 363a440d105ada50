"""Permission matrix for recognition: anyone may recognize a colleague and read their own;
supervisors and the director read counts."""

from __future__ import annotations

from typing import Any

from pillars.core.tests.matrix_support import Case
from pillars.people.testing import World


def thanks(w: World, who: str) -> dict[str, Any]:
    to = w.staff["nurse"] if who == "director" else w.staff["director"]
    return {"to": str(to.public_id), "message": "Thank you for covering the night shift."}


#                                                    bht nur cli pee sup dir pri adm out anon
PAGES: dict[str, Case] = {
    "workforce:recognition-mine": Case("GET", "A A A A A A A A A L"),
    "workforce:recognition-give": Case("GET", "A A A A A A A A A L"),
    "workforce:recognition-counts": Case("GET", "F F F F A A F F F L"),
}

#                                                    bht nur cli pee sup dir pri adm out anon
API: dict[str, Case] = {
    "GET /api/v1/me/recognitions": Case("GET", "A A A A A A A A A U"),
    "POST /api/v1/workforce/recognitions": Case("POST", "A A A A A A A A A U", body=thanks),
    "GET /api/v1/workforce/recognitions/counts": Case("GET", "F F F F A A F F F U"),
}
