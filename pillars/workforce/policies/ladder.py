"""Who may see and do what in the workforce area: the career ladder. Everyone may read the
ladders; a staff member sees their own progress, a supervisor their supervisees', the director
and administrators everyone's; a supervisor (for a supervisee), the director or an
administrator records a step."""

from __future__ import annotations

from typing import Any

from pillars.core import policy
from pillars.core.policy import Actor, rule
from pillars.core.policy_shared import own_or_supervisee, register_reference_data
from pillars.core.roles import RoleCode as R
from pillars.workforce.models.ladder import LadderCriterion, LadderPlacement, LadderStep

LEADS = (R.DIRECTOR, R.ADMIN)


def _own_or_led(actor: Actor, staff: Any) -> bool:
    if staff is None or actor.has_role(*LEADS):
        return True
    return own_or_supervisee(actor, staff.pk)


def _led(actor: Actor, staff: Any) -> bool:
    if staff is None or actor.has_role(*LEADS):
        return True
    return staff.pk in actor.supervisee_staff_ids


ACTIONS = {
    "workforce.view_ladders": rule(*R, description="the career ladders"),
    "workforce.view_ladder_progress": rule(
        *R, check=_own_or_led, description="progress to the next step"
    ),
    "workforce.place_on_ladder": rule(
        R.SUPERVISOR, *LEADS, check=_led, scope="write", description="record a step"
    ),
}


def install() -> None:
    policy.register(ACTIONS)
    register_reference_data(LadderStep, LadderCriterion)
    policy.register_scope(
        LadderPlacement,
        visible=lambda a, o: _own_or_led(a, o.staff),
        restrict=lambda a, qs: (
            qs
            if a.has_role(*LEADS)
            else qs.filter(staff_id__in={a.staff_pk, *a.supervisee_staff_ids})
        ),
    )
