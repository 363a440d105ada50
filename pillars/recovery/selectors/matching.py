"""Reads of peer matching, scoped by the policy layer; reads about a person are audited.

Peers' profiles are read here only through ``PeerProfile.shared()``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Count, F, Q, QuerySet
from django.http import Http404

from pillars.core import clock, policy
from pillars.people.choices import CaseloadKind
from pillars.people.labels import LABEL_COLUMNS
from pillars.people.models import CaseloadAssignment, PersonServed, Staff, StaffProgram
from pillars.people.selectors import active_caseload_q
from pillars.recovery.models.matching import (
    DEFAULT_CASELOAD_LIMIT,
    SHAREABLE,
    AgeBand,
    Availability,
    CaseloadLimit,
    LivedExperienceArea,
    MatchCandidate,
    MatchRequest,
    MatchStatus,
    PeerGender,
    PeerProfile,
    RecoveryPathway,
)
from pillars.recovery.selectors.person_reads import get_person_record_for


def caseload_limit_for(peer: Staff) -> int:
    """The most persons the peer may carry: the strictest limit among the peer's programs, else
    the default row, else the shipped default (15)."""
    return caseload_limits_for([peer])[peer.pk]


def caseload_limits_for(peers: Iterable[Staff]) -> dict[int, int]:
    """``caseload_limit_for`` of many peers by staff id: one query for the limits, one for the
    peers' programs."""
    peers = list(peers)
    limits = list(CaseloadLimit.objects.order_by("pk").values_list("program_id", "max_persons"))
    default = next((n for program, n in limits if program is None), DEFAULT_CASELOAD_LIMIT)
    strictest: dict[int, int] = {}
    for program, n in limits:
        if program is not None:
            strictest[program] = min(n, strictest.get(program, n))
    programs: dict[int, list[int]] = {peer.pk: [] for peer in peers}
    if strictest and peers:
        for staff_id, program_id in StaffProgram.objects.filter(
            staff_id__in=list(programs)
        ).values_list("staff_id", "program_id"):
            programs[staff_id].append(program_id)
    return {
        pk: min((strictest[p] for p in mine if p in strictest), default=default)
        for pk, mine in programs.items()
    }


def caseload_count(peer: Staff, today: date) -> int:
    return CaseloadAssignment.objects.filter(
        active_caseload_q(today), staff=peer, kind=CaseloadKind.PEER
    ).count()


def caseload_room(peer: Staff, today: date) -> int:
    """How many more persons the peer may take today (0 or less: none)."""
    return caseload_limit_for(peer) - caseload_count(peer, today)


@dataclass(frozen=True)
class PoolPeer:
    peer: Staff
    name: str
    room: int
    shared: dict[str, Any]


def candidate_pool(actor: Any, person: PersonServed, today: date) -> list[PoolPeer]:
    """Peers who could be offered to the person now: peer specialists the actor's scope shows,
    employed today, open to new persons, with caseload room, not already the person's peer."""
    already = CaseloadAssignment.objects.filter(
        active_caseload_q(today), person=person, kind=CaseloadKind.PEER
    ).values("staff_id")
    staff = (
        policy.restrict(Staff.objects.all(), actor, "people.view_staff")
        .filter(roles__code="peer", peer_profile__is_accepting=True, hired_on__lte=today)
        .filter(Q(exited_on__isnull=True) | Q(exited_on__gt=today))
        .exclude(pk__in=already)
        .annotate(
            carrying=Count(
                "caseload",
                filter=Q(caseload__kind=CaseloadKind.PEER) & active_caseload_q(today, "caseload__"),
                distinct=True,
            )
        )
        .select_related("peer_profile")
        .distinct()
    )
    peers = list(staff)
    # The same limit the choice is checked against (``caseload_room``).
    limits = caseload_limits_for(peers)
    pool = []
    for peer in peers:
        room = limits[peer.pk] - peer.carrying
        if room > 0:
            pool.append(PoolPeer(peer, peer.display_name, room, peer.peer_profile.shared()))
    return pool


def own_staff(user: Any) -> Staff:
    """The staff member signed in, whose own peer profile is read or saved; 404 for an account
    that is no staff member."""
    staff = Staff.objects.filter(pk=policy.actor_for(user).staff_id or 0).first()
    if staff is None:
        raise Http404("Not found")
    return staff


def profile_of(staff: Staff) -> PeerProfile | None:
    return PeerProfile.objects.filter(staff=staff).first()


def requests_visible_to(user: Any, *, active_only: bool = True) -> QuerySet[MatchRequest]:
    qs = policy.restrict(MatchRequest.objects.all(), user, "recovery.view_peer_matches")
    if active_only:
        qs = qs.filter(status__in=[MatchStatus.OPEN, MatchStatus.OFFERED])
    return qs.select_related("person", "requested_by", "chosen_peer").order_by("requested_at", "pk")


def requests_of(person_id: int, user: Any) -> QuerySet[MatchRequest]:
    """The person's requests the user may read (the caller checked the person's scope), newest
    first, with what the person page's section shows: the status, the chosen peer's name (as
    ``chosen_peer_name``) and when, and the Part 2 label columns (the label guard reads them on
    a row it logs), not the requester's and the peer's rows."""
    return (
        policy.readable(MatchRequest.objects.filter(person_id=person_id), user)
        .only("public_id", *LABEL_COLUMNS, "requested_at", "status", "chosen_at")
        .annotate(chosen_peer_name=F("chosen_peer__display_name"))
        .order_by("-requested_at", "-pk")
    )


def get_request_for(
    user: Any, public_id: Any, action: str = "recovery.view_peer_matches", *, what: str
) -> MatchRequest:
    """One request, 404 when out of scope, 403 when not allowed; the read is audited."""
    requests = MatchRequest.objects.select_related("person", "requested_by", "chosen_peer")
    return get_person_record_for(requests, user, public_id, action, what=what)


@dataclass(frozen=True)
class OfferedPeer:
    """A short profile as the person sees it: the peer's name, what they share, why they were
    offered, and whether they can still be chosen."""

    candidate: MatchCandidate
    peer: Staff
    shared: dict[str, Any]
    reasons: list[str]
    room: int
    is_available: bool

    @property
    def lines(self) -> list[tuple[str, str, str]]:
        return describe_shared(self.shared)


def describe_shared(shared: dict[str, Any]) -> list[tuple[str, str, str]]:
    """A peer's shared attributes as (name, label, words) lines for pages; built from ``shared()``
    only, so a withdrawn attribute has no line."""
    names = {
        "lived_experience": LivedExperienceArea,
        "recovery_pathway": RecoveryPathway,
        "gender": PeerGender,
        "age_band": AgeBand,
        "availability": Availability,
    }
    lines = []
    for name, label in SHAREABLE.items():
        if name not in shared:
            continue
        value = shared[name]
        choices = names.get(name)
        values = value if isinstance(value, list) else [value]
        words = [str(choices(v).label) if choices else str(v) for v in values]
        lines.append((name, label, ", ".join(words)))
    return lines


def offered_peers(request: MatchRequest) -> list[OfferedPeer]:
    """The request's candidates with their shared attributes and reasons as they are now: a
    withdrawn attribute is gone from an offer made before the withdrawal."""
    from pillars.recovery.services.matching import score

    today = clock.organization_today()
    out = []
    for candidate in request.candidates.select_related("peer", "peer__peer_profile").order_by(
        "rank"
    ):
        profile = getattr(candidate.peer, "peer_profile", None)
        shared = profile.shared() if profile is not None else {}
        _, reasons = score(request.preferences, shared)
        room = caseload_room(candidate.peer, today)
        out.append(
            OfferedPeer(
                candidate=candidate,
                peer=candidate.peer,
                shared=shared,
                reasons=reasons,
                room=room,
                is_available=profile is not None and profile.is_accepting and room > 0,
            )
        )
    return out
