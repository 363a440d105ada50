"""Who may see and do what with role drift: a staff member reads their own drift and keeps
their own time log; their supervisor reads it; the director reads everyone's and the
organization's figures."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from pillars.core import policy
from pillars.core.policy import Actor, rule
from pillars.core.policy_shared import own_or_supervisee, own_or_supervisee_q
from pillars.core.roles import RoleCode as R
from pillars.workforce.models.drift import TimeLogEntry
from pillars.workforce.policies.supervision import STAFF_ROLES, is_own_or_supervised


def _entry_visible(actor: Actor, entry: Any) -> bool:
    return actor.is_org_wide or own_or_supervisee(actor, entry.staff_id)


def _restrict(actor: Actor, qs: QuerySet[Any]) -> QuerySet[Any]:
    if actor.is_org_wide:
        return qs
    return qs.filter(own_or_supervisee_q(actor))


ACTIONS = {
    "workforce.view_drift": rule(
        *STAFF_ROLES,
        check=is_own_or_supervised,
        description="read one staff member's role-drift figures (own, supervisee; director)",
    ),
    "workforce.view_org_drift": rule(
        R.DIRECTOR, description="read the organization's role-drift figures"
    ),
    "workforce.log_time": rule(
        *STAFF_ROLES,
        check=lambda a, o: o is None or getattr(o, "pk", None) == a.staff_id,
        scope="write",
        description="log one's own time on non-peer tasks",
    ),
}


def install() -> None:
    policy.register(ACTIONS)
    policy.register_scope(TimeLogEntry, visible=_entry_visible, restrict=_restrict)
