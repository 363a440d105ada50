"""Who may assign the shift, cover a person 1:1 or 2:1, sign a relief and pause the clock.

Coverage and monitoring exceptions are visible exactly when their order's person is; shift
assignments when their unit is.
"""

from __future__ import annotations

from typing import Any

from pillars.core import policy
from pillars.core.policy import Actor, rule
from pillars.core.roles import RoleCode as R
from pillars.people.policies import (
    restrict_by_unit,
    unit_record_visible,
)
from pillars.rounds.models import Coverage, MonitoringException, ShiftAssignment
from pillars.rounds.policies.orders import not_emergency_only, register_order_scope


def _with_the_person_now(actor: Actor, obj: Any) -> bool:
    """A relief handoff is signed by the staff member whose stretch it ends: the one with the
    person now. Anyone else (a nurse standing by, another BHT) is told who signs; a shift lead
    who must move the stretch ends it naming a successor instead."""
    if not isinstance(obj, Coverage):
        return True
    return obj.staff_id == actor.staff_id and not_emergency_only(actor, obj)


ACTIONS = {
    # Monitoring exceptions (off unit, refused, in session, on pass) pause and resume the clock.
    "rounds.pause": rule(R.BHT, R.NURSE, R.CLINICIAN, check=not_emergency_only, scope="write"),
    # The shift lead (a nurse, or a supervisor standing in) assigns the shift in bulk.
    "rounds.assign": rule(R.NURSE, R.SUPERVISOR, scope="write"),
    # Starting 1:1/2:1 coverage and ending a stretch (naming a successor or a new level).
    "rounds.cover": rule(R.BHT, R.NURSE, check=not_emergency_only, scope="write"),
    # Signing a relief handoff as the outgoing staff member: only whoever is with the person.
    "rounds.relieve": rule(
        R.BHT,
        R.NURSE,
        check=_with_the_person_now,
        scope="write",
        description="sign a relief handoff as the staff member with the person",
    ),
}


def install() -> None:
    policy.register(ACTIONS)
    for model in (Coverage, MonitoringException):
        register_order_scope(model)
    policy.register_scope(
        ShiftAssignment, visible=unit_record_visible, restrict=restrict_by_unit("unit_id")
    )
