"""Who may see the floor rules and ask the floor gate about a staff member: the staff who
assign the floor (nurses, supervisors), leaders, and each staff member about themselves."""

from __future__ import annotations

from pillars.core import policy
from pillars.core.policy import rule
from pillars.core.roles import RoleCode as R
from pillars.workforce.policies.credentials import EVERY_STAFF_ROLE

ACTIONS = {
    "workforce.view_floor_rules": rule(
        *EVERY_STAFF_ROLE, description="the floor rules: which task needs which credential"
    ),
    "workforce.check_floor": rule(
        R.NURSE,
        R.CLINICIAN,
        R.SUPERVISOR,
        R.DIRECTOR,
        R.ADMIN,
        description="ask whether a staff member may take a floor task, and why not",
    ),
}


def install() -> None:
    policy.register(ACTIONS)
