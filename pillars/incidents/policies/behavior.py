"""Who may see and do what in the behavior area.

Plans, contracts and ABC records are visible exactly when their person served is
(people.policies: the unit's staff, the caseload, supervision, emergency access and
organization-wide roles). Clinicians write plans and contracts; the floor (BHT, nurse,
clinician, peer) records behavior; the care team reads. Emergency access is for reading only.
"""

from __future__ import annotations

from typing import Any

from pillars.core import policy
from pillars.core.policy import Actor, rule
from pillars.core.policy_shared import checked_writes
from pillars.core.roles import RoleCode as R
from pillars.incidents.models import (
    BehaviorContract,
    BehaviorPlan,
    BehaviorRecord,
    BehaviorRecordAddendum,
    PlanPhase,
    TargetBehavior,
)
from pillars.people.models import PersonServed
from pillars.people.policies import (
    CARE_TEAM,
    register_person_scope,
    writes_in_ordinary_scope,
)


def _person_of(obj: Any) -> PersonServed | None:
    if isinstance(obj, PersonServed):
        return obj
    if isinstance(obj, TargetBehavior):
        return obj.plan.person
    if isinstance(obj, BehaviorRecordAddendum):
        return obj.record.person
    person = getattr(obj, "person", None)
    return person if isinstance(person, PersonServed) else None


def _not_emergency_only(actor: Actor, obj: Any) -> bool:
    """Writing needs the ordinary scope (unit, caseload, supervision): an emergency grant is
    for reading."""
    return writes_in_ordinary_scope(actor, _person_of(obj))


# The floor records behavior: technicians, nurses, clinicians and peer specialists.
RECORDERS = (R.BHT, R.NURSE, R.CLINICIAN, R.PEER)
_ordinary_write = checked_writes(_not_emergency_only)

ACTIONS = {
    "incidents.view_behavior": rule(
        *CARE_TEAM, R.DIRECTOR, description="read behavior plans, contracts, ABC data and charts"
    ),
    "incidents.write_behavior_plan": _ordinary_write(
        R.CLINICIAN, description="write behavior plans, phases and contracts"
    ),
    # Signing for staff is the clinician's; the person served signs in their presence.
    "incidents.record_behavior": _ordinary_write(
        *RECORDERS, description="record ABC data and correct it with addenda"
    ),
}


def install() -> None:
    policy.register(ACTIONS)
    for model in (BehaviorPlan, BehaviorContract, BehaviorRecord, PlanPhase):
        register_person_scope(model)
    register_person_scope(TargetBehavior, "plan__person")
    register_person_scope(BehaviorRecordAddendum, "record__person")
