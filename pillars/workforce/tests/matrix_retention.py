"""Permission matrix for retention: the director's workforce view, its CSV, exits and the exit
interview (director and administrators). Fixture: a technician of unit A who has left."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pillars.core import clock
from pillars.core.tests.matrix_support import Case
from pillars.people.testing import StaffFactory, World


def left(w: World, extra: dict[str, Any]) -> dict[str, Any]:
    return {"public_id": extra["rt_left"].public_id}


def interview(w: World, who: str) -> dict[str, Any]:
    return {"held_on": clock.organization_today().isoformat(), "reason": "resigned_pay"}


#                                                        bht nur cli pee sup dir pri adm out anon
PAGES: dict[str, Case] = {
    "workforce:retention": Case("GET", "F F F F F A F A F L"),
    "workforce:retention-csv": Case("GET", "F F F F F A F A F L"),
    "workforce:retention-exits": Case("GET", "F F F F F A F A F L"),
    "workforce:retention-exit-interview": Case("GET", "F F F F F A F A N L", left),
}

#                                                        bht nur cli pee sup dir pri adm out anon
API: dict[str, Case] = {
    "GET /api/v1/workforce/retention": Case("GET", "F F F F F A F A F U"),
    "POST /api/v1/workforce/staff/{public_id}/exit-interview": Case(
        "POST", "F F F F F A F A N U", left, body=interview
    ),
}


def fixtures(world: World, extra: dict[str, Any]) -> None:
    extra["rt_left"] = StaffFactory.create(
        username="t-left",
        roles=["bht"],
        units=[world.unit_a],
        exited_on=clock.organization_today() - timedelta(days=10),
        exit_reason="resigned_pay",
    )
