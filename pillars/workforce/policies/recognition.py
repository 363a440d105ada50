"""Who may see and do what in the workforce area: recognition. Any staff member may recognize
another; a recognition is seen by the person it is for and by its giver; the director sees
counts only (selectors.recognition.recognition_counts)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from pillars.core import policy
from pillars.core.policy import Actor, rule
from pillars.core.roles import RoleCode as R
from pillars.workforce.models.recognition import Recognition

ACTIONS = {
    "workforce.give_recognition": rule(*R, scope="write", description="recognize a colleague"),
    "workforce.view_own_recognition": rule(*R, description="recognitions given and received"),
    "workforce.view_recognition_counts": rule(
        R.SUPERVISOR, R.DIRECTOR, description="how many recognitions, by month and unit"
    ),
}


def _mine(actor: Actor, qs: QuerySet[Any]) -> QuerySet[Any]:
    return qs.filter(Q(given_to_id=actor.staff_pk) | Q(given_by_id=actor.staff_pk))


def install() -> None:
    policy.register(ACTIONS)
    policy.register_scope(
        Recognition,
        visible=lambda a, o: (
            a.staff_id is not None and a.staff_id in (o.given_to_id, o.given_by_id)
        ),
        restrict=_mine,
    )
