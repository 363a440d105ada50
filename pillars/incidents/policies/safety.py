"""Who may see and do what with safety plans.

A plan is visible exactly when its person served is (people.policies). It is read by the whole
care team and the director; it is written with the person by the staff who work beside them:
technicians, nurses, clinicians and peer specialists may draft a version and sign it as the staff
member. Supervisors and leaders read it; nobody edits a signed version.
"""

from __future__ import annotations

from pillars.core import policy
from pillars.core.policy import rule
from pillars.core.policy_shared import checked_writes
from pillars.core.roles import RoleCode as R
from pillars.incidents.models import SafetyPlanVersion
from pillars.people.policies import (
    CARE_TEAM,
    ordinary_scope,
    register_person_scope,
)

WRITERS = (R.BHT, R.NURSE, R.CLINICIAN, R.PEER)
_write = checked_writes(ordinary_scope)


ACTIONS = {
    "incidents.view_safety_plan": rule(
        *CARE_TEAM, R.DIRECTOR, description="read a person's safety plan and its versions"
    ),
    "incidents.draft_safety_plan": _write(*WRITERS, description="draft a plan version"),
    "incidents.sign_safety_plan": _write(
        *WRITERS, description="co-sign a plan version with the person served"
    ),
}


def install() -> None:
    policy.register(ACTIONS)
    register_person_scope(SafetyPlanVersion)
