"""Every write to incident reports and the exposure ledger (DESIGN.md rules 2, 3 and 7).

The workflow is draft -> submitted -> under supervisor review -> closed, enforced here: the
reporter edits only a draft, a submitted report is corrected by addenda, and nothing is deleted.
Submitting computes the notifications due from the rules (data) and writes the staff exposure.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from django.db import transaction
from django.db.models import Q

from pillars.audit import log as audit
from pillars.audit.choices import Action, Category, Purpose
from pillars.core import clock, policy, sweeps
from pillars.core.active_codes import active_by_code
from pillars.core.errors import ValidationError, invalid
from pillars.core.templatetags.pillars_time import fold_mark
from pillars.core.writes import atomic_or_conflict, lock_once, replayed
from pillars.incidents import exposure
from pillars.incidents.models import (
    Debrief,
    DeescalationStep,
    Incident,
    IncidentAddendum,
    IncidentPerson,
    IncidentStaff,
    Injury,
    Notification,
    NotificationRule,
    ReviewNote,
)
from pillars.incidents.models.incidents import (
    DebriefKind,
    ExposureKind,
    IncidentStatus,
    IncidentType,
    PersonRole,
    Severity,
    StaffRole,
)
from pillars.people import alerts
from pillars.people.alerts import AlertKind, Subject
from pillars.people.models import PersonServed, Placement, Staff, Unit

# A device clock may run a little ahead of the server.
CLOCK_SKEW = timedelta(minutes=2)
MAX_NARRATIVE = 10000
MAX_TEXT = 4000

STATUS_LABELS = dict(IncidentStatus.choices)


@dataclass
class IncidentDetails:
    """What a reporter says about an incident (created or edited as a draft)."""

    type: str
    occurred_at: datetime
    location: str
    narrative: str
    persons: list[PersonServed] = field(default_factory=list)
    injured_persons: list[PersonServed] = field(default_factory=list)
    staff_involved: list[Staff] = field(default_factory=list)
    witness_staff: list[Staff] = field(default_factory=list)
    witnesses_text: str = ""
    steps: list[DeescalationStep] = field(default_factory=list)
    deescalation_other: str = ""
    is_death: bool = False


def category_of(incident: Incident) -> str:
    """Part 2 when any person served in the incident was ever in a substance-use program."""
    part2 = Placement.objects.filter(
        episode__person__incident_roles__incident=incident, unit__is_substance_use_program=True
    ).exists()
    return Category.SUBSTANCE_USE if part2 else Category.GENERAL


def _record(actor: Any, action: str, target: Any, incident: Incident, **detail: Any) -> None:
    audit.record(
        actor,
        action,
        target,
        category=category_of(incident),
        purpose=Purpose.TREATMENT,
        detail={"incident": str(incident.public_id), **detail},
    )


def _locked_in(incident: Incident, status: str, doing: str, needed: str) -> Incident:
    """The incident with its row locked, refused unless it is still in ``status`` (``doing``
    and ``needed`` word the refusal)."""
    locked = Incident.objects.select_for_update().get(pk=incident.pk)
    if locked.status != status:
        raise invalid(
            None,
            f"This incident is {STATUS_LABELS[locked.status].lower()}; "
            f"{doing} needs it to be {needed}.",
        )
    return locked


def _clean(details: IncidentDetails, unit: Unit) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    if details.type not in IncidentType.values:
        errors["type"] = ["Choose the type of incident."]
    location = (details.location or "").strip()
    if not location:
        errors["location"] = ["Say where it happened."]
    elif len(location) > 100:
        errors["location"] = ["A location is at most 100 characters."]
    narrative = (details.narrative or "").strip()
    if not narrative:
        errors["narrative"] = ["Describe what happened."]
    elif len(narrative) > MAX_NARRATIVE:
        errors["narrative"] = [f"A narrative is at most {MAX_NARRATIVE} characters."]
    now = clock.now()
    if details.occurred_at is None:
        errors["occurred_at"] = ["Say when it happened."]
    elif details.occurred_at > now + CLOCK_SKEW:
        errors["occurred_at"] = ["An incident cannot have happened in the future."]
    if not details.persons and details.type not in (
        IncidentType.CONTRABAND,
        IncidentType.PROPERTY_DAMAGE,
        IncidentType.OTHER,
    ):
        errors["persons"] = ["Name the person or persons served involved."]
    if set(details.staff_involved) & set(details.witness_staff):
        errors["witness_staff"] = ["A staff member is either involved or a witness, not both."]
    if len(details.witnesses_text) > 300:
        errors["witnesses_text"] = ["Other witnesses are at most 300 characters."]
    if len(details.deescalation_other) > 300:
        errors["deescalation_other"] = ["Other steps are at most 300 characters."]
    if errors:
        raise ValidationError(errors)
    return {
        "type": details.type,
        "location": location,
        "narrative": narrative,
        "occurred_at": details.occurred_at,
        "witnesses_text": details.witnesses_text.strip(),
        "deescalation_other": details.deescalation_other.strip(),
        "is_death": details.is_death,
    }


def _set_people(incident: Incident, details: IncidentDetails) -> None:
    IncidentPerson.objects.filter(incident=incident).delete()
    IncidentStaff.objects.filter(incident=incident).delete()
    injured = {p.pk for p in details.injured_persons}
    for person in dict.fromkeys([*details.persons, *details.injured_persons]):
        role = PersonRole.INJURED if person.pk in injured else PersonRole.INVOLVED
        IncidentPerson.objects.create(incident=incident, person=person, role=role)
    for staff in dict.fromkeys(details.staff_involved):
        IncidentStaff.objects.create(incident=incident, staff=staff, role=StaffRole.INVOLVED)
    for staff in dict.fromkeys(details.witness_staff):
        IncidentStaff.objects.create(incident=incident, staff=staff, role=StaffRole.WITNESS)
    incident.deescalation_steps.set(details.steps)


def create_draft(
    unit: Unit, details: IncidentDetails, *, actor: Any, client_id: UUID | None = None
) -> Incident:
    """Start an incident report as a draft on a unit; only its reporter sees it until it is
    submitted. A replayed ``client_id`` returns the first draft."""
    acting = policy.require(actor, "incidents.report", unit)
    if existing := replayed(
        Incident,
        client_id,
        {"reported_by_id": acting.staff_id},
        "This report id is already in use.",
    ):
        return existing
    values = _clean(details, unit)
    with atomic_or_conflict("This report was saved a moment ago; reload."):
        incident = Incident.objects.create(
            unit=unit,
            reported_by_id=acting.staff_pk,
            recorded_at=clock.now(),
            client_id=client_id,
            **values,
        )
        _set_people(incident, details)
        _record(actor, Action.CREATE, incident, incident, type=values["type"], status="draft")
    return incident


def update_draft(incident: Incident, details: IncidentDetails, *, actor: Any) -> Incident:
    """Change a draft. After submission the report is a record: corrections are addenda."""
    policy.require(actor, "incidents.edit_draft", incident)
    values = _clean(details, incident.unit)
    with transaction.atomic():
        incident = Incident.objects.select_for_update().get(pk=incident.pk)
        if not incident.is_draft:
            raise invalid(
                None, "Only a draft can be edited; a submitted report is corrected by an addendum."
            )
        changes = {
            k: [str(getattr(incident, k)), str(v)]
            for k, v in values.items()
            if getattr(incident, k) != v
        }
        for name, value in values.items():
            setattr(incident, name, value)
        incident.save()
        _set_people(incident, details)
        _record(actor, Action.UPDATE, incident, incident, changes=changes)
    return incident


def add_injury(
    incident: Incident,
    *,
    actor: Any,
    severity: str,
    description: str,
    treatment: str = "",
    person: PersonServed | None = None,
    staff: Staff | None = None,
) -> Injury:
    """Record an injury on a draft (to a person served or to a staff member)."""
    policy.require(actor, "incidents.edit_draft", incident)
    errors: dict[str, list[str]] = {}
    if (person is None) == (staff is None):
        errors["whom"] = ["Say who was injured: one person served or one staff member."]
    if severity not in Severity.values:
        errors["severity"] = ["Choose how serious the injury is."]
    description = (description or "").strip()
    if not description:
        errors["description"] = ["Describe the injury."]
    elif len(description) > 300:
        errors["description"] = ["A description is at most 300 characters."]
    if len(treatment or "") > 300:
        errors["treatment"] = ["Treatment is at most 300 characters."]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        incident = Incident.objects.select_for_update().get(pk=incident.pk)
        if not incident.is_draft:
            raise invalid(None, "Injuries are added to a draft; after submission use an addendum.")
        injury = Injury.objects.create(
            incident=incident,
            person=person,
            staff=staff,
            severity=severity,
            description=description,
            treatment=(treatment or "").strip(),
        )
        if person is not None:
            IncidentPerson.objects.update_or_create(
                incident=incident, person=person, defaults={"role": PersonRole.INJURED}
            )
        _record(actor, Action.CREATE, injury, incident, severity=severity)
    return injury


def notifications_due(incident: Incident) -> list[tuple[NotificationRule, datetime]]:
    """The notifications an incident makes due, each with its deadline (the earliest rule per
    recipient wins)."""
    injuries = list(incident.injuries.all())
    has_injury = bool(injuries)
    serious = incident.is_serious(
        has_serious_injury=any(i.severity == Severity.SERIOUS for i in injuries)
    )
    best: dict[str, tuple[NotificationRule, datetime]] = {}
    for rule in NotificationRule.objects.filter(is_active=True):
        if not rule.applies_to(has_injury=has_injury, is_serious=serious):
            continue
        due = Notification.deadline(incident.occurred_at, rule)
        if rule.recipient not in best or due < best[rule.recipient][1]:
            best[rule.recipient] = (rule, due)
    return sorted(best.values(), key=lambda pair: pair[1])


def submit_incident(incident: Incident, *, actor: Any) -> Incident:
    """Submit a draft: from now on it is a record. Computes the notifications due and writes
    the exposure ledger of the staff involved."""
    policy.require(actor, "incidents.edit_draft", incident)
    with transaction.atomic():
        incident = _locked_in(incident, IncidentStatus.DRAFT, "submitting", "a draft")
        now = clock.now()
        incident.status = IncidentStatus.SUBMITTED
        incident.submitted_at = now
        incident.save(update_fields=["status", "submitted_at"])
        for rule, due in notifications_due(incident):
            Notification.objects.create(
                incident=incident, rule=rule, recipient=rule.recipient, due_at=due
            )
        _exposure_from(incident, actor)
        _record(
            actor, Action.UPDATE, incident, incident, changes={"status": ["draft", "submitted"]}
        )
    return incident


def _exposure_from(incident: Incident, actor: Any) -> None:
    """Assault on staff -> assault for the staff involved, assault witnessed for the
    witnesses; injured staff -> injury; a death -> death witnessed for every staff member
    involved or witnessing; a serious self-harm or suicide attempt (not a death) -> serious
    self-harm witnessed for every staff member named. Written to the ledger through the hook."""
    roles = list(IncidentStaff.objects.filter(incident=incident))
    kinds: list[tuple[int, str]] = []
    if incident.type == IncidentType.AGGRESSION_STAFF:
        kinds += [(r.staff_id, ExposureKind.ASSAULT) for r in roles if r.role == StaffRole.INVOLVED]
        kinds += [
            (r.staff_id, ExposureKind.ASSAULT_WITNESSED)
            for r in roles
            if r.role == StaffRole.WITNESS
        ]
    injuries = list(incident.injuries.all())
    kinds += [(i.staff_id, ExposureKind.INJURY) for i in injuries if i.staff_id is not None]
    if incident.is_death:
        kinds += [(r.staff_id, ExposureKind.DEATH_WITNESSED) for r in roles]
    elif incident.type in (IncidentType.SELF_HARM, IncidentType.SUICIDE_ATTEMPT) and (
        incident.is_serious(
            has_serious_injury=any(i.severity == Severity.SERIOUS for i in injuries)
        )
    ):
        kinds += [(r.staff_id, ExposureKind.SELF_HARM_WITNESSED) for r in roles]
    for staff_id, kind in dict.fromkeys(kinds):
        exposure.write(staff_id, kind, incident.occurred_at, incident, actor)


def record_exposure(
    staff: Staff, *, kind: str, occurred_at: datetime, source: Any, actor: Any = None
) -> Any:
    """Add one row to a staff member's exposure ledger (kept by workforce.wellbeing, reached
    through the ``pillars.incidents.exposure`` hook); other areas (restraint) call this from
    their own services, inside their transaction. Recording the same source twice is harmless."""
    if kind not in ExposureKind.values:
        raise invalid("kind", "Unknown kind of exposure.")
    with transaction.atomic():
        return exposure.write(staff.pk, kind, occurred_at, source, actor)


def start_review(incident: Incident, *, actor: Any, note: str = "") -> Incident:
    """A supervisor takes a submitted incident into review."""
    acting = policy.require(actor, "incidents.review", incident)
    with transaction.atomic():
        incident = _locked_in(incident, IncidentStatus.SUBMITTED, "starting a review", "submitted")
        incident.status = IncidentStatus.UNDER_REVIEW
        incident.review_started_at = clock.now()
        incident.reviewed_by_id = acting.staff_pk
        incident.save(update_fields=["status", "review_started_at", "reviewed_by"])
        if note.strip():
            _note(incident, acting.staff_pk, note)
        _record(
            actor,
            Action.UPDATE,
            incident,
            incident,
            changes={"status": ["submitted", "under_review"]},
        )
    return incident


def _note(incident: Incident, staff_pk: int, text: str) -> ReviewNote:
    text = text.strip()
    if len(text) > MAX_TEXT:
        raise invalid("note", f"A note is at most {MAX_TEXT} characters.")
    return ReviewNote.objects.create(
        incident=incident, written_by_id=staff_pk, written_at=clock.now(), text=text
    )


def add_review_note(incident: Incident, *, actor: Any, text: str) -> ReviewNote:
    """A reviewer's note on an incident under review."""
    acting = policy.require(actor, "incidents.review", incident)
    if not (text or "").strip():
        raise invalid("note", "Write the note.")
    with transaction.atomic():
        incident = _locked_in(
            incident, IncidentStatus.UNDER_REVIEW, "a review note", "under review"
        )
        note = _note(incident, acting.staff_pk, text)
        _record(actor, Action.CREATE, note, incident)
    return note


def close_incident(incident: Incident, *, actor: Any, note: str) -> Incident:
    """Close a reviewed incident with the reviewer's closing note."""
    acting = policy.require(actor, "incidents.review", incident)
    if not (note or "").strip():
        raise invalid("note", "Write what the review found before closing.")
    with transaction.atomic():
        incident = _locked_in(incident, IncidentStatus.UNDER_REVIEW, "closing", "under review")
        _note(incident, acting.staff_pk, note)
        incident.status = IncidentStatus.CLOSED
        incident.closed_at = clock.now()
        incident.closed_by_id = acting.staff_pk
        incident.save(update_fields=["status", "closed_at", "closed_by"])
        _record(
            actor, Action.UPDATE, incident, incident, changes={"status": ["under_review", "closed"]}
        )
    return incident


def add_addendum(incident: Incident, *, actor: Any, reason: str, text: str) -> IncidentAddendum:
    """Correct a submitted report; the report and every addendum stay readable."""
    acting = policy.require(actor, "incidents.addendum", incident)
    reason, text = IncidentAddendum.cleaned(reason, text, about="the report", max_text=MAX_TEXT)
    with transaction.atomic():
        incident = Incident.objects.select_for_update().get(pk=incident.pk)
        if incident.is_draft:
            raise invalid(None, "A draft is edited directly; addenda are for submitted reports.")
        addendum = IncidentAddendum.objects.create(
            incident=incident,
            written_by_id=acting.staff_pk,
            written_at=clock.now(),
            reason=reason,
            text=text,
        )
        _record(actor, Action.CREATE, addendum, incident, reason=reason)
    return addendum


def record_debrief(
    incident: Incident,
    *,
    actor: Any,
    kind: str,
    held_at: datetime,
    participants: str,
    learned: str,
) -> Debrief:
    """Record a post-incident debrief with the person served or with staff."""
    acting = policy.require(actor, "incidents.debrief", incident)
    participants, learned = (participants or "").strip(), (learned or "").strip()
    errors: dict[str, list[str]] = {}
    if kind not in DebriefKind.values:
        errors["kind"] = ["Choose who the debrief was with."]
    if not participants:
        errors["participants"] = ["Say who took part."]
    elif len(participants) > 300:
        errors["participants"] = ["Participants are at most 300 characters."]
    if not learned:
        errors["learned"] = ["Say what was learned."]
    elif len(learned) > MAX_TEXT:
        errors["learned"] = [f"At most {MAX_TEXT} characters."]
    now = clock.now()
    if held_at is None:
        errors["held_at"] = ["Say when the debrief was held."]
    elif held_at > now + CLOCK_SKEW:
        errors["held_at"] = ["A debrief cannot be in the future."]
    elif held_at < incident.occurred_at:
        errors["held_at"] = ["A debrief comes after the incident."]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        incident = Incident.objects.select_for_update().get(pk=incident.pk)
        if incident.is_draft:
            raise invalid(None, "Submit the report before recording a debrief.")
        debrief = Debrief.objects.create(
            incident=incident,
            kind=kind,
            held_at=held_at,
            participants=participants,
            learned=learned,
            recorded_by_id=acting.staff_pk,
            recorded_at=now,
        )
        _record(actor, Action.CREATE, debrief, incident, kind=kind)
    return debrief


def record_notification_sent(
    notification: Notification, *, actor: Any, sent_at: datetime | None = None, note: str = ""
) -> Notification:
    """Say who sent a notification and when; a late one stays flagged."""
    acting = policy.require(actor, "incidents.notify", notification.incident)
    now = clock.now()
    moment = sent_at or now
    if moment > now + CLOCK_SKEW:
        raise invalid("sent_at", "A notification cannot be sent in the future.")
    if moment < notification.incident.occurred_at:
        raise invalid("sent_at", "A notification is sent after the incident.")
    if len(note or "") > 300:
        raise invalid("note", "A note is at most 300 characters.")
    with transaction.atomic():
        notification = lock_once(
            notification, "sent_at", "This notification is already recorded as sent."
        )
        notification.sent_at = moment
        notification.sent_by_id = acting.staff_pk
        notification.recorded_at = now
        notification.note = (note or "").strip()
        notification.save(update_fields=["sent_at", "sent_by", "recorded_at", "note"])
        _close_overdue_alerts(notification, now)
        _record(
            actor,
            Action.UPDATE,
            notification,
            notification.incident,
            recipient=notification.recipient,
            late=notification.is_late_at(now),
        )
    return notification


def _close_overdue_alerts(notification: Notification, now: datetime) -> None:
    """A notification recorded as sent closes its "overdue" alerts (the sweep's dedupe key
    starts with the notification)."""
    alerts.resolve(
        alerts.about(key_prefix=f"nt:{notification.public_id}"),
        moment=now,
        reason="The notification was recorded as sent.",
    )


def steps_by_code(codes: Iterable[str]) -> list[DeescalationStep]:
    """The de-escalation steps these codes name, in order; an unknown or retired one is refused."""
    return active_by_code(
        DeescalationStep, codes, field="steps", unknown="Unknown de-escalation steps: {codes}"
    )


# --- The sweep: notifications past their deadline ---------------------------------------------

SYSTEM_LABEL = "pillars worker (incident notifications)"
NOTIFICATION_SUBJECT = "incidents.notification"


def _retry_later(pk: int, failures: int, now: datetime) -> None:
    """The failure policy's retry: wait longer after each failure, never drop the row."""
    Notification.objects.filter(pk=pk, alerted_at__isnull=True).update(
        sweep_retry_at=now + sweeps.backoff(failures), sweep_failures=failures
    )


def _alert_overdue(pk: int, now: datetime) -> int | None:
    """Claim one overdue notification (compare-and-set on ``alerted_at``) and alert the unit's
    shift lead and the reporter, once each. None when it was sent or claimed meanwhile. The
    message names the incident's type, unit and deadline, never a person served."""
    with transaction.atomic():
        claimed = Notification.objects.filter(
            pk=pk, sent_at__isnull=True, alerted_at__isnull=True
        ).update(alerted_at=now)
        if claimed != 1:
            return None
        notification = Notification.objects.select_related(
            "incident__unit", "incident__reported_by"
        ).get(pk=pk)
        incident = notification.incident
        unit = incident.unit
        # The one on-duty rule (shift lead now, else the unit's nurses), and the reporter.
        staff = [*alerts.on_duty(unit, now), incident.reported_by]
        due = clock.local(notification.due_at, unit.time_zone)
        # In the repeated hour of the night the clocks go back, the zone's abbreviation says which.
        when = f"{due:%b %d %H:%M}{fold_mark(notification.due_at, unit.time_zone)}"
        message = (
            f"{notification.get_recipient_display()} notification for the "
            f"{incident.get_type_display().lower()} incident on {unit.name} is overdue "
            f"(due {when}); record it when sent."
        )[:300]
        new = alerts.write(
            staff,
            kind=AlertKind.OTHER,
            message=message,
            due_at=notification.due_at,
            dedupe_key=f"nt:{notification.public_id}",
            unit=unit,
            subject=Subject(NOTIFICATION_SUBJECT, notification.public_id),
            now=now,
        )
        audit.record(
            actor=None,
            actor_label=SYSTEM_LABEL,
            action=Action.UPDATE,
            target=notification,
            category=category_of(incident),
            purpose=Purpose.OPERATIONS,
            detail={
                "incident": str(incident.public_id),
                "event": "notification overdue",
                "due_at": notification.due_at.isoformat(),
                "alerts": alerts.listed(new),
            },
        )
    return len(new)


def sweep_notifications(now: datetime | None = None, *, limit: int = 100) -> sweeps.SweepResult:
    """One sweep: every notification whose deadline has passed unsent alerts the unit's shift
    lead and the reporter, once. Safe from any number of workers at once. Each row goes through
    the one failure policy (core.sweeps.guarded): one that raises is audited "failed" and waits
    a back-off before it is tried again, so it neither jams the sweep nor is dropped."""
    now = now or clock.now()
    result = sweeps.SweepResult("incident notifications")
    rows = list(
        Notification.objects.filter(sent_at__isnull=True, alerted_at__isnull=True, due_at__lt=now)
        .filter(Q(sweep_retry_at__isnull=True) | Q(sweep_retry_at__lte=now))
        .order_by("due_at")
        .values_list("pk", "public_id", "sweep_failures")[:limit]
    )
    return sweeps.alert_each(
        result,
        rows,
        alert=lambda pk: _alert_overdue(pk, now),
        retry=lambda pk, n: _retry_later(pk, n, now),
        label=SYSTEM_LABEL,
        object_type="incidents.notification",
    )
