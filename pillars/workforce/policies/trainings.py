"""Who may see and do what with trainings: a staff member records their own completions,
an administrator anyone's and assigns courses; supervisors and leaders read."""

from __future__ import annotations

from pillars.core import policy
from pillars.core.policy import rule
from pillars.core.roles import RoleCode as R
from pillars.workforce.models.trainings import TrainingAssignment, TrainingCompletion
from pillars.workforce.policies.credentials import (
    EVERY_STAFF_ROLE,
    may_read,
    record_own,
    restrict_by_staff,
)

ACTIONS = {
    "workforce.record_completion": record_own(
        *EVERY_STAFF_ROLE, description="record a training completion with its evidence"
    ),
    "workforce.assign_course": rule(
        R.ADMIN, scope="write", description="assign a course to a staff member by hand"
    ),
    "workforce.view_courses": rule(*EVERY_STAFF_ROLE, description="the list of courses"),
}


def install() -> None:
    policy.register(ACTIONS)
    for model in (TrainingAssignment, TrainingCompletion):
        policy.register_scope(model, visible=may_read, restrict=restrict_by_staff)
