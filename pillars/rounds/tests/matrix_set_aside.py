"""Set-aside checks in the permission matrix (codes: see pillars/core/tests/test_matrix.py).

Whoever records checks hands over what the server would not take; the unit's nurse or
supervisor (the lead) resolves them; recording one needs the right to record checks, closing it
does not. The outsider's unit is another one (404)."""

from __future__ import annotations

from typing import Any

from pillars.core import clock
from pillars.core.tests.matrix_support import Case
from pillars.people.testing import World


def fixtures(world: World, extra: dict[str, Any]) -> None:
    from pillars.rounds.models import SetAsideCheck

    extra["set_aside"] = SetAsideCheck.objects.create(
        unit=world.unit_a,
        order=extra["order"],
        submitted_by=world.staff["bht"],
        submitted_at=clock.now(),
        payload={"location": "roof", "activity": "asleep", "safety_status": "safe"},
        problem="location: Not a valid choice.",
    )


def _unit_a(w: World, extra: dict[str, Any]) -> dict[str, Any]:
    return {"public_id": w.unit_a.public_id}


def _row(w: World, extra: dict[str, Any]) -> dict[str, Any]:
    return {"public_id": extra["set_aside"].public_id}


#                                 bht nur cli pee sup dir pri adm out anon
PAGES: dict[str, Case] = {
    # An empty body is refused for its content (422, V) for whoever records checks.
    "rounds:check-set-aside": Case("POST", "V V V F F F F F V L"),
    "rounds:set-aside-list": Case("GET", "F A F F A F F F N L", _unit_a),
    # An empty post re-shows the form (A); the supervisor may close but not record.
    "rounds:set-aside-record": Case("POST", "F A F F F F F F N L", _row),
    "rounds:set-aside-close": Case("POST", "F A F F A F F F N L", _row),
}
