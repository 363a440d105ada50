"""Who may compile, note, sign and read the shift handoff (visible when its unit is)."""

from __future__ import annotations

from pillars.core import policy
from pillars.core.policy import rule
from pillars.core.roles import RoleCode as R
from pillars.people.policies import restrict_by_unit, unit_record_visible
from pillars.rounds.models import Handoff

ACTIONS = {
    # Shift handoff: compiled, noted and signed by the outgoing and incoming staff.
    "rounds.handoff": rule(R.BHT, R.NURSE, scope="write"),
    "rounds.view_handoffs": rule(R.BHT, R.NURSE, R.CLINICIAN, R.SUPERVISOR, R.DIRECTOR),
}


def install() -> None:
    policy.register(ACTIONS)
    policy.register_scope(
        Handoff, visible=unit_record_visible, restrict=restrict_by_unit("unit_id")
    )
