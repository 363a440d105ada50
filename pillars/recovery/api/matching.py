"""Peer matching in the JSON API: a peer's own profile (share, withdraw), requests for a peer
with the short profiles offered and why, the person's choice, offering again, withdrawing.

A peer's attributes leave the server only as ``PeerProfile.shared()`` gives them, except on the
peer's own profile."""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Any
from uuid import UUID

from django.http import Http404, HttpRequest
from ninja import Field, Query, Router, Schema, Status

from pillars.core import policy
from pillars.core.api_errors import READ_ERRORS, WRITE_ERRORS, error_responses
from pillars.core.api_lists import PageOut
from pillars.core.api_routes import audited_write, record_read
from pillars.core.api_types import Text
from pillars.core.declare import audited
from pillars.core.entry import Out
from pillars.core.errors import invalid
from pillars.core.pagination import PageParams, paginate
from pillars.people import selectors as people_selectors
from pillars.people.models import Staff
from pillars.recovery.models.matching import (
    SHAREABLE,
    AgeBand,
    Availability,
    LivedExperienceArea,
    MatchRequest,
    PeerGender,
    PeerProfile,
    RecoveryPathway,
)
from pillars.recovery.selectors import matching as selectors
from pillars.recovery.selectors.matching import OfferedPeer
from pillars.recovery.services import matching as services

router = Router(tags=["recovery"])


class PeerProfileOut(Out):
    public_id: UUID
    is_accepting: bool
    lived_experience: list[str]
    recovery_pathway: str
    languages: list[str]
    gender: str
    age_band: str
    availability: list[str]
    intro: str
    shared: list[str] = Field(description="The attributes shared with persons served.")

    @staticmethod
    def resolve_shared(profile: PeerProfile) -> list[str]:
        return [n for n in SHAREABLE if getattr(profile, f"share_{n}")]


class PeerProfileIn(Schema):
    is_accepting: bool = True
    lived_experience: list[LivedExperienceArea] = Field(default_factory=list, max_length=10)
    recovery_pathway: RecoveryPathway | None = None
    languages: list[Text] = Field(default_factory=list, max_length=8)
    gender: PeerGender | None = None
    age_band: AgeBand | None = None
    availability: list[Availability] = Field(default_factory=list, max_length=4)
    intro: Text = Field("", max_length=400)
    shared: list[str] = Field(
        default_factory=list,
        max_length=7,
        description="Attributes to share: " + ", ".join(SHAREABLE) + ". Anything else is kept "
        "private and never used for matching.",
    )


class WithdrawIn(Schema):
    attribute: str = Field(description="One of: " + ", ".join(SHAREABLE) + ".", max_length=40)


class PreferencesIn(Schema):
    lived_experience: list[LivedExperienceArea] = Field(default_factory=list, max_length=10)
    recovery_pathway: RecoveryPathway | None = None
    languages: list[Text] = Field(default_factory=list, max_length=8)
    gender: PeerGender | None = None
    age_band: AgeBand | None = None
    availability: list[Availability] = Field(default_factory=list, max_length=4)


class MatchRequestIn(Schema):
    preferences: PreferencesIn = Field(default_factory=PreferencesIn)
    note: Text = Field("", max_length=500)
    client_id: UUID | None = Field(None, description="Optional replay key made by the client.")


class SharedLineOut(Schema):
    attribute: str
    label: str
    value: str


class OfferedPeerOut(Out):
    peer: UUID
    name: str
    rank: int
    reasons: list[str]
    shared: list[SharedLineOut]
    is_available: bool

    paths = {"name": "peer.display_name", "rank": "candidate.rank"}

    @staticmethod
    def resolve_shared(offer: OfferedPeer) -> list[SharedLineOut]:
        return [SharedLineOut(attribute=n, label=lab, value=v) for n, lab, v in offer.lines]


# of(match, with_offers=False) leaves the peers offered out (a list's rows).
class MatchRequestOut(Out):
    public_id: UUID
    person: UUID
    status: str
    requested_by: str
    requested_at: datetime
    note: str
    chosen_peer: UUID | None
    chosen_at: datetime | None
    chosen_by_person: bool
    offered: list[OfferedPeerOut]

    paths = {"requested_by": "requested_by.display_name"}

    @staticmethod
    def resolve_offered(match: MatchRequest, context: dict[str, Any]) -> list[OfferedPeer]:
        with_offers = context.get("with_offers", True)
        return selectors.offered_peers(match) if with_offers and match.is_active else []


class MatchRequestPage(PageOut):
    items: list[MatchRequestOut]
    next_cursor: str | None


class ChooseIn(Schema):
    peer: UUID
    chosen_by_person: bool = Field(
        description="The person chose this peer themself; the staff member records it with them."
    )
    client_id: UUID | None = Field(None, description="Optional replay key made by the client.")


class MatchWithdrawIn(Schema):
    reason: Text = Field(max_length=300)
    client_id: UUID | None = Field(None, description="Optional replay key made by the client.")


def _own_profile(request: HttpRequest) -> PeerProfile:
    """The caller's own peer profile, for a peer who may edit it; 404 when they have none."""
    policy.require(request.user, "recovery.edit_peer_profile")
    profile = selectors.profile_of(selectors.own_staff(request.user))
    if profile is None:
        raise Http404("Not found")
    return profile


@router.get(
    "/peer-profile",
    response={200: PeerProfileOut, **READ_ERRORS},
    summary="The caller's own peer profile, with what it shares",
)
@audited("one's own peer profile (no person served)")
def own_profile(request: HttpRequest) -> Status[PeerProfileOut]:
    return Status(200, PeerProfileOut.of(_own_profile(request)))


@router.put(
    "/peer-profile",
    response={200: PeerProfileOut, **WRITE_ERRORS},
    summary="Create or change the caller's own peer profile and what it shares",
)
@audited("saves one's own peer profile (save_peer_profile audits)")
def save_profile(request: HttpRequest, payload: PeerProfileIn) -> Status[PeerProfileOut]:
    policy.require(request.user, "recovery.edit_peer_profile")
    values = payload.model_dump(exclude={"shared", "is_accepting"})
    values = {k: ("" if v is None else v) for k, v in values.items()}
    profile = services.save_peer_profile(
        selectors.own_staff(request.user),
        actor=request.user,
        values=values,
        shares=payload.shared,
        is_accepting=payload.is_accepting,
    )
    return Status(200, PeerProfileOut.of(profile))


@router.post(
    "/peer-profile/withdraw",
    response={200: PeerProfileOut, **WRITE_ERRORS},
    summary="Stop sharing one attribute of the caller's peer profile, at once",
)
@audited_write("withdraws a shared attribute (withdraw_attribute audits)")
def withdraw(request: HttpRequest, payload: WithdrawIn) -> Status[PeerProfileOut]:
    profile = services.withdraw_attribute(
        _own_profile(request), actor=request.user, attribute=payload.attribute
    )
    return Status(200, PeerProfileOut.of(profile))


@router.get(
    "/peer-requests",
    response={200: MatchRequestPage, **error_responses(401, 403, 422)},
    summary="Requests for a peer in progress that the caller may see, oldest first",
)
@audited("a list of peer requests (one audited read per page)")
def list_requests(request: HttpRequest, page: Query[PageParams]) -> MatchRequestPage:
    policy.require(request.user, "recovery.view_peer_matches")
    result = paginate(selectors.requests_visible_to(request.user), page, order=("requested_at",))
    people_selectors.record_list_read(
        request.user, [r.person for r in result.items], what="api peer requests"
    )
    return MatchRequestPage.of(result, with_offers=False)


@router.post(
    "/persons/{public_id}/peer-requests",
    response={201: MatchRequestOut, **WRITE_ERRORS},
    summary="Open a request for a peer with the person's preferences; peers are offered at once",
)
@audited_write("opens a peer request (get_person_for and open_match_request audit)")
def open_request(
    request: HttpRequest, public_id: UUID, payload: MatchRequestIn
) -> Status[MatchRequestOut]:
    person = people_selectors.get_person_for(
        request.user, public_id, "recovery.request_peer", what="api request a peer"
    )
    prefs = payload.preferences.model_dump()
    prefs = {k: v for k, v in prefs.items() if v not in (None, [], "")}
    made = services.open_match_request(
        person, actor=request.user, preferences=prefs, note=payload.note
    )
    return Status(201, MatchRequestOut.of(made))


record_read(
    router,
    "/peer-requests/{public_id}",
    MatchRequestOut,
    partial(selectors.get_request_for, what="api peer request"),
    name="get_request",
    summary="One request for a peer, with the short profiles offered and why each fits",
    audit="one peer request (get_request_for audits)",
)


@router.post(
    "/peer-requests/{public_id}/choose",
    response={200: MatchRequestOut, **WRITE_ERRORS},
    summary="Record the peer the person chose; the person goes on that peer's caseload",
)
@audited_write("records the person's choice (get_request_for and choose_peer audit)")
def choose(request: HttpRequest, public_id: UUID, payload: ChooseIn) -> Status[MatchRequestOut]:
    match = selectors.get_request_for(
        request.user, public_id, "recovery.record_peer_choice", what="api peer request to choose"
    )
    peer = Staff.objects.filter(public_id=payload.peer).first()
    if peer is None or not match.candidates.filter(peer=peer).exists():
        raise invalid("peer", "Choose one of the peers offered.")
    done = services.choose_peer(
        match, actor=request.user, peer=peer, chosen_by_person=payload.chosen_by_person
    )
    return Status(200, MatchRequestOut.of(done))


@router.post(
    "/peer-requests/{public_id}/offer",
    response={200: MatchRequestOut, **WRITE_ERRORS},
    summary="Offer peers again from profiles and caseloads as they are now",
)
@audited_write("offers peers again (get_request_for and refresh_candidates audit)")
def offer_again(request: HttpRequest, public_id: UUID) -> Status[MatchRequestOut]:
    match = selectors.get_request_for(
        request.user, public_id, "recovery.request_peer", what="api peer request to offer again"
    )
    return Status(200, MatchRequestOut.of(services.refresh_candidates(match, actor=request.user)))


@router.post(
    "/peer-requests/{public_id}/withdraw",
    response={200: MatchRequestOut, **WRITE_ERRORS},
    summary="Withdraw a request for a peer that is still in progress",
)
@audited_write("withdraws a peer request (get_request_for and cancel_match_request audit)")
def withdraw_request(
    request: HttpRequest, public_id: UUID, payload: MatchWithdrawIn
) -> Status[MatchRequestOut]:
    match = selectors.get_request_for(
        request.user, public_id, "recovery.request_peer", what="api peer request to withdraw"
    )
    done = services.cancel_match_request(match, actor=request.user, reason=payload.reason)
    return Status(200, MatchRequestOut.of(done))
