"""Permission matrix for restraint and seclusion: pages and API. The fixtures start an active
episode on person A (unit A) through the service."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pillars.core import clock
from pillars.core.tests.matrix_support import Case
from pillars.incidents.models import EpisodeKind, RestraintEpisode, RuleProfile
from pillars.incidents.services import restraint as services
from pillars.people.testing import World


def person_a(w: World, extra: dict[str, Any]) -> dict[str, Any]:
    return {"public_id": w.person_a.public_id}


def episode(w: World, extra: dict[str, Any]) -> dict[str, Any]:
    return {"public_id": extra["restraint"].public_id}


def unit_a(w: World, extra: dict[str, Any]) -> dict[str, Any]:
    return {"public_id": w.unit_a.public_id}


def profile(w: World, extra: dict[str, Any]) -> dict[str, Any]:
    return {"public_id": RuleProfile.objects.get(code="cms-hospital", is_current=True).public_id}


#                                          bht nur cli pee sup dir pri adm out anon
PAGES: dict[str, Case] = {
    "incidents:restraint-start": Case("GET", "F A A F F F F F N L", person_a),
    "incidents:restraint-detail": Case("GET", "A A A A A A F F N L", episode),
    # Empty bodies: the page answers with the form's errors (200), nothing is stored.
    "incidents:restraint-staff": Case("POST", "A A A F F F F F N L", episode),
    "incidents:restraint-monitor": Case("POST", "A A A F F F F F N L", episode),
    "incidents:restraint-face-to-face": Case("POST", "F A A F F F F F N L", episode),
    "incidents:restraint-renew": Case("POST", "F A A F F F F F N L", episode),
    "incidents:restraint-release": Case("POST", "F A A F F F F F N L", episode),
    "incidents:restraint-guardian": Case("POST", "A A A F F F F F N L", episode),
    "incidents:restraint-debrief": Case("POST", "A A A F F F F F N L", episode),
    "incidents:restraint-addendum": Case("POST", "A A A F F F F F N L", episode),
    "incidents:restraint-lead": Case("GET", "F A F F A A F F N L", unit_a),
    "incidents:restraint-report": Case("GET", "F A F F A A F F F L"),
    "incidents:restraint-profiles": Case("GET", "A A A A A A F A A L"),
    # Directors choose for the units they lead (the director leads unit A), administrators for
    # any; an empty body is the form again with its errors.
    "incidents:restraint-unit-profile": Case("POST", "F F F F F A F A N L", unit_a),
    "incidents:restraint-profile-edit": Case("GET", "F F F F F F F A F L", profile),
}

#                                                     bht nur cli pee sup dir pri adm out anon
API: dict[str, Case] = {
    "GET /api/v1/units/{public_id}/restraint": Case("GET", "A A A A A A F F N U", unit_a),
    # Person A is already in an episode: the allowed answer is 409 (V).
    "POST /api/v1/persons/{public_id}/restraint": Case(
        "POST",
        "F V V F F F F F N U",
        person_a,
        body=lambda w, who: {
            "kind": "seclusion",
            "reason": "Hit a peer",
            "release_criteria": "Calm for ten minutes",
        },
    ),
    "GET /api/v1/restraint/{public_id}": Case("GET", "A A A A A A F F N U", episode),
    # Once a role has named the BHT, the others are refused "already named" (422, allowed).
    "POST /api/v1/restraint/{public_id}/staff": Case(
        "POST",
        "A A A F F F F F N U",
        episode,
        body=lambda w, who: {"staff": [str(w.staff["bht"].public_id)]},
    ),
    "POST /api/v1/restraint/{public_id}/checks": Case(
        "POST", "A A A F F F F F N U", episode, body=lambda w, who: {"condition": "Calm"}
    ),
    "POST /api/v1/restraint/{public_id}/face-to-face": Case(
        "POST", "F A A F F F F F N U", episode, body=lambda w, who: {"findings": "Calmer"}
    ),
    # A nurse names the clinician who gave the order (a clinician may leave it out).
    "POST /api/v1/restraint/{public_id}/renewals": Case(
        "POST",
        "F A A F F F F F N U",
        episode,
        body=lambda w, who: {
            "note": "Still unsafe",
            "ordered_by": str(w.staff["clinician"].public_id),
        },
    ),
    "POST /api/v1/restraint/{public_id}/release": Case(
        "POST", "F A A F F F F F N U", episode, body=lambda w, who: {"reason": "Met criteria"}
    ),
    "GET /api/v1/reports/hbips": Case("GET", "F A F F A A F F F U"),
    "GET /api/v1/restraint-profiles": Case("GET", "A A A A A A F A A U"),
    # The first allowed role moves unit A to the strict profile; the next is told it already
    # follows it (422, allowed).
    "POST /api/v1/units/{public_id}/restraint-profile": Case(
        "POST", "F F F F F A F A N U", unit_a, body=lambda w, who: {"code": "state-strict"}
    ),
    # A renewal cap shorter than an adult order: refused (422) for the administrator, so the
    # profile keeps its version.
    "POST /api/v1/restraint-profiles/{public_id}/versions": Case(
        "POST", "F F F F F F F V F U", profile, body=lambda w, who: {"renewal_cap_minutes": 60}
    ),
}


def _start(world: World) -> RestraintEpisode:
    return services.start_episode(
        world.person_a,
        actor=world.user("nurse"),
        ordered_by=world.staff["clinician"],
        kind=EpisodeKind.SECLUSION,
        reason="matrix",
        release_criteria="matrix",
        started_at=clock.now() - timedelta(minutes=5),
    )


def fixtures(world: World, extra: dict[str, Any]) -> None:
    extra["restraint"] = _start(world)


def fuzz_ids(world: World) -> dict[str, str]:
    found = RestraintEpisode.objects.filter(person=world.person_a, released_at__isnull=True).first()
    if found is None:
        found = _start(world)
    current = RuleProfile.objects.get(code="cms-hospital", is_current=True)
    return {
        "/api/v1/restraint/": str(found.public_id),
        "/api/v1/restraint-profiles/": str(current.public_id),
    }
