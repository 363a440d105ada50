"""Workforce writes: recognition. Each checks permission, runs in a transaction and audits."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.db import transaction

from pillars.audit.choices import Action
from pillars.core import clock, policy
from pillars.core.errors import invalid
from pillars.core.roles import RoleCode
from pillars.core.writes import replayed
from pillars.people.models import Staff
from pillars.workforce.models.recognition import Recognition
from pillars.workforce.services.staff_audit import audit_operations

LEADER_ROLES = (RoleCode.SUPERVISOR, RoleCode.DIRECTOR)


def give_recognition(
    to: Staff, *, actor: Any, message: str, client_id: UUID | None = None
) -> Recognition:
    """Recognize a colleague; from a supervisor or the director it is a leader's recognition.
    A replayed ``client_id`` returns the first."""
    who = policy.require(actor, "workforce.give_recognition")
    text = (message or "").strip()
    if not text:
        raise invalid("message", "Say what you are thanking them for.")
    if len(text) > 500:
        raise invalid("message", "At most 500 characters.")
    if to.pk == who.staff_pk:
        raise invalid("to", "Recognize a colleague, not yourself.")
    if to.exited_on is not None and to.exited_on <= clock.organization_today():
        raise invalid("to", "This colleague has left.")
    if found := replayed(
        Recognition,
        client_id,
        {"given_by_id": who.staff_pk, "given_to_id": to.pk},
        "This recognition was already recorded with other details.",
    ):
        return found
    with transaction.atomic():
        recognition = Recognition.objects.create(
            given_by_id=who.staff_pk,
            given_to=to,
            message=text,
            given_at=clock.now(),
            is_from_leader=who.has_role(*LEADER_ROLES),
            client_id=client_id,
        )
        audit_operations(
            actor,
            Action.CREATE,
            recognition,
            {"to": str(to.public_id), "leader": recognition.is_from_leader},
        )
    return recognition
