"""Who may see and do what in the workforce area: wellbeing.

Exposure rows, invitations and check-ins are their staff member's alone (DESIGN.md rule 5):
their scope is "my own rows", for every role, administrators and the privacy officer included,
so nobody else may even learn that one exists (404). Supervisors and the director read
aggregates of groups large enough to stay anonymous (selectors.wellbeing), never rows; the
director may export them (CSV, groups under 11 hidden).
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from pillars.core import policy
from pillars.core.policy import Actor, rule
from pillars.core.policy_shared import register_reference_data
from pillars.core.roles import RoleCode as R
from pillars.workforce.models.wellbeing import (
    CheckIn,
    CheckInInstrument,
    EmployeeAssistance,
    ExposureEvent,
    Invitation,
    SelfCareResource,
)


def _own(actor: Actor, obj: Any) -> bool:
    return obj is None or (actor.staff_id is not None and obj.staff_id == actor.staff_id)


ACTIONS = {
    "workforce.view_own_wellbeing": rule(
        *R, check=_own, description="one's own exposure counts, invitations and check-ins"
    ),
    "workforce.check_in": rule(
        *R, check=_own, scope="write", description="answer or decline one's own check-in"
    ),
    "workforce.view_wellbeing_aggregate": rule(
        R.SUPERVISOR, R.DIRECTOR, description="wellbeing of groups of five or more"
    ),
    "workforce.export_wellbeing_aggregate": rule(
        R.DIRECTOR, description="wellbeing of groups of eleven or more, as CSV"
    ),
}


def _restrict_own(actor: Actor, qs: QuerySet[Any]) -> QuerySet[Any]:
    return qs.filter(staff_id=actor.staff_pk)


def install() -> None:
    policy.register(ACTIONS)
    for model in (ExposureEvent, Invitation, CheckIn):
        policy.register_scope(
            model,
            visible=lambda a, o: a.staff_id is not None and o.staff_id == a.staff_id,
            restrict=_restrict_own,
        )
    register_reference_data(CheckInInstrument, SelfCareResource, EmployeeAssistance)
