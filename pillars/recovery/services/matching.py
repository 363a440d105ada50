"""Every write of peer matching: a peer's own profile (share, withdraw), opening a request for a
person served, offering candidates, recording the person's choice, withdrawing a request.

Matching reads a peer only through ``PeerProfile.shared()`` (``score``): what a peer did not
share cannot raise or lower a rank, and cannot appear in the reasons shown to the person.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import transaction

from pillars.audit import log as audit
from pillars.audit.choices import Action, Purpose
from pillars.core import clock, policy
from pillars.core.errors import Conflict, ValidationError, invalid
from pillars.core.writes import atomic_or_conflict
from pillars.people import services as people_services
from pillars.people.choices import CaseloadKind
from pillars.people.models import CaseloadAssignment, PersonServed, Staff
from pillars.people.selectors import record_person_event
from pillars.recovery.models.matching import (
    SHAREABLE,
    AgeBand,
    Availability,
    LivedExperienceArea,
    MatchCandidate,
    MatchRequest,
    MatchStatus,
    PeerGender,
    PeerProfile,
    RecoveryPathway,
)
from pillars.recovery.selectors import matching as selectors
from pillars.recovery.services.person_audit import audit_person_write

# How many peers a request offers at most: enough to choose from, few enough to read together.
MAX_OFFERED = 5
MAX_LANGUAGES = 8
MAX_INTRO = 400
# Lived-experience areas that are a recovery of one's own from substance use: the reason reads
# "Also in recovery from ..." for these.
SUBSTANCE_AREAS = frozenset(
    {LivedExperienceArea.ALCOHOL, LivedExperienceArea.OPIOIDS, LivedExperienceArea.STIMULANTS}
)
# Weights: what the person named as mattering most in the requests we model (language first,
# shared experience next); availability and age band break ties.
WEIGHTS = {
    "languages": 4,
    "lived_experience": 3,
    "recovery_pathway": 2,
    "gender": 2,
    "age_band": 1,
    "availability": 1,
}
PREFERENCE_KEYS = tuple(WEIGHTS)


# --- Pure matching ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scored:
    """One peer's fit to a request: the score and the reasons, both from shared attributes."""

    peer_id: int
    score: int
    reasons: tuple[str, ...] = field(default_factory=tuple)


def _fold(values: Iterable[str]) -> dict[str, str]:
    return {str(v).strip().casefold(): str(v).strip() for v in values if str(v).strip()}


def score(preferences: dict[str, Any], shared: dict[str, Any]) -> tuple[int, list[str]]:
    """How well a peer's shared attributes meet the person's preferences, with a reason for
    each point, in words for the person ("Shares: Spanish"). ``shared`` must come from
    ``PeerProfile.shared()``; nothing else is read."""
    total, reasons = 0, []
    wanted = _fold(preferences.get("languages", []))
    spoken = _fold(shared.get("languages", []))
    for key in sorted(set(wanted) & set(spoken)):
        total += WEIGHTS["languages"]
        reasons.append(f"Shares: {spoken[key]}")
    areas = set(preferences.get("lived_experience", [])) & set(shared.get("lived_experience", []))
    for code in [c for c in LivedExperienceArea.values if c in areas]:
        total += WEIGHTS["lived_experience"]
        label = LivedExperienceArea(code).label
        reasons.append(
            f"Also in recovery from {label}"
            if code in SUBSTANCE_AREAS
            else f"Also has lived experience of {label}"
        )
    pathway = preferences.get("recovery_pathway")
    if pathway and pathway == shared.get("recovery_pathway"):
        total += WEIGHTS["recovery_pathway"]
        reasons.append(f"Same recovery pathway: {RecoveryPathway(pathway).label}")
    gender = preferences.get("gender")
    if gender and gender == shared.get("gender"):
        total += WEIGHTS["gender"]
        reasons.append(f"Gender you asked for: {PeerGender(gender).label}")
    band = preferences.get("age_band")
    if band and band == shared.get("age_band"):
        total += WEIGHTS["age_band"]
        reasons.append(f"Age band you asked for: {AgeBand(band).label}")
    times = set(preferences.get("availability", [])) & set(shared.get("availability", []))
    for code in [c for c in Availability.values if c in times]:
        total += WEIGHTS["availability"]
        reasons.append(f"Available: {Availability(code).label}")
    return total, reasons


def rank(
    preferences: dict[str, Any], peers: Iterable[tuple[int, str, int, dict[str, Any]]]
) -> list[Scored]:
    """Order peers (id, name, room left, shared attributes) by fit, then by room left (spread
    the work), then by name and id so the same inputs always give the same order."""
    scored = []
    for peer_id, name, room, shared in peers:
        points, reasons = score(preferences, shared)
        scored.append((-points, -room, name, peer_id, Scored(peer_id, points, tuple(reasons))))
    scored.sort(key=lambda row: row[:4])
    return [row[4] for row in scored]


# --- Peer profile -------------------------------------------------------------------------------


def _choice_list(values: Any, choices: Iterable[str], field_name: str) -> list[str]:
    allowed = list(choices)
    picked = [str(v) for v in (values or [])]
    unknown = [v for v in picked if v not in allowed]
    if unknown:
        raise invalid(field_name, f"Unknown choices: {', '.join(unknown)}.")
    return [c for c in allowed if c in picked]


def _one_choice(value: Any, choices: Iterable[str], field_name: str) -> str:
    value = str(value or "")
    if value and value not in list(choices):
        raise invalid(field_name, f"Unknown choice: {value}.")
    return value


def _languages(values: Any) -> list[str]:
    cleaned = list(_fold(str(v)[:60] for v in (values or [])).values())
    if len(cleaned) > MAX_LANGUAGES:
        raise invalid("languages", f"List at most {MAX_LANGUAGES} languages.")
    return cleaned


def clean_attributes(values: dict[str, Any]) -> dict[str, Any]:
    """A profile's (or a request's) attribute values checked against their choices."""
    errors: dict[str, list[str]] = {}
    out: dict[str, Any] = {}
    checks = {
        "lived_experience": lambda v: _choice_list(
            v, LivedExperienceArea.values, "lived_experience"
        ),
        "recovery_pathway": lambda v: _one_choice(v, RecoveryPathway.values, "recovery_pathway"),
        "languages": _languages,
        "gender": lambda v: _one_choice(v, PeerGender.values, "gender"),
        "age_band": lambda v: _one_choice(v, AgeBand.values, "age_band"),
        "availability": lambda v: _choice_list(v, Availability.values, "availability"),
    }
    for name, check in checks.items():
        if name in values:
            try:
                out[name] = check(values[name])
            except ValidationError as exc:
                errors.update(exc.message_dict)
    if "intro" in values:
        intro = " ".join(str(values["intro"] or "").split())
        if len(intro) > MAX_INTRO:
            errors["intro"] = [f"Keep the introduction to {MAX_INTRO} characters."]
        out["intro"] = intro
    if errors:
        raise ValidationError(errors)
    return out


def save_peer_profile(
    staff: Staff,
    *,
    actor: Any,
    values: dict[str, Any],
    shares: Iterable[str],
    is_accepting: bool = True,
) -> PeerProfile:
    """Create or change a peer's own matching profile: the values and, per attribute, whether
    it is shared. Only the peer does this; the audit event names which attributes are shared,
    never their values (lived experience is the peer's to disclose, not the log's)."""
    policy.require(actor, "recovery.edit_peer_profile", staff)
    if not staff.roles.filter(code="peer").exists():
        raise invalid(None, "Only peer specialists keep a matching profile.")
    shares = set(shares)
    unknown = shares - set(SHAREABLE)
    if unknown:
        raise invalid("shares", f"Unknown attributes: {', '.join(sorted(unknown))}.")
    cleaned = clean_attributes({name: values.get(name) for name in SHAREABLE})
    now = clock.now()
    with transaction.atomic():
        profile = PeerProfile.objects.select_for_update().filter(staff=staff).first()
        before = None
        if profile is None:
            profile = PeerProfile(staff=staff)
        else:
            before = _share_state(profile)
        for name in SHAREABLE:
            setattr(profile, name, cleaned[name])
            setattr(profile, f"share_{name}", name in shares)
        profile.is_accepting = bool(is_accepting)
        profile.updated_at = now
        profile.save()
        audit.record(
            actor,
            Action.CREATE if before is None else Action.UPDATE,
            profile,
            purpose=Purpose.OPERATIONS,
            detail=audit.changes(before, _share_state(profile)),
        )
    return profile


def _share_state(profile: PeerProfile) -> dict[str, Any]:
    state: dict[str, Any] = {f"share_{n}": getattr(profile, f"share_{n}") for n in SHAREABLE}
    state["is_accepting"] = profile.is_accepting
    return state


def withdraw_attribute(profile: PeerProfile, *, actor: Any, attribute: str) -> PeerProfile:
    """Stop sharing one attribute, at once: matching and every page stop reading it with the
    next request, offers already made included (they hold no copy)."""
    policy.require(actor, "recovery.edit_peer_profile", profile)
    if attribute not in SHAREABLE:
        raise invalid("attribute", "Choose an attribute to withdraw.")
    with transaction.atomic():
        profile = PeerProfile.objects.select_for_update().get(pk=profile.pk)
        flag = f"share_{attribute}"
        if not getattr(profile, flag):
            raise invalid("attribute", f"{SHAREABLE[attribute]} is not shared.")
        setattr(profile, flag, False)
        profile.updated_at = clock.now()
        profile.save(update_fields=[flag, "updated_at"])
        audit.record(
            actor,
            Action.UPDATE,
            profile,
            purpose=Purpose.OPERATIONS,
            detail={"event": "withdraw", **audit.changes({flag: True}, {flag: False})},
        )
    return profile


# --- Requests -------------------------------------------------------------------------------


def clean_preferences(raw: dict[str, Any]) -> dict[str, Any]:
    """What the person asked for, checked; empty answers are left out."""
    cleaned = clean_attributes({k: raw.get(k) for k in PREFERENCE_KEYS if k in raw})
    unknown = set(raw) - set(PREFERENCE_KEYS)
    if unknown:
        raise invalid("preferences", f"Unknown preferences: {', '.join(sorted(unknown))}.")
    return {k: v for k, v in cleaned.items() if v}


def _audit_request(actor: Any, request: MatchRequest, detail: dict[str, Any]) -> None:
    action = Action.UPDATE if "event" in detail else Action.CREATE
    audit_person_write(actor, action, request, request.person, **detail)


def _offer(request: MatchRequest, actor: Any) -> list[MatchCandidate]:
    """Replace the request's candidates with the best-fitting peers with room now (inside the
    caller's transaction)."""
    now = clock.now()
    # The organization's day: a caseload's first and last days are its days (DESIGN.md rule 1).
    peers = selectors.candidate_pool(actor, request.person, clock.organization_today(now))
    order = rank(request.preferences, [(p.peer.pk, p.name, p.room, p.shared) for p in peers])
    request.candidates.all().delete()
    offered = [
        MatchCandidate(request=request, peer_id=s.peer_id, rank=n, offered_at=now)
        for n, s in enumerate(order[:MAX_OFFERED], start=1)
    ]
    MatchCandidate.objects.bulk_create(offered)
    request.status = MatchStatus.OFFERED if offered else MatchStatus.OPEN
    request.offered_at = now if offered else None
    request.save(update_fields=["status", "offered_at"])
    return offered


def open_match_request(
    person: PersonServed, *, actor: Any, preferences: dict[str, Any], note: str = ""
) -> MatchRequest:
    """Open a request for a peer with what the person asked for, and offer the peers who fit
    best and have caseload room now (none: the request stays open until one has)."""
    acting = policy.require(actor, "recovery.request_peer", person)
    cleaned = clean_preferences(preferences or {})
    note = " ".join(str(note or "").split())
    if len(note) > 500:
        raise invalid("note", "Keep the note to 500 characters.")
    with transaction.atomic():
        PersonServed.objects.select_for_update().filter(pk=person.pk).first()
        if MatchRequest.objects.filter(
            person=person, status__in=[MatchStatus.OPEN, MatchStatus.OFFERED]
        ).exists():
            raise invalid(None, f"{person} already has a request for a peer in progress.")
        request = MatchRequest.objects.create(
            person=person,
            requested_by_id=acting.staff_pk,
            requested_at=clock.now(),
            preferences=cleaned,
            note=note,
        )
        offered = _offer(request, actor)
        _audit_request(
            actor,
            request,
            {"preferences": sorted(cleaned), "offered": [str(o.peer.public_id) for o in offered]},
        )
    return request


def refresh_candidates(request: MatchRequest, *, actor: Any) -> MatchRequest:
    """Offer again from the peers' profiles and caseloads as they are now."""
    policy.require(actor, "recovery.request_peer", request)
    with transaction.atomic():
        request = MatchRequest.objects.select_for_update().get(pk=request.pk)
        if not request.is_active:
            raise invalid(None, "This request is closed.")
        offered = _offer(request, actor)
        _audit_request(
            actor,
            request,
            {"event": "offer", "offered": [str(o.peer.public_id) for o in offered]},
        )
    return request


def _assign_chosen_peer(
    actor: Any, peer: Staff, person: PersonServed, day: date
) -> CaseloadAssignment:
    """Put the person on the chosen peer's caseload (called inside ``choose_peer``'s
    transaction, after its permission check). The checks and the audit event are those of
    ``people.services.assign_caseload``, without its general caseload permission."""
    if peer.exited_on is not None and peer.exited_on <= day:
        raise invalid("peer", f"{peer} no longer works here.")
    if not peer.roles.filter(code__in=people_services.CASELOAD_ROLES).exists():
        raise invalid("peer", f"{peer} does not have a role that carries a caseload.")
    if day < peer.hired_on:
        raise invalid("peer", f"{peer} starts work on {peer.hired_on:%Y-%m-%d}.")
    if CaseloadAssignment.objects.filter(
        staff=peer, person=person, kind=CaseloadKind.PEER, ended_on__isnull=True
    ).exists():
        raise invalid(None, f"{person} is already on {peer}'s caseload.")
    assignment = CaseloadAssignment.objects.create(
        staff=peer, person=person, kind=CaseloadKind.PEER, started_on=day
    )
    record_person_event(
        person,
        actor=policy.actor_for(actor).user,
        action=Action.CREATE,
        target=assignment,
        purpose=Purpose.OPERATIONS,
        detail={
            **audit.changes(
                None,
                {
                    "staff": str(peer.public_id),
                    "kind": CaseloadKind.PEER,
                    "started_on": day.isoformat(),
                },
            ),
            "via": "recovery.record_peer_choice",
        },
    )
    # Caseload is part of scope: drop actors cached for the rest of this request.
    policy.forget(peer.user)
    policy.forget(actor)
    return assignment


def choose_peer(
    request: MatchRequest, *, actor: Any, peer: Staff, chosen_by_person: bool
) -> MatchRequest:
    """Record the peer the person chose from the offer: the person goes on the peer's caseload.
    ``recovery.record_peer_choice`` alone decides who may (a peer working with the person may);
    the assignment is written here with the people app's audit shape. The peer's room is checked
    again under a lock on the peer's row, so two choices at once cannot pass the limit."""
    acting = policy.require(actor, "recovery.record_peer_choice", request)
    if not chosen_by_person:
        raise invalid("chosen_by_person", "Confirm that the person made this choice themself.")
    # The caseload starts on the organization's day, as people.services.assign_caseload's does.
    today = clock.organization_today()
    with atomic_or_conflict("This request changed a moment ago; reload the page."):
        request = MatchRequest.objects.select_for_update().get(pk=request.pk)
        if not request.is_active:
            raise invalid(None, "This request is closed.")
        if not request.candidates.filter(peer=peer).exists():
            raise invalid("peer", "Choose one of the peers offered.")
        # The lock every choice of this peer takes first: the count below cannot change
        # under us (PostgreSQL row lock; SQLite serializes writers anyway).
        peer = Staff.objects.select_for_update().get(pk=peer.pk)
        profile = PeerProfile.objects.filter(staff=peer).first()
        if profile is None or not profile.is_accepting:
            raise Conflict(f"{peer} is not taking new persons now; choose another peer.")
        if selectors.caseload_room(peer, today) <= 0:
            raise Conflict(f"{peer}'s caseload became full a moment ago; choose another peer.")
        assignment = _assign_chosen_peer(actor, peer, request.person, today)
        now = clock.now()
        request.status = MatchStatus.CHOSEN
        request.chosen_peer = peer
        request.chosen_at = now
        request.choice_recorded_by_id = acting.staff_pk
        request.chosen_by_person = True
        request.assignment = assignment
        request.closed_at = now
        request.save()
        _audit_request(
            actor,
            request,
            {
                "event": "chosen",
                "peer": str(peer.public_id),
                "chosen_by_person": True,
                "assignment": str(assignment.public_id),
            },
        )
    return request


def cancel_match_request(request: MatchRequest, *, actor: Any, reason: str) -> MatchRequest:
    """Withdraw a request that is still open (the person changed their mind, or left)."""
    policy.require(actor, "recovery.request_peer", request)
    reason = " ".join(str(reason or "").split())
    if not reason:
        raise invalid("reason", "Say why the request is withdrawn.")
    if len(reason) > 300:
        raise invalid("reason", "Keep the reason to 300 characters.")
    with transaction.atomic():
        request = MatchRequest.objects.select_for_update().get(pk=request.pk)
        if not request.is_active:
            raise invalid(None, "This request is already closed.")
        request.status = MatchStatus.CANCELLED
        request.closed_at = clock.now()
        request.closed_reason = reason
        request.save(update_fields=["status", "closed_at", "closed_reason"])
        _audit_request(actor, request, {"event": "cancel", "reason": reason})
    return request
