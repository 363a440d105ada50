"""Who may inspect the environment of care and run its work orders.

Inspections, their results and photos, and work orders are visible when their unit is;
checklists (templates) are reference data.
"""

from __future__ import annotations

from typing import Any

from pillars.core import policy
from pillars.core.policy import Actor, rule
from pillars.core.policy_shared import register_reference_data
from pillars.core.roles import RoleCode as R
from pillars.people.models import Unit
from pillars.people.policies import restrict_by_unit, unit_record_visible, unit_visible
from pillars.rounds.models import (
    Inspection,
    InspectionPhoto,
    InspectionResult,
    InspectionTemplate,
    WorkOrder,
)

ACTIONS = {
    # Environment of care: the floor inspects; leaders and the shift lead run the work orders.
    "rounds.inspect": rule(R.BHT, R.NURSE, R.SUPERVISOR, scope="write"),
    "rounds.view_inspections": rule(R.BHT, R.NURSE, R.SUPERVISOR, R.DIRECTOR, R.ADMIN),
    "rounds.manage_work_orders": rule(R.NURSE, R.SUPERVISOR, R.DIRECTOR, R.ADMIN, scope="write"),
    "rounds.manage_inspection_templates": rule(R.ADMIN, scope="write"),
}


def _result_visible(actor: Actor, obj: Any) -> bool:
    result = obj.result if isinstance(obj, InspectionPhoto) else obj
    return unit_visible(actor, Unit(pk=result.inspection.unit_id))


def install() -> None:
    policy.register(ACTIONS)
    register_reference_data(InspectionTemplate)
    for model in (Inspection, WorkOrder):
        policy.register_scope(
            model, visible=unit_record_visible, restrict=restrict_by_unit("unit_id")
        )
    policy.register_scope(
        InspectionResult, visible=_result_visible, restrict=restrict_by_unit("inspection__unit_id")
    )
    policy.register_scope(
        InspectionPhoto,
        visible=_result_visible,
        restrict=restrict_by_unit("result__inspection__unit_id"),
    )
