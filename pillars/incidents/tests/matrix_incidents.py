"""Permission matrix for incident reports (the exposure pages moved to workforce.wellbeing).

Fixtures: ``incident`` (submitted by the BHT on unit A, about person A, with a guardian
notification due) and ``incident_draft`` (the BHT's draft on unit A).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pillars.core import clock
from pillars.core.tests.matrix_support import Case
from pillars.incidents.services import incidents as services
from pillars.people.testing import World


def incident(w: World, extra: dict[str, Any]) -> dict[str, Any]:
    return {"public_id": extra["incident"].public_id}


def draft(w: World, extra: dict[str, Any]) -> dict[str, Any]:
    return {"public_id": extra["incident_draft"].public_id}


def notification(w: World, extra: dict[str, Any]) -> dict[str, Any]:
    return {"public_id": extra["incident"].notifications.get().public_id}


def unit_a(w: World, extra: dict[str, Any]) -> dict[str, Any]:
    return {"public_id": w.unit_a.public_id}


#                                          bht nur cli pee sup dir pri adm out anon
PAGES: dict[str, Case] = {
    "incidents:incident-new": Case("GET", "A A A A F F F F A L"),
    "incidents:incident-drafts": Case("GET", "A A A A F F F F A L"),
    "incidents:incident-review-queue": Case("GET", "F F F F A F F F F L"),
    "incidents:incident-unit-list": Case("GET", "F A F F A A F F N L", unit_a),
    "incidents:incident-detail": Case("GET", "A A A A A A F F N L", incident),
    "incidents:incident-print": Case("GET", "A A A A A A F F N L", incident),
    # A draft is its reporter's alone: nobody else may know it exists.
    "incidents:incident-edit": Case("GET", "A N N N N N N N N L", draft),
    "incidents:incident-injury": Case("GET", "A N N N N N N N N L", draft),
    "incidents:incident-submit": Case("POST", "A N N N N N N N N L", draft),
    "incidents:incident-review": Case("GET", "F F F F A F F F N L", incident),
    "incidents:incident-addendum": Case("GET", "A A A A A F F F N L", incident),
    "incidents:incident-debrief": Case("GET", "A A A A A F F F N L", incident),
    # An empty body: the page answers with a message, nothing is recorded.
    "incidents:incident-notification-sent": Case("POST", "F A A F A F F F N L", notification),
}


def _body(w: World, who: str) -> dict[str, Any]:
    return {
        "unit": str(w.unit_a.public_id),
        "type": "fall",
        "occurred_at": (clock.now() - timedelta(minutes=5)).isoformat(),
        "location": "Bathroom",
        "narrative": "Slipped on a wet floor.",
        "persons": [str(w.person_a.public_id)],
    }


#                                                   bht nur cli pee sup dir pri adm out anon
API: dict[str, Case] = {
    "GET /api/v1/incidents": Case("GET", "A A A A A A A A A U"),
    "POST /api/v1/incidents": Case("POST", "A A A A F F F F N U", body=_body),
    "GET /api/v1/incidents/{public_id}": Case("GET", "A A A A A A F F N U", incident),
    "POST /api/v1/incidents/{public_id}/submit": Case("POST", "A N N N N N N N N U", draft),
    "POST /api/v1/incidents/{public_id}/review": Case("POST", "F F F F A F F F N U", incident),
    # Not yet under review: the supervisor is answered 422 (allowed, refused as a state).
    "POST /api/v1/incidents/{public_id}/close": Case(
        "POST", "F F F F V F F F N U", incident, body=lambda w, who: {"note": "Done"}
    ),
    "POST /api/v1/incidents/{public_id}/addenda": Case(
        "POST",
        "A A A A A F F F N U",
        incident,
        body=lambda w, who: {"reason": "Wrong room", "text": "It was the hallway."},
    ),
    "POST /api/v1/incidents/{public_id}/debriefs": Case(
        "POST",
        "A A A A A F F F N U",
        incident,
        body=lambda w, who: {
            "kind": "staff",
            "held_at": clock.now().isoformat(),
            "participants": "Shift team",
            "learned": "Mop signs.",
        },
    ),
    "POST /api/v1/incident-notifications/{public_id}/sent": Case(
        "POST", "F A A F A F F F N U", notification, body=lambda w, who: {"note": "Phoned"}
    ),
}


def _details(w: World, location: str) -> services.IncidentDetails:
    return services.IncidentDetails(
        type="aggression_peer",
        occurred_at=clock.now() - timedelta(minutes=30),
        location=location,
        narrative="Pushed a peer in the day room.",
        persons=[w.person_a],
        staff_involved=[w.staff["bht"]],
    )


def fixtures(world: World, extra: dict[str, Any]) -> None:
    bht = world.user("bht")
    submitted = services.create_draft(world.unit_a, _details(world, "Day room"), actor=bht)
    extra["incident"] = services.submit_incident(submitted, actor=bht)
    extra["incident_draft"] = services.create_draft(
        world.unit_a, _details(world, "Hall"), actor=bht
    )


def fuzz_ids(world: World) -> dict[str, str]:
    from pillars.incidents.models import Incident

    found = Incident.objects.exclude(status="draft").first()
    if found is None:
        bht = world.user("bht")
        found = services.submit_incident(
            services.create_draft(world.unit_a, _details(world, "Day room"), actor=bht), actor=bht
        )
    notification = found.notifications.first()
    ids = {"/api/v1/incidents/": str(found.public_id)}
    if notification is not None:
        ids["/api/v1/incident-notifications/"] = str(notification.public_id)
    return ids
