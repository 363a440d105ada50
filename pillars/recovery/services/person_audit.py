"""The audit event of a write about a person served, shared by the recovery services.

A write is made by a staff member or by the person on their own page (``PersonAccess``,
recovery.services.portal); the person is recorded under their access's label, never as a user.
Every such event names the person and their data category, for treatment."""

from __future__ import annotations

from typing import Any

from pillars.people.models import PersonServed
from pillars.people.selectors import record_person_event
from pillars.recovery.models.portal import PersonAccess


def audit_person_write(
    actor: Any, action: str, target: Any, person: PersonServed, **detail: Any
) -> None:
    """Append the event of ``actor``'s ``action`` on ``target``, a record of ``person``'s."""
    record_person_event(
        person,
        actor=None if isinstance(actor, PersonAccess) else actor,
        actor_label=actor.actor_label if isinstance(actor, PersonAccess) else "",
        action=action,
        target=target,
        detail=detail,
    )
