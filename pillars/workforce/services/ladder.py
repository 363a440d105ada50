"""Workforce writes: the career ladder. Each checks permission, runs in a transaction and
audits."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction

from pillars.audit.choices import Action
from pillars.core import clock, policy
from pillars.core.errors import invalid
from pillars.people.models import Staff
from pillars.workforce.models.ladder import LadderPlacement, LadderStep
from pillars.workforce.services.staff_audit import audit_operations


def place_on_ladder(
    staff: Staff, *, actor: Any, step: LadderStep, since_on: date | None = None
) -> LadderPlacement:
    """Record that a staff member reached a step of one of their roles' ladders."""
    who = policy.require(actor, "workforce.place_on_ladder", staff)
    today = clock.organization_today()
    since_on = since_on or today
    if not step.is_active:
        raise invalid("step", "This step is no longer on the ladder.")
    if not staff.roles.filter(pk=step.role_id).exists():
        raise invalid("step", "This step belongs to a role the staff member does not have.")
    if since_on > today or since_on < staff.hired_on:
        raise invalid("since_on", "The date must be between the hire date and today.")
    with transaction.atomic():
        placement = LadderPlacement.objects.create(
            staff=staff,
            step=step,
            since_on=since_on,
            recorded_by_id=who.staff_pk,
            recorded_at=clock.now(),
        )
        audit_operations(
            actor,
            Action.CREATE,
            placement,
            {"staff": str(staff.public_id), "step": str(step.public_id)},
        )
    return placement
