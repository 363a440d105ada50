"""Record checks for records about a staff member: their own, or their supervisees'."""

from __future__ import annotations

from django.db.models import Q

from pillars.core.policy import Actor


def own_or_supervisee(actor: Actor, staff_id: int | None) -> bool:
    """True when the staff member is the actor or one of the actor's supervisees."""
    return staff_id == actor.staff_id or staff_id in actor.supervisee_staff_ids


def own_or_supervisee_q(actor: Actor, field: str = "staff_id") -> Q:
    """The rows whose ``field`` names the actor or one of the actor's supervisees."""
    return Q(**{field: actor.staff_id}) | Q(**{f"{field}__in": actor.supervisee_staff_ids})
