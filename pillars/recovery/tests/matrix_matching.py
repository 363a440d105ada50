"""Permission matrix for peer matching: a peer's own profile, requests for a peer, the
candidates, the person's choice and the API. Fixtures: a second peer on unit A sharing a
language, the first peer's own profile, and a request in progress for person A offering the
second peer (the first already has person A on their caseload in the foundation fixtures)."""

from __future__ import annotations

from typing import Any

from pillars.core import clock
from pillars.core.roles import RoleCode
from pillars.core.tests.matrix_support import Case
from pillars.people.testing import World, make_staff
from pillars.recovery.models.matching import MatchCandidate, MatchRequest, PeerProfile


def person_a(w: World, extra: dict[str, Any]) -> dict[str, Any]:
    return {"public_id": w.person_a.public_id}


def match(w: World, extra: dict[str, Any]) -> dict[str, Any]:
    return {"public_id": extra["match_request"].public_id}


def _profile_body(w: World, who: str) -> dict[str, Any]:
    return {
        "is_accepting": True,
        "languages": ["English", "Spanish"],
        "lived_experience": ["alcohol"],
        "shared": ["languages"],
    }


def _choose_body(w: World, who: str) -> dict[str, Any]:
    peer = PeerProfile.objects.get(staff__user__username="t-peer-two").staff
    return {"peer": str(peer.public_id), "chosen_by_person": True}


#                                      bht nur cli pee sup dir pri adm out anon
PAGES: dict[str, Case] = {
    "recovery:peer-profile": Case("GET", "F F F A F F F F F L"),
    "recovery:peer-profile-withdraw": Case("POST", "F F F A F F F F F L"),
    "recovery:match-request-new": Case("GET", "F A A A A F F F N L", person_a),
    "recovery:match-list": Case("GET", "F A A A A A F F F L"),
    "recovery:match-request": Case("GET", "F A A A A A F F N L", match),
    # Without a body the choice is refused for its content and the page says so (a redirect).
    "recovery:match-choose": Case("POST", "F A A A A F F F N L", match),
    "recovery:match-refresh": Case("POST", "F A A A A F F F N L", match),
    "recovery:match-cancel": Case("GET", "F A A A A F F F N L", match),
}

#                                                           bht nur cli pee sup dir pri adm out anon
API: dict[str, Case] = {
    "GET /api/v1/peer-profile": Case("GET", "F F F A F F F F F U"),
    "PUT /api/v1/peer-profile": Case("PUT", "F F F A F F F F F U", body=_profile_body),
    "POST /api/v1/peer-profile/withdraw": Case(
        "POST", "F F F A F F F F F U", body=lambda w, who: {"attribute": "languages"}
    ),
    "GET /api/v1/peer-requests": Case("GET", "F A A A A A F F F U"),
    # Person A already has a request in progress: one at a time (refused for its content).
    "POST /api/v1/persons/{public_id}/peer-requests": Case(
        "POST",
        "F V V V V F F F N U",
        person_a,
        body=lambda w, who: {"preferences": {"languages": ["Spanish"]}},
    ),
    "GET /api/v1/peer-requests/{public_id}": Case("GET", "F A A A A A F F N U", match),
    "POST /api/v1/peer-requests/{public_id}/choose": Case(
        "POST", "F A A A A F F F N U", match, body=_choose_body
    ),
    "POST /api/v1/peer-requests/{public_id}/offer": Case("POST", "F A A A A F F F N U", match),
    "POST /api/v1/peer-requests/{public_id}/withdraw": Case(
        "POST", "F A A A A F F F N U", match, body=lambda w, who: {"reason": "Changed their mind"}
    ),
}


def make_request(world: World) -> MatchRequest:
    now = clock.now()
    two = make_staff("t-peer-two", [RoleCode.PEER], [world.unit_a])
    PeerProfile.objects.create(
        staff=two, languages=["Spanish"], share_languages=True, updated_at=now
    )
    PeerProfile.objects.create(
        staff=world.staff["peer"],
        languages=["English"],
        share_languages=True,
        updated_at=now,
    )
    request = MatchRequest.objects.create(
        person=world.person_a,
        requested_by=world.staff["nurse"],
        requested_at=now,
        preferences={"languages": ["Spanish"]},
        status="offered",
        offered_at=now,
    )
    MatchCandidate.objects.create(request=request, peer=two, rank=1, offered_at=now)
    return request


def fixtures(world: World, extra: dict[str, Any]) -> None:
    extra["match_request"] = make_request(world)


def fuzz_ids(world: World) -> dict[str, str]:
    request = MatchRequest.objects.filter(person=world.person_a).first()
    if request is None:
        request = make_request(world)
    return {"/api/v1/peer-requests/": str(request.public_id)}
