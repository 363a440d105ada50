"""Every write of closed-loop referrals: referring a person to a directory service (with the
Part 2 check and the packet through the one export door), logging an outside referral, moving
a referral along its FHIR Task statuses, reopening it, the overdue sweep and the follow-up
reminders.

A referral that would carry substance-use (Part 2) information leaves only under an active
consent that names the receiving organization as an outside recipient (42 CFR 2.31); without one
it is refused with the reason and nothing is stored.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from django.db import DEFAULT_DB_ALIAS, transaction
from django.db.models import F, Q, QuerySet

from pillars.audit import log as audit
from pillars.audit.choices import Action, Category, Purpose
from pillars.core import clock, exports, policy, sweeps
from pillars.core.errors import ValidationError, invalid
from pillars.core.writes import replayed
from pillars.people import alerts
from pillars.people.alerts import AlertKind, Subject
from pillars.people.consent_models import (
    Consent,
    ConsentPurpose,
    ConsentState,
    RecipientKind,
)
from pillars.people.consents import consent_today
from pillars.people.labels import stamp
from pillars.people.models import PersonServed, Staff
from pillars.people.selectors import person_category
from pillars.recovery.models.directory import HsdsService
from pillars.recovery.models.plans import Goal
from pillars.recovery.models.referrals import (
    AWAITING_RESPONSE,
    CLOSED_STATUSES,
    OPEN_STATUSES,
    TRANSITIONS,
    Referral,
    ReferralEvent,
    ReferralOutcomeReason,
    ReferralStatus,
)
from pillars.recovery.selectors.directory import is_confidential
from pillars.recovery.services.replays import written_once

SYSTEM_LABEL = "referral sweep"
MAX_REASON = 2000
MAX_NOTE = 1000
# The service answers within two business days of sending unless the peer sets another date
# (the response window the closed-loop referral issue asks for).
RESPONSE_BUSINESS_DAYS = 2
# Statuses that end a referral and say why it ended: a reason is required.
NEEDS_OUTCOME = frozenset({ReferralStatus.REJECTED, ReferralStatus.FAILED})
# A consent opens a referral for these purposes (a referral is for treatment).
_REFERRAL_PURPOSES = {ConsentPurpose.TPO, ConsentPurpose.TREATMENT, ConsentPurpose.PATIENT_REQUEST}


def add_business_days(start: date, days: int) -> date:
    """``days`` working days (Monday to Friday) after ``start``."""
    current = start
    left = days
    while left > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            left -= 1
    return current


def _staff(actor: Any) -> Staff:
    acting = policy.actor_for(actor)
    staff = Staff.objects.filter(pk=acting.staff_pk or 0).first()
    if staff is None:
        raise invalid(None, "Only a staff member can act on a referral.")
    return staff


def _zone_today(referral: Referral) -> date:
    """Today in the zone of the unit the referral was made in; a person on no unit (served in
    the community) has the organization's day, never UTC's."""
    unit = referral.made_in_unit
    return clock.today_in(unit.time_zone) if unit is not None else clock.organization_today()


# --- What leaves: the packet -----------------------------------------------------------------


def service_contact(service: HsdsService) -> list[tuple[str, str]]:
    """How the service is reached. A confidential (domestic-violence) service is reached only by
    its phone or hotline: its address is never shown or sent."""
    lines: list[tuple[str, str]] = []
    for phone in service.phones.all():
        lines.append(("Phone", f"{phone.number} {phone.description}".strip()))
    if not is_confidential(service):
        for sal in service.service_at_locations.select_related("location"):
            for address in sal.location.addresses.all():
                lines.append(("Address", address.one_line()))
    return lines


def packet_fields(
    person: PersonServed,
    service: HsdsService | None,
    *,
    reason: str,
    goal: Goal | None,
    organization: str = "",
) -> list[tuple[str, str]]:
    """The fields the referral packet carries to the service, in order: exactly what the
    preview shows before sending."""
    fields = [
        ("Person referred", person.display_name),
        ("Date of birth", person.date_of_birth.isoformat()),
        (
            "Referred to",
            f"{service.name} ({service.organization.name})" if service else organization,
        ),
        ("What the person hopes for", reason),
    ]
    if goal is not None:
        fields.append(("Recovery goal", goal.statement))
    if service is not None:
        fields.extend(service_contact(service))
    return [(k, v) for k, v in fields if v]


def consent_for(person: PersonServed, unit: Any, organization: str) -> Consent | None:
    """The active consent that lets this person's recovery information from ``unit`` go to
    ``organization``: it covers the program, the "recovery" kind, a treatment purpose, and names
    the organization as an outside recipient (matched by name, case and spacing aside). Read
    from the primary database, so a revocation applies at once."""
    wanted = " ".join(organization.split()).casefold()
    if not wanted:
        return None
    now = clock.now()
    consents = (
        Consent.objects.using(DEFAULT_DB_ALIAS)
        .filter(person=person, revoked_at__isnull=True)
        .prefetch_related("programs", "recipients")
        .order_by("-signed_on", "-pk")
    )
    for consent in consents:
        if consent.state_on(now, consent_today(consent)) != ConsentState.ACTIVE:
            continue
        if "recovery" not in consent.information_kinds:
            continue
        if not set(consent.purposes) & _REFERRAL_PURPOSES:
            continue
        if unit is not None and unit.pk not in {u.pk for u in consent.programs.all()}:
            continue
        if any(
            r.kind == RecipientKind.ENTITY and " ".join(r.name.split()).casefold() == wanted
            for r in consent.recipients.all()
        ):
            return consent
    return None


@dataclass
class Preview:
    """What sending would disclose, and whether it may leave."""

    fields: list[tuple[str, str]]
    part2: bool
    consent: Consent | None
    confidential: bool
    refused: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def may_send(self) -> bool:
        return not self.refused


def preview(
    person: PersonServed,
    *,
    actor: Any,
    service: HsdsService,
    reason: str = "",
    goal: Goal | None = None,
) -> Preview:
    """What a referral of ``person`` to ``service`` would disclose, and on what basis."""
    policy.require(actor, "recovery.make_referral", person)
    probe = Referral(person=person, created_at=clock.now())
    stamp(probe)
    # The packet carries the goal's words: a goal written in a Part 2 program makes the packet
    # Part 2 even when the referral itself is not (the person moved since).
    labelled = {r.made_in_unit_id: r.made_in_unit for r in (probe, goal) if r and r.is_part2}
    consent = None
    refused = ""
    if labelled:
        units = list(labelled.values())
        consent = consent_for(person, units[0], service.organization.name)
        if consent is not None and not set(labelled) <= {u.pk for u in consent.programs.all()}:
            consent = None
        if consent is None:
            refused = (
                "This referral carries substance-use (Part 2) information, and no active consent "
                f"names {service.organization.name} as a recipient. Record the person's consent "
                "naming the organization, then send."
            )
    return Preview(
        fields=packet_fields(person, service, reason=reason, goal=goal),
        part2=bool(labelled),
        consent=consent,
        confidential=is_confidential(service),
        refused=refused,
    )


def _clean_text(value: str, name: str, limit: int, *, required: bool) -> str:
    text = (value or "").strip()
    if required and not text:
        raise invalid(name, "This is required.")
    if len(text) > limit:
        raise invalid(name, f"At most {limit} characters.")
    return text


def _check_goal(goal: Goal | None, person: PersonServed, actor: Any) -> None:
    # The goal's words go into the packet: a goal the actor may not read (a Part 2 goal outside
    # its program's team, without a consent) is refused like another person's.
    if goal is not None and (
        goal.person_id != person.pk or not policy.is_visible(policy.actor_for(actor), goal)
    ):
        raise invalid("goal", "Choose one of the person's own goals.")


def _event(
    referral: Referral,
    staff: Staff | None,
    now: datetime,
    from_status: str,
    to_status: str,
    note: str = "",
    outcome: ReferralOutcomeReason | None = None,
) -> ReferralEvent:
    return ReferralEvent.objects.create(
        referral=referral,
        actor=staff,
        at=now,
        from_status=from_status,
        to_status=to_status,
        note=note,
        outcome_reason=outcome,
    )


def _audit(actor: Any, referral: Referral, action: str, detail: dict[str, Any]) -> None:
    audit.record(
        policy.actor_for(actor).user,
        action,
        referral,
        person_id=referral.person.public_id,
        category=Category.SUBSTANCE_USE if referral.is_part2 else person_category(referral.person),
        purpose=Purpose.TREATMENT,
        detail=detail,
    )


def refer(
    person: PersonServed,
    *,
    actor: Any,
    service: HsdsService,
    reason: str,
    goal: Goal | None = None,
    due_on: date | None = None,
    follow_up_on: date | None = None,
    client_id: UUID | None = None,
) -> Referral:
    """Refer the person to a directory service and send the packet: status "requested", the
    response due in two business days unless given, the packet released through the export
    door (Part 2 check, disclosure log with its basis and the recipient's consent, notice).
    Refused with the reason, and nothing stored, when Part 2 information has no consent. A
    replayed ``client_id`` returns the first referral, and no second packet leaves."""
    acting = policy.require(actor, "recovery.make_referral", person)
    if existing := _replayed(client_id, acting.staff_id, person):
        return existing
    reason = _clean_text(reason, "reason", MAX_REASON, required=True)
    _check_goal(goal, person, actor)
    staff = _staff(actor)
    seen = preview(person, actor=actor, service=service, reason=reason, goal=goal)
    if not seen.may_send:
        raise ValidationError({"consent": [seen.refused]})
    now = clock.now()

    def write() -> Referral:
        referral = Referral(
            person=person,
            service=service,
            goal=goal,
            reason=reason,
            status=ReferralStatus.REQUESTED,
            referred_by=staff,
            created_at=now,
            sent_at=now,
            follow_up_on=follow_up_on,
            consent=seen.consent,
            client_id=client_id,
        )
        stamp(referral)
        due = due_on or add_business_days(_zone_today(referral), RESPONSE_BUSINESS_DAYS)
        referral.due_on = due
        referral.save()
        _event(referral, staff, now, "", ReferralStatus.REQUESTED, "Sent to the service.")
        _audit(
            actor,
            referral,
            Action.CREATE,
            {"service": str(service.public_id), "due_on": due.isoformat(), "part2": seen.part2},
        )
        release_packet(referral, actor=actor, fmt="send")
        return referral

    return written_once(write, lambda: _replayed(client_id, acting.staff_id, person))


def _replayed(
    client_id: UUID | None, staff_id: int | None, person: PersonServed
) -> Referral | None:
    """The referral a first write made under ``client_id`` (this staff member's, for this
    person); a key used for another record is a conflict."""
    return replayed(
        Referral,
        client_id,
        {"person_id": person.pk, "referred_by_id": staff_id},
        "This client id was used for another referral.",
    )


def release_packet(referral: Referral, *, actor: Any, fmt: str) -> exports.Release:
    """Every copy of the packet leaves through the one export door, addressed to the receiving
    organization: a Part 2 packet leaves on the consent that names it (logged with basis
    "consent", the consent's id and the recipient's name), and its notice explains that
    consent (42 CFR 2.32(b))."""
    # The goal's words are in the packet: its label is checked (and logged) with the referral's.
    return exports.release(
        actor,
        what="recovery.referral_packet",
        fmt=fmt,
        records=[referral, *([referral.goal] if referral.goal is not None else [])],
        person_id=referral.person.public_id,
        recipient=exports.Recipient(referral.organization_name, referral.consent),
        detail={
            "recipient_consent": str(referral.consent.public_id) if referral.consent else "",
            "confidential_service": referral.service is not None
            and is_confidential(referral.service),
        },
    )


def log_outside(
    person: PersonServed,
    *,
    actor: Any,
    organization: str,
    reason: str,
    contact: str = "",
    goal: Goal | None = None,
    follow_up_on: date | None = None,
    client_id: UUID | None = None,
) -> Referral:
    """Log a referral made outside Pillars (to an organization named in words): nothing leaves
    Pillars, so no packet; the peer follows it up and closes it. A replayed ``client_id``
    returns the first one."""
    acting = policy.require(actor, "recovery.make_referral", person)
    if existing := _replayed(client_id, acting.staff_id, person):
        return existing
    organization = _clean_text(organization, "organization", 300, required=True)
    contact = _clean_text(contact, "contact", 300, required=False)
    reason = _clean_text(reason, "reason", MAX_REASON, required=True)
    _check_goal(goal, person, actor)
    staff = _staff(actor)
    now = clock.now()

    def write() -> Referral:
        referral = Referral.objects.create(
            person=person,
            is_logged=True,
            outside_organization=organization,
            outside_contact=contact,
            goal=goal,
            reason=reason,
            status=ReferralStatus.IN_PROGRESS,
            referred_by=staff,
            created_at=now,
            sent_at=now,
            follow_up_on=follow_up_on,
            client_id=client_id,
        )
        _event(
            referral, staff, now, "", ReferralStatus.IN_PROGRESS, "Logged: made outside Pillars."
        )
        _audit(actor, referral, Action.CREATE, {"logged": True, "organization": organization})
        return referral

    return written_once(write, lambda: _replayed(client_id, acting.staff_id, person))


def update_status(
    referral: Referral,
    *,
    actor: Any,
    status: str,
    note: str = "",
    outcome_reason: ReferralOutcomeReason | None = None,
    follow_up_on: date | None = None,
) -> Referral:
    """Move a referral to ``status`` when the FHIR Task state machine allows it, with who and
    when in its history. Ending as "not accepted" or "did not happen" needs the reason."""
    policy.require(actor, "recovery.make_referral", referral)
    note = _clean_text(note, "note", MAX_NOTE, required=False)
    if status not in ReferralStatus.values:
        raise invalid("status", "Unknown status.")
    if status not in TRANSITIONS[referral.status]:
        raise invalid(
            "status",
            f"A referral that is {referral.get_status_display().lower()} cannot become "
            f"{ReferralStatus(status).label.lower()}"
            + (" (reopen it first)." if referral.status in CLOSED_STATUSES else "."),
        )
    if status in NEEDS_OUTCOME and outcome_reason is None:
        raise invalid("outcome_reason", "Say why: choose the reason.")
    staff = _staff(actor)
    now = clock.now()
    with transaction.atomic():
        locked = Referral.objects.select_for_update().get(pk=referral.pk)
        if locked.status != referral.status:
            raise invalid("status", "The referral changed meanwhile; reload it.")
        before = referral.status
        referral.status = status
        if outcome_reason is not None:
            referral.outcome_reason = outcome_reason
        if follow_up_on is not None:
            referral.follow_up_on = follow_up_on
        referral.closed_at = now if status in CLOSED_STATUSES else None
        referral.save(update_fields=["status", "outcome_reason", "follow_up_on", "closed_at"])
        _event(referral, staff, now, before, status, note, outcome_reason)
        _audit(
            actor,
            referral,
            Action.UPDATE,
            {
                "from": before,
                "to": status,
                "outcome": outcome_reason.code if outcome_reason else "",
            },
        )
    return referral


def reopen(referral: Referral, *, actor: Any, note: str) -> Referral:
    """Reopen a closed referral, with a note saying why: a logged one goes back in progress,
    a sent one back to "requested" with a new response date."""
    policy.require(actor, "recovery.make_referral", referral)
    note = _clean_text(note, "note", MAX_NOTE, required=True)
    if referral.status not in CLOSED_STATUSES:
        raise invalid("note", "The referral is still open.")
    staff = _staff(actor)
    now = clock.now()
    to = ReferralStatus.IN_PROGRESS if referral.is_logged else ReferralStatus.REQUESTED
    with transaction.atomic():
        before = referral.status
        referral.status = to
        referral.closed_at = None
        referral.outcome_reason = None
        if not referral.is_logged:
            referral.due_on = add_business_days(_zone_today(referral), RESPONSE_BUSINESS_DAYS)
        referral.save()
        _event(referral, staff, now, before, to, note)
        _audit(actor, referral, Action.UPDATE, {"from": before, "to": to, "reopened": True})
    return referral


# --- The two reminders: the overdue response and the follow-up date ------------------------


@dataclass(frozen=True)
class _Reminder:
    """One reminder about a referral's date, by the fields it keeps on the referral: the date
    (``on``), the date it was last sent for (``sent``: a new date re-arms it) and its own
    back-off after a failure (``retry_at``, ``failures``)."""

    on: str
    sent: str
    retry_at: str
    failures: str

    def not_sent(self) -> Q:
        return Q(**{f"{self.sent}__isnull": True}) | ~Q(**{self.sent: F(self.on)})

    def claim(self, pk: int, statuses: Any, day: date | None) -> int:
        """Compare-and-set: mark the referral reminded for ``day`` if it still has that date,
        one of ``statuses`` and no reminder for it; how many rows were claimed (0 or 1)."""
        return (
            Referral.objects.filter(pk=pk, status__in=statuses, **{self.on: day})
            .filter(self.not_sent())
            .update(**{self.sent: day, self.retry_at: None, self.failures: 0})
        )

    def retry_later(self, pk: int, failures: int, now: datetime) -> None:
        """The failure policy's retry: wait longer after each failure, never drop the row."""
        Referral.objects.filter(pk=pk).update(
            **{self.retry_at: now + sweeps.backoff(failures), self.failures: failures}
        )

    def sweep(
        self,
        result: sweeps.SweepResult,
        candidates: QuerySet[Referral],
        now: datetime,
        limit: int,
        *,
        alert: Callable[[int], int | None],
        label: str,
    ) -> sweeps.SweepResult:
        """Alert about the candidates not reminded for their date yet and not waiting out a
        back-off, earliest date first (``core.sweeps.alert_each``)."""
        rows = list(
            candidates.filter(self.not_sent())
            .filter(Q(**{f"{self.retry_at}__isnull": True}) | Q(**{f"{self.retry_at}__lte": now}))
            .order_by(self.on, "pk")
            .values_list("pk", "public_id", self.failures)[:limit]
        )
        return sweeps.alert_each(
            result,
            rows,
            alert=alert,
            retry=lambda pk, n: self.retry_later(pk, n, now),
            label=label,
            object_type="recovery.referral",
        )


OVERDUE = _Reminder(
    on="due_on", sent="alerted_due_on", retry_at="sweep_retry_at", failures="sweep_failures"
)
FOLLOW_UP = _Reminder(
    on="follow_up_on",
    sent="reminded_follow_up_on",
    retry_at="follow_up_retry_at",
    failures="follow_up_failures",
)


# --- The overdue sweep -----------------------------------------------------------------------


def _to_remind(pk: int) -> Referral:
    """One referral with what a reminder to its peer reads (the peer, the unit, the service's
    organization, the person)."""
    return Referral.objects.select_related(
        "referred_by", "made_in_unit", "service__organization", "person"
    ).get(pk=pk)


def _alert_overdue(pk: int, now: datetime) -> int | None:
    """Claim one overdue referral for its due date (compare-and-set on ``alerted_due_on``) and
    alert the referring peer once. The message names the service and the date, never the
    person served or why they were referred."""
    referral = _to_remind(pk)
    due = referral.due_on
    # Overdue once the due day has ended in the unit's zone (it was counted from its today).
    if due is None or now < _local_start(referral, due + timedelta(days=1)):
        return None
    claimed = OVERDUE.claim(pk, AWAITING_RESPONSE, due)
    if claimed != 1 or due is None:
        return None
    return _remind_peer(
        referral,
        now,
        message=(
            f"A referral to {referral.organization_name} has had no answer since "
            f"{due:%b %d}; follow it up with the service."
        ),
        key=f"rf:{referral.public_id}:{due.isoformat()}",
        label=SYSTEM_LABEL,
        detail={"event": "referral response overdue", "due_on": due.isoformat()},
    )


def _remind_peer(
    referral: Referral,
    now: datetime,
    *,
    message: str,
    key: str,
    label: str,
    detail: dict[str, Any],
) -> int:
    """Alert the referring peer about a referral once (the dedupe key names the reminder; one
    open alert per recipient) and audit it. The alert is shown with the referral's unit, else
    the peer's; a peer with neither is alerted all the same."""
    unit = referral.made_in_unit or _unit_of(referral.referred_by)
    peer = referral.referred_by
    new = alerts.write(
        [peer],
        kind=AlertKind.OTHER,
        message=message,
        due_at=now,
        dedupe_key=key,
        unit=unit,
        subject=Subject("recovery.referral", referral.public_id),
        now=now,
    )
    audit.record(
        actor=None,
        actor_label=label,
        action=Action.UPDATE,
        target=referral,
        person_id=referral.person.public_id,
        category=Category.SUBSTANCE_USE if referral.is_part2 else Category.GENERAL,
        purpose=Purpose.OPERATIONS,
        detail={**detail, "alerts": len(new)},
    )
    return len(new)


def _unit_of(staff: Staff) -> Any:
    return staff.home_units.order_by("pk").first()


def sweep_overdue(now: datetime | None = None, *, limit: int = 100) -> sweeps.SweepResult:
    """One sweep: a sent referral with no answer after its response date alerts the referring
    peer, once per due date (moving the date re-arms it), once that date has ended in its
    unit's zone. Candidates are the dates up to today in UTC (the earliest zones end a day
    ahead); each row's own zone decides. Each row goes through the one failure policy
    (core.sweeps.guarded): one that raises is audited and retried after a back-off."""
    now = now or clock.now()
    result = sweeps.SweepResult("referral responses")
    return OVERDUE.sweep(
        result,
        Referral.objects.filter(
            status__in=AWAITING_RESPONSE, due_on__lte=now.astimezone(UTC).date()
        ),
        now,
        limit,
        alert=lambda pk: _alert_overdue(pk, now),
        label=SYSTEM_LABEL,
    )


# --- The follow-up reminder ------------------------------------------------------------------

FOLLOW_UP_LABEL = "referral follow-up sweep"


def follow_up_moment(referral: Referral) -> datetime | None:
    """When the follow-up reminder is due: the start of the follow-up date in the zone of the
    unit the referral was made in (UTC when it has none)."""
    if referral.follow_up_on is None:
        return None
    return _local_start(referral, referral.follow_up_on)


def _local_start(referral: Referral, day: date) -> datetime:
    """The start of ``day`` in the zone of the unit the referral was made in, else the
    referring peer's unit (UTC when neither has one)."""
    unit = referral.made_in_unit or _unit_of(referral.referred_by)
    zone = ZoneInfo(unit.time_zone) if unit is not None else UTC
    return datetime.combine(day, time(0), tzinfo=zone)


def _remind_follow_up(pk: int, now: datetime) -> int | None:
    """Claim one open referral for its follow-up date (compare-and-set on
    ``reminded_follow_up_on``) once the date has begun in the unit's zone, and remind the
    referring peer once. The message names the organization and the date, never the person
    served or why they were referred."""
    referral = _to_remind(pk)
    day = referral.follow_up_on
    moment = follow_up_moment(referral)
    if day is None or moment is None or now < moment:
        return None
    if FOLLOW_UP.claim(pk, OPEN_STATUSES, day) != 1:
        return None
    return _remind_peer(
        referral,
        now,
        message=(
            f"Today ({day:%b %d}) is the day to follow up the referral to "
            f"{referral.organization_name}."
        ),
        key=f"rfu:{referral.public_id}:{day.isoformat()}",
        label=FOLLOW_UP_LABEL,
        detail={"event": "referral follow-up due", "follow_up_on": day.isoformat()},
    )


def sweep_follow_ups(now: datetime | None = None, *, limit: int = 100) -> sweeps.SweepResult:
    """One sweep: an open referral whose follow-up date has begun in its unit's zone reminds
    the referring peer, once per date (a new date re-arms it). Candidates are the dates up to
    tomorrow in UTC (the earliest zones start a day ahead); each row's own zone decides. A row
    that raises goes through core.sweeps.guarded and is retried after a back-off."""
    now = now or clock.now()
    result = sweeps.SweepResult("referral follow-ups")
    return FOLLOW_UP.sweep(
        result,
        Referral.objects.filter(
            status__in=OPEN_STATUSES, follow_up_on__lte=now.date() + timedelta(days=1)
        ),
        now,
        limit,
        alert=lambda pk: _remind_follow_up(pk, now),
        label=FOLLOW_UP_LABEL,
    )
