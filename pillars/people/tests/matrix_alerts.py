"""Permission matrix for alerts: the inbox, its count, acknowledging (pages and API). Codes
and roles: see pillars/core/tests/test_matrix.py."""

from __future__ import annotations

from typing import Any

from pillars.core import clock
from pillars.core.tests.matrix_support import Case
from pillars.people.choices import AlertKind
from pillars.people.models import Alert
from pillars.people.testing import World


def nurse_alert(w: World, extra: dict[str, Any]) -> dict[str, Any]:
    return {"public_id": extra["alert"].public_id}


# An alert is its recipient's alone (the nurse's here): anyone else gets 404, as if it did not
# exist.
#                                    bht nur cli pee sup dir pri adm out anon
PAGES: dict[str, Case] = {
    "alerts:inbox": Case("GET", "A A A A A A F F A L"),
    # A bare number (0 for roles without an inbox), polled by the board.
    "alerts:inbox-count": Case("GET", "A A A A A A A A A L"),
    "alerts:alert-ack": Case("POST", "N A N N N N N N N L", nurse_alert),
}

API: dict[str, Case] = {
    "GET /api/v1/alerts": Case("GET", "A A A A A A F F A U"),
    "POST /api/v1/alerts/{public_id}/acknowledge": Case("POST", "N A N N N N N N N U", nurse_alert),
}


def _alert_for_nurse(world: World, **links: Any) -> Alert:
    now = clock.now()
    return Alert.objects.create(
        kind=AlertKind.ESCALATION,
        recipient=world.staff["nurse"],
        unit=world.unit_a,
        message="Check overdue (matrix)",
        due_at=now,
        created_at=now,
        dedupe_key=f"matrix:{now.isoformat()}:{len(links)}",
        **links,
    )


def fixtures(world: World, extra: dict[str, Any]) -> None:
    extra["alert"] = _alert_for_nurse(world, person=world.person_a)


def fuzz_ids(world: World) -> dict[str, str]:
    return {"/api/v1/alerts/": str(_alert_for_nurse(world).public_id)}
