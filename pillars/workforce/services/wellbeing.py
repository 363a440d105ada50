"""Workforce writes: wellbeing. Each checks permission, runs in a transaction and audits.

- ``record_exposure``: the one writer of the exposure ledger; incidents reach it through their
  hook (``pillars.incidents.exposure``, installed by ``extensions.wellbeing``). An exposure of a
  kind an active ``CheckInRule`` names invites the staff member, privately, to a check-in.
- ``answer_check_in`` / ``decline_invitation``: the staff member's own; either stops reminders.
- ``sweep_reminders``: the worker's sweep; one reminder alert per invitation and round, to the
  staff member only, worded so that it says nothing of what happened.

Audit rows of this area carry the wellbeing category and never the answers or the scores.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from django.db import transaction
from django.db.models import F

from pillars.audit.choices import Action, Category
from pillars.core import clock, policy, sweeps
from pillars.core.errors import Conflict, invalid
from pillars.core.writes import replayed
from pillars.incidents.models.incidents import ExposureKind
from pillars.people import alerts
from pillars.people.alerts import AlertKind, Subject
from pillars.people.models import Staff, Unit
from pillars.workforce.models.wellbeing import (
    CheckIn,
    CheckInInstrument,
    CheckInRule,
    ExposureEvent,
    Invitation,
    InvitationStatus,
)
from pillars.workforce.services.staff_audit import audit_operations

SYSTEM_LABEL = "wellbeing check-in reminders"
INVITATION_SUBJECT = "workforce.invitation"


def _audit_wellbeing(
    actor: Any, action: str, target: Any, detail: dict[str, Any], *, actor_label: str = ""
) -> None:
    """Every wellbeing write is audited in the wellbeing category (a staff member's own: DESIGN.md
    rule 5), for operations."""
    audit_operations(
        actor, action, target, detail, actor_label=actor_label, category=Category.WELLBEING
    )


def record_exposure(
    staff_id: int, kind: str, occurred_at: datetime, source: Any, actor: Any = None
) -> ExposureEvent:
    """Add one row to a staff member's exposure ledger, inside the caller's transaction (the
    incident or restraint service that saw the exposure). The same staff member, kind and
    source twice is one row. A kind an active rule names invites a check-in. The audit row
    names the source, never the kind, under the wellbeing category."""
    if kind not in ExposureKind.values:
        raise invalid("kind", "Unknown kind of exposure.")
    now = clock.now()
    with transaction.atomic():
        # Evaluated only when the row is new (a callable default): the unit the exposure
        # counts in, as it is now (like a check-in's).
        defaults: dict[str, Any] = {
            "occurred_at": occurred_at,
            "recorded_at": now,
            "unit": lambda: Unit.objects.filter(staff__pk=staff_id).order_by("pk").first(),
        }
        event, created = ExposureEvent.objects.get_or_create(
            staff_id=staff_id,
            kind=kind,
            source_type=source._meta.label_lower,
            source_id=source.public_id,
            defaults=defaults,
        )
        if created:
            _audit_wellbeing(
                actor,
                Action.CREATE,
                event,
                {"source": f"{source._meta.label_lower}:{source.public_id}"},
            )
            _invite(event, now)
    return event


def _invite(event: ExposureEvent, now: datetime) -> Invitation | None:
    rule = (
        CheckInRule.objects.filter(exposure_kind=event.kind, is_active=True)
        .select_related("instrument")
        .first()
    )
    if rule is None or not rule.instrument.is_active:
        return None
    # One open invitation at a time: a second serious event while one waits adds nothing.
    if Invitation.objects.filter(staff_id=event.staff_id, status=InvitationStatus.OPEN).exists():
        return None
    invitation = Invitation(
        staff_id=event.staff_id,
        exposure=event,
        rule=rule,
        instrument=rule.instrument,
        invited_at=now,
    )
    invitation.next_reminder_at = invitation.next_reminder_after(now)
    invitation.save()
    _audit_wellbeing(
        None,
        Action.CREATE,
        invitation,
        {"rule": str(rule.public_id), "rule_version": rule.version},
        actor_label="wellbeing check-in invitation",
    )
    return invitation


def _answers(instrument: CheckInInstrument, raw: dict[str, Any]) -> dict[int, int]:
    """Every item answered with a value of the instrument's scale, or a clear error."""
    items = list(instrument.items.all())
    allowed = set(instrument.scale_values())
    answers: dict[int, int] = {}
    for item in items:
        value: Any = raw.get(str(item.number))
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise invalid(f"q{item.number}", f"Answer question {item.number}.") from None
        if number not in allowed:
            raise invalid(f"q{item.number}", f"Question {item.number}: choose one of the answers.")
        answers[item.number] = number
    extra = {str(k) for k in raw} - {str(i.number) for i in items}
    if extra:
        raise invalid("answers", "Answers to questions this check-in does not have.")
    return answers


def answer_check_in(
    *,
    actor: Any,
    instrument: CheckInInstrument,
    answers: dict[str, Any],
    invitation: Invitation | None = None,
    client_id: UUID | None = None,
) -> CheckIn:
    """Record the acting staff member's own check-in (scored by the server); answering an
    invitation closes it and stops its reminders. A replayed ``client_id`` returns the first."""
    who = policy.require(actor, "workforce.check_in", invitation)
    if not instrument.is_active:
        raise invalid("instrument", "This check-in is no longer offered.")
    if invitation is not None and invitation.instrument_id != instrument.pk:
        raise invalid("instrument", "This invitation asks for another check-in.")
    if found := replayed(
        CheckIn, client_id, {"staff_id": who.staff_pk}, "This check-in was already recorded."
    ):
        return found
    parsed = _answers(instrument, answers)
    now = clock.now()
    with transaction.atomic():
        if invitation is not None:
            invitation = _lock_open(invitation)
        staff = Staff.objects.get(pk=who.staff_pk)
        check_in = CheckIn.objects.create(
            staff=staff,
            unit=staff.home_units.order_by("pk").first(),
            supervisor_id=staff.supervisor_id,
            instrument=instrument,
            invitation=invitation,
            answered_at=now,
            answers={str(k): v for k, v in parsed.items()},
            scores=instrument.score(parsed, list(instrument.items.all())),
            client_id=client_id,
        )
        if invitation is not None:
            _close(invitation, InvitationStatus.ANSWERED, now)
        _audit_wellbeing(actor, Action.CREATE, check_in, {"instrument": instrument.code})
    return check_in


def decline_invitation(invitation: Invitation, *, actor: Any) -> Invitation:
    """The staff member says no thanks: the invitation closes and reminders stop."""
    policy.require(actor, "workforce.check_in", invitation)
    with transaction.atomic():
        invitation = _lock_open(invitation)
        _close(invitation, InvitationStatus.DECLINED, clock.now())
        _audit_wellbeing(
            actor, Action.UPDATE, invitation, {"changes": {"status": ["open", "declined"]}}
        )
    return invitation


def _lock_open(invitation: Invitation) -> Invitation:
    """The invitation locked for closing; one already answered or declined is a Conflict."""
    locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if locked.status != InvitationStatus.OPEN:
        raise Conflict("This invitation was already answered or declined.")
    return locked


def _close(invitation: Invitation, status: str, now: datetime) -> None:
    invitation.status = status
    invitation.closed_at = now
    invitation.next_reminder_at = None
    invitation.save(update_fields=["status", "closed_at", "next_reminder_at"])
    _resolve_alerts(invitation, now)


def _resolve_alerts(invitation: Invitation, now: datetime) -> None:
    alerts.resolve(
        alerts.about(Subject(INVITATION_SUBJECT, invitation.public_id)),
        moment=now,
        reason="The check-in was answered or declined.",
    )


# --- Reminders: the worker's sweep ----------------------------------------------------------


def _remind(pk: int, now: datetime) -> int:
    """Claim one due invitation (compare-and-set on its reminder count) and alert its staff
    member once for this round; the next round is scheduled, or none when they are spent."""
    invitation = Invitation.objects.select_related("rule", "staff").get(pk=pk)
    sent = invitation.reminders_sent
    claimed = Invitation.objects.filter(
        pk=pk, status=InvitationStatus.OPEN, reminders_sent=sent, next_reminder_at__lte=now
    ).update(reminders_sent=F("reminders_sent") + 1, sweep_failures=0)
    if claimed != 1:
        return 0
    invitation.reminders_sent = sent + 1
    Invitation.objects.filter(pk=pk).update(next_reminder_at=invitation.next_reminder_after(now))
    # The alert is the staff member's own and names no unit: a staff member with no home
    # unit (a float, a new hire) is reminded too.
    new = alerts.write(
        [invitation.staff],
        kind=AlertKind.OTHER,
        # Says nothing of the event: the alert is the staff member's own, but a screen can be
        # seen over a shoulder.
        message="A private check-in is waiting for you (Wellbeing, under My check-ins).",
        due_at=now,
        dedupe_key=f"wb:{invitation.public_id}:{sent + 1}",
        subject=Subject(INVITATION_SUBJECT, invitation.public_id),
        now=now,
    )
    _audit_wellbeing(
        None,
        Action.UPDATE,
        invitation,
        {"event": "check-in reminder", "round": sent + 1, "alerts": len(new)},
        actor_label=SYSTEM_LABEL,
    )
    return len(new)


def _retry_later(pk: int, failures: int, now: datetime) -> None:
    """The failure policy's retry: push the deadline back further after each failure."""
    Invitation.objects.filter(pk=pk).update(
        next_reminder_at=now + sweeps.backoff(failures), sweep_failures=failures
    )


def sweep_reminders(now: datetime | None = None, *, limit: int = 200) -> sweeps.SweepResult:
    """One sweep: each open invitation whose reminder is due gets one; answered and declined
    invitations have no deadline and are never taken."""
    now = now or clock.now()
    result = sweeps.SweepResult("wellbeing check-in reminders")
    rows = list(
        Invitation.objects.filter(status=InvitationStatus.OPEN, next_reminder_at__lte=now)
        .order_by("next_reminder_at", "pk")
        .values_list("pk", "public_id", "sweep_failures")[:limit]
    )
    return sweeps.alert_each(
        result,
        rows,
        alert=lambda pk: _remind(pk, now),
        retry=lambda pk, failures: _retry_later(pk, failures, now),
        label=SYSTEM_LABEL,
        object_type="workforce.invitation",
    )
