"""Who may see and do what with wellness plans and recovery goals.

A plan or goal is visible exactly when its person served is (people.policies: peers see their
caseload and their program's units; supervisors their supervisees' persons). Peer specialists
write them with the person; the person's clinicians, supervisors and the director read them;
nobody else (technicians and nurses answer 403, staff outside the person's scope 404).
"""

from __future__ import annotations

from pillars.core import policy
from pillars.core.policy import rule
from pillars.core.roles import RoleCode as R
from pillars.recovery.models.plans import Goal, GoalProgress, GoalStep, WellnessPlanVersion
from pillars.recovery.policies.persons import person_write, register_person_scope

READERS = (R.PEER, R.CLINICIAN, R.SUPERVISOR, R.DIRECTOR)
WRITERS = (R.PEER,)


ACTIONS = {
    "recovery.view_wellness_plan": rule(
        *READERS, description="read a person's wellness plan and its versions"
    ),
    "recovery.draft_wellness_plan": person_write(
        *WRITERS,
        description="draft the next version of a wellness plan with the person",
    ),
    "recovery.sign_wellness_plan": person_write(
        *WRITERS,
        description="co-sign a wellness plan version with the person",
    ),
    "recovery.view_goals": rule(*READERS, description="read a person's recovery goals"),
    "recovery.write_goals": person_write(
        *WRITERS,
        description="set goals and steps with the person",
    ),
    "recovery.record_goal_progress": person_write(
        *WRITERS,
        description="record progress on a goal in the person's words",
    ),
}


def install() -> None:
    """Register this area's actions and scopes with the one policy layer."""
    policy.register(ACTIONS)
    for model in (WellnessPlanVersion, Goal):
        register_person_scope(model)
    for child in (GoalStep, GoalProgress):
        register_person_scope(child, "goal__person")
