"""What several apps' policies share: write rules with one record check, the checks on records
about a staff member (their own or their supervisees'), and the scope of reference data."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import models
from django.db.models import Q

from pillars.core import policy
from pillars.core.policy import Actor, Rule, rule


def checked_writes(check: Callable[[Actor, Any], bool]) -> Callable[..., Rule]:
    """A maker of write rules (the "write" token scope) that all need ``check`` for the record."""

    def write(*roles: str, description: str = "") -> Rule:
        return rule(*roles, check=check, scope="write", description=description)

    return write


def own_or_supervisee(actor: Actor, staff_id: int | None) -> bool:
    """True when the staff member is the actor or one of the actor's supervisees."""
    return staff_id == actor.staff_id or staff_id in actor.supervisee_staff_ids


def own_or_supervisee_q(actor: Actor, field: str = "staff_id") -> Q:
    """The rows whose ``field`` names the actor or one of the actor's supervisees."""
    return Q(**{field: actor.staff_id}) | Q(**{f"{field}__in": actor.supervisee_staff_ids})


def register_reference_data(*reference: type[models.Model]) -> None:
    """Give reference data (no person served, no staff record) a scope anyone signed in passes:
    they may know every row exists, and the actions decide who reads and who changes it."""
    for model in reference:
        policy.register_scope(model, visible=lambda a, o: True, restrict=lambda a, qs: qs)
