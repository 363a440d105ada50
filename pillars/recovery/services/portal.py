"""A person's own page: issuing, revoking and opening sign-in-free access, and what the person
sees and writes there.

Staff (the person's peer, or a clinician on their team) issue access; the link and the code are
shown once and only their hashes are kept (as ``core.tokens`` does for API tokens). Opening
answers the same refusal for an unknown link, a wrong code, a lock, an expired, unopened or
revoked access, so a refusal never tells whether a link exists. Every view and write by the
person is audited under the label "person access <public id>", with the person's id and
category.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from django.contrib.auth.hashers import check_password, make_password
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404

from pillars.audit import log as audit
from pillars.audit.choices import Action, Outcome, Purpose
from pillars.core import clock, policy, sweeps
from pillars.core.errors import Conflict, ValidationError
from pillars.people.models import PersonServed
from pillars.people.selectors import current_placement
from pillars.recovery.models.capital import Assessment, Instrument
from pillars.recovery.models.directory import SavedResource
from pillars.recovery.models.encounters import VirtualSession, VirtualStatus
from pillars.recovery.models.plans import Goal, GoalStatus, WellnessPlanStatus, WellnessPlanVersion
from pillars.recovery.models.portal import PersonAccess, PortalAddressFailure
from pillars.recovery.services.person_audit import audit_person_write

# After this many wrong codes the access is locked for LOCK_FOR, even to the right code (the
# sign-in lockout's shape, core.backends).
MAX_FAILURES = 5
LOCK_FOR = timedelta(minutes=15)
# Wrong codes from one address, across links, before that address is refused for LOCK_FOR.
ADDRESS_FAILURES = 20
LAST_USED_EVERY = timedelta(minutes=1)
REFUSAL = "That link or code is wrong or has expired. Ask your peer specialist for a new one."
BARC_CODE = "barc-10"


@dataclass(frozen=True)
class Issued:
    """A new access with its link token and code, which are never stored and shown once."""

    access: PersonAccess
    token: str
    code: str


def _audit_person(access: PersonAccess, action: str, target: Any = None, **detail: Any) -> None:
    audit_person_write(
        access, action, target if target is not None else access, access.person, **detail
    )


def issue_access(person: PersonServed, *, actor: Any) -> Issued:
    """Give the person access to their own page for the program they are placed in now."""
    acting = policy.require(actor, "recovery.issue_person_access", person)
    placement = current_placement(person)
    if placement is None:
        raise ValidationError(
            {"person": ["Access is given for the program the person is in; they have no stay."]}
        )
    now = clock.now()
    open_for, lasts = PersonAccess.lifetimes()
    token, code = PersonAccess.new_token(), PersonAccess.new_code()
    with transaction.atomic():
        access = PersonAccess.objects.create(
            person=person,
            issued_by_id=acting.staff_pk,
            issued_in=placement.unit,
            issued_at=now,
            token_hash=PersonAccess.hash_token(token),
            code_hash=make_password(code),
            open_by=now + open_for,
            expires_at=now + lasts,
        )
        audit_person_write(
            actor,
            Action.CREATE,
            access,
            person,
            what="person access",
            unit=placement.unit.code,
            expires_at=access.expires_at.isoformat(),
        )
    return Issued(access, token, code)


def revoke_access(access: PersonAccess, *, actor: Any) -> PersonAccess:
    """End an access at once; an open session on the person's phone ends at its next request."""
    acting = policy.require(actor, "recovery.revoke_person_access", access)
    with transaction.atomic():
        access = PersonAccess.objects.select_for_update().get(pk=access.pk)
        if access.revoked_at is not None:
            raise Conflict("This access was already revoked.")
        access.revoked_at = clock.now()
        access.revoked_by_id = acting.staff_pk
        access.save(update_fields=["revoked_at", "revoked_by"])
        audit_person_write(
            actor, Action.UPDATE, access, access.person, what="person access", event="revoked"
        )
    return access


def accesses_of(person: PersonServed, user: Any) -> QuerySet[PersonAccess]:
    """The person's accesses the user may see, newest first."""
    return policy.restrict(
        PersonAccess.objects.filter(person=person), user, "recovery.view_person_access"
    ).select_related("issued_by", "issued_in", "revoked_by")


def get_access_for(user: Any, public_id: UUID | str, action: str) -> PersonAccess:
    access = PersonAccess.objects.select_related("person").filter(public_id=public_id).first()
    if access is None:
        raise Http404("Not found")
    policy.require(user, action, access)
    return access


def _address_of(address: str | None) -> str:
    return (address or "-")[:64]


def address_refusals(address: str | None, now: datetime) -> int:
    """Refusals from one address within the throttle window, counted in the database so
    every process sees the same count."""
    return PortalAddressFailure.objects.filter(
        address=_address_of(address), at__gt=now - LOCK_FOR
    ).count()


def prune_address_refusals(now: datetime | None = None) -> sweeps.SweepResult:
    """The sweep that keeps the throttle's table small: refusals older than the window no
    longer count, so they are deleted."""
    now = now or clock.now()
    result = sweeps.SweepResult("portal address refusals")
    deleted, _ = PortalAddressFailure.objects.filter(at__lte=now - LOCK_FOR).delete()
    result.claimed += deleted
    return result


def _refuse(
    access: PersonAccess | None, reason: str, address: str | None, *, count: bool = True
) -> None:
    if count:
        PortalAddressFailure.objects.create(address=_address_of(address), at=clock.now())
    audit.record(
        actor=None,
        actor_label=access.actor_label if access is not None else "person access",
        action=Action.SIGN_IN_FAILED,
        target=access,
        person_id=access.person.public_id if access is not None else None,
        outcome=Outcome.DENIED,
        purpose=Purpose.SECURITY,
        detail={"reason": reason},
        durable=True,
    )


def open_access(token: str, code: str, *, address: str | None = None) -> PersonAccess | None:
    """The access a link and code open, or None (audited) for every kind of refusal."""
    now = clock.now()
    if address_refusals(address, now) >= ADDRESS_FAILURES:
        # Not counted again: a locked address adds no rows, so the table stays bounded.
        _refuse(None, "address_locked", address, count=False)
        return None
    if not token or len(token) > 100:
        _refuse(None, "unknown", address)
        return None
    with transaction.atomic():
        access = (
            PersonAccess.objects.select_for_update()
            .filter(token_hash=PersonAccess.hash_token(token))
            .first()
        )
        if access is None:
            _refuse(None, "unknown", address)
            return None
        if access.locked_until is not None and now < access.locked_until:
            _refuse(access, "locked", address)
            return None
        state = access.state_at(now)
        if state != "active":
            _refuse(access, state, address)
            return None
        cleaned = "".join(str(code or "").split()).upper()
        if not cleaned or len(cleaned) > 20 or not check_password(cleaned, access.code_hash):
            access.failed_attempts += 1
            if access.failed_attempts >= MAX_FAILURES:
                access.failed_attempts = 0
                access.locked_until = now + LOCK_FOR
            access.save(update_fields=["failed_attempts", "locked_until"])
            _refuse(access, "wrong_code", address)
            return None
        access.failed_attempts = 0
        access.locked_until = None
        access.opened_at = access.opened_at or now
        access.last_used_at = now
        access.save(update_fields=["failed_attempts", "locked_until", "opened_at", "last_used_at"])
        _audit_person(access, Action.SIGN_IN, what="person access opened")
    return access


def session_access(public_id: Any) -> PersonAccess | None:
    """The access a person session names, while it is still in force (checked every request)."""
    try:
        key = UUID(str(public_id))
    except ValueError:
        return None
    found = (
        PersonAccess.objects.select_related("person", "issued_in", "issued_by")
        .filter(public_id=key)
        .first()
    )
    now = clock.now()
    if found is None or found.opened_at is None or not found.is_active_at(now):
        return None
    # When the access was last used, kept cheaply: written at most once a minute.
    if found.last_used_at is None or found.last_used_at <= now - LAST_USED_EVERY:
        PersonAccess.objects.filter(pk=found.pk).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lte=now - LAST_USED_EVERY)
        ).update(last_used_at=now)
        found.last_used_at = now
    return found


def end_session(access: PersonAccess) -> None:
    """The person left their page on this phone."""
    with transaction.atomic():
        _audit_person(access, Action.SIGN_OUT, what="person access")


# --- What the person sees ----------------------------------------------------------------------


def shown_q(access: PersonAccess, prefix: str = "") -> Q:
    """Records of the issuing program, or not Part 2: a Part 2 record made in another program is
    never shown on the person's page (42 CFR Part 2, DESIGN.md rule 6)."""
    return Q(**{f"{prefix}is_part2": False}) | Q(**{f"{prefix}made_in_unit": access.issued_in_id})


@dataclass
class Page:
    plan: WellnessPlanVersion | None
    goals: list[Goal]
    sessions: list[VirtualSession]
    resources: list[SavedResource]
    peer_name: str


def page_for(access: PersonAccess) -> Page:
    """Everything on the person's page, read once and audited as one view."""
    person = access.person
    plan = (
        WellnessPlanVersion.objects.filter(person=person, status=WellnessPlanStatus.SIGNED)
        .filter(shown_q(access))
        .order_by("-number")
        .first()
    )
    goals = list(
        Goal.objects.filter(person=person, status=GoalStatus.ACTIVE)
        .filter(shown_q(access))
        .prefetch_related("steps")
    )
    sessions = list(
        VirtualSession.objects.filter(
            person=person, status=VirtualStatus.SCHEDULED, scheduled_at__gte=clock.now()
        )
        .filter(shown_q(access))
        .order_by("scheduled_at")[:10]
    )
    resources = list(
        SavedResource.objects.filter(person=person)
        .filter(shown_q(access))
        .select_related("service", "service__organization")
    )
    with transaction.atomic():
        _audit_person(
            access,
            Action.VIEW,
            what="own page",
            plan=str(plan.public_id) if plan else None,
            goals=len(goals),
            sessions=len(sessions),
            resources=len(resources),
        )
    return Page(plan, goals, sessions, resources, access.issued_by.display_name)


def goal_for(access: PersonAccess, public_id: Any) -> Goal:
    """One of the person's own goals shown on their page; anything else answers 404."""
    goal = (
        Goal.objects.filter(person_id=access.person_id, public_id=public_id)
        .filter(shown_q(access))
        .select_related("person")
        .first()
    )
    if goal is None:
        raise Http404("Not found")
    return goal


def barc(access: PersonAccess) -> Instrument:
    instrument = Instrument.objects.filter(code=BARC_CODE, is_active=True).first()
    if instrument is None:
        raise Http404("Not found")
    return instrument


def barc_trend(access: PersonAccess) -> list[Assessment]:
    """The person's BARC-10 totals, oldest first, as numbers (audited as a view)."""
    rows = list(
        Assessment.objects.filter(
            person_id=access.person_id, instrument__code=BARC_CODE, voided_at__isnull=True
        )
        .filter(shown_q(access))
        .order_by("administered_on", "id")
    )
    with transaction.atomic():
        _audit_person(access, Action.VIEW, what="own BARC-10 trend", rows=len(rows))
    return rows


def check_person_actor(access: PersonAccess, person: PersonServed) -> None:
    """For the plans and capital services: the access is in force and is the person's own."""
    if access.person_id != person.pk or session_access(access.public_id) is None:
        raise Http404("Not found")


def staff_or_person(
    actor: Any, person: PersonServed, action: str, record: Any
) -> tuple[int | None, bool]:
    """Who writes a record of the person's, for the plans and capital services: a staff member
    allowed ``action`` on ``record`` (their staff id, False), or the person on their own page
    (None, True), whose access must be in force and their own."""
    if isinstance(actor, PersonAccess):
        check_person_actor(actor, person)
        return None, True
    return policy.require(actor, action, record).staff_id, False
