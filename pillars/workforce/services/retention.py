"""Workforce writes: retention. Each checks permission, runs in a transaction and audits."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction

from pillars.audit.choices import Action
from pillars.core import clock, policy
from pillars.core.errors import Conflict, invalid
from pillars.people.models import Staff
from pillars.workforce.models.retention import ExitInterview, ExitReasonKind
from pillars.workforce.services.staff_audit import audit_operations


def record_exit_interview(
    staff: Staff,
    *,
    actor: Any,
    held_on: date,
    reason: str = "",
    would_return: bool | None = None,
    what_helped: str = "",
    what_would_change: str = "",
) -> ExitInterview:
    """Record the one exit interview of a staff member who has left. ``reason`` (an exit reason
    code, data) may correct the kind of separation, e.g. to an internal transfer."""
    who = policy.require(actor, "workforce.record_exit_interview", staff)
    if staff.exited_on is None:
        raise invalid(None, "This staff member has not left: record their exit first.")
    if held_on > clock.organization_today():
        raise invalid("held_on", "The interview cannot be in the future.")
    kind = None
    if reason:
        kind = ExitReasonKind.objects.filter(code=reason, is_active=True).first()
        if kind is None:
            raise invalid("reason", "Choose one of the exit reasons.")
    with transaction.atomic():
        if ExitInterview.objects.select_for_update().filter(staff=staff).exists():
            raise Conflict("An exit interview is already recorded for this person.")
        interview = ExitInterview.objects.create(
            staff=staff,
            reason=kind,
            held_on=held_on,
            would_return=would_return,
            what_helped=what_helped.strip(),
            what_would_change=what_would_change.strip(),
            recorded_by_id=who.staff_pk,
            recorded_at=clock.now(),
        )
        audit_operations(
            actor, Action.CREATE, interview, {"staff": str(staff.public_id), "reason": reason}
        )
    return interview
