"""Who may see and do what in the restraint area.

An episode (and every row of it) is visible exactly when its person served is
(people.policies). Ordering, the face-to-face and release are for nurses and clinicians; any
trained floor staff member (BHT, nurse) monitors. Reports are for leaders and the shift lead.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from pillars.core import policy
from pillars.core.policy import Actor, rule
from pillars.core.policy_shared import checked_writes, register_reference_data
from pillars.core.roles import RoleCode as R
from pillars.incidents.models import (
    FaceToFace,
    MonitoringCheck,
    RestraintAddendum,
    RestraintEpisode,
    RestraintOrder,
    RestraintStaff,
    RuleProfile,
    UnitRuleProfile,
)
from pillars.people.models import PersonServed, Unit
from pillars.people.policies import (
    CARE_TEAM,
    person_of,
    register_person_scope,
    restrict_units,
    unit_visible,
    writes_in_ordinary_scope,
)


def _not_emergency_only(actor: Actor, obj: Any) -> bool:
    """Emergency access is for reading; writing (about a person or an episode) needs the
    ordinary scope."""
    if isinstance(obj, PersonServed | RestraintEpisode):
        return writes_in_ordinary_scope(actor, person_of(obj))
    return True


def _leads_unit(actor: Actor, obj: Any) -> bool:
    """Administrators choose for any unit; a director for the units they lead (their home
    units), though the role sees every unit."""
    if not isinstance(obj, Unit) or actor.has_role(R.ADMIN):
        return True
    return obj.pk in actor.unit_ids


# Who orders, evaluates and releases; who leads the shift's restraint screen and reports.
ORDERING = (R.NURSE, R.CLINICIAN)
LEADS = (R.NURSE, R.SUPERVISOR, R.DIRECTOR)
_floor_write = checked_writes(_not_emergency_only)

ACTIONS = {
    "incidents.restraint_view": rule(
        *CARE_TEAM, R.DIRECTOR, description="see restraint and seclusion episodes"
    ),
    "incidents.restraint_order": _floor_write(
        *ORDERING, description="start an episode, renew its order, release"
    ),
    "incidents.restraint_evaluate": _floor_write(
        *ORDERING, description="the 1-hour face-to-face evaluation"
    ),
    "incidents.restraint_monitor": _floor_write(
        R.BHT, *ORDERING, description="monitoring checks, guardian notice, debrief, addenda"
    ),
    "incidents.restraint_lead": rule(*LEADS, description="the shift lead's restraint screen"),
    "incidents.restraint_report": rule(*LEADS, description="violations and HBIPS-2/3 per unit"),
    "incidents.restraint_profiles": rule(
        *CARE_TEAM, R.DIRECTOR, R.ADMIN, description="rule profiles"
    ),
    "incidents.restraint_choose_profile": rule(
        R.DIRECTOR,
        R.ADMIN,
        check=_leads_unit,
        scope="write",
        description="choose the rule profile of a unit they lead",
    ),
    "incidents.restraint_manage_profiles": rule(
        R.ADMIN, scope="write", description="change a rule profile's limits (a new version)"
    ),
}


def _restrict_unit_profiles(
    actor: Actor, qs: QuerySet[UnitRuleProfile]
) -> QuerySet[UnitRuleProfile]:
    return qs.filter(unit__in=restrict_units(actor, Unit.objects.all()))


def install() -> None:
    policy.register(ACTIONS)
    register_person_scope(RestraintEpisode)
    for model in (RestraintOrder, FaceToFace, MonitoringCheck, RestraintAddendum, RestraintStaff):
        register_person_scope(model, "episode__person")
    register_reference_data(RuleProfile)
    policy.register_scope(
        UnitRuleProfile,
        visible=lambda a, u: unit_visible(a, u.unit),
        restrict=_restrict_unit_profiles,
    )
