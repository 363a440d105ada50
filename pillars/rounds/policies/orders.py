"""Who may see and do what with observation levels, orders and checks.

An order is visible exactly when its person served is (people.policies): the unit's staff, the
caseload, supervision, emergency access (read-only) and organization-wide roles.
"""

from __future__ import annotations

from operator import attrgetter
from typing import Any

from django.db import models

from pillars.core import policy
from pillars.core.policy import Actor, rule
from pillars.core.policy_shared import register_reference_data
from pillars.core.roles import RoleCode as R
from pillars.people.models import PersonServed
from pillars.people.policies import (
    CARE_TEAM,
    person_visible,
    register_person_scope,
    restrict_by_unit,
    restrict_persons,
    unit_record_visible,
    writes_in_ordinary_scope,
)
from pillars.rounds.models import (
    Check,
    CheckAddendum,
    Coverage,
    MonitoringException,
    ObservationLevel,
    ObservationOrder,
    SetAsideCheck,
)


def not_emergency_only(actor: Actor, obj: Any) -> bool:
    """Emergency access is for reading; rounding and ordering need the ordinary scope. The
    record is a person (ordering a level), an order, or a row of one (check, coverage,
    monitoring exception)."""
    if isinstance(obj, PersonServed):
        return writes_in_ordinary_scope(actor, obj)
    order = obj.order if isinstance(obj, (Check, Coverage, MonitoringException)) else obj
    if not isinstance(order, ObservationOrder):
        return True
    return writes_in_ordinary_scope(actor, order.person)


ACTIONS = {
    "rounds.view": rule(*CARE_TEAM, R.DIRECTOR, description="see orders, checks and the board"),
    "rounds.record_check": rule(
        R.BHT, R.NURSE, R.CLINICIAN, check=not_emergency_only, scope="write"
    ),
    "rounds.order": rule(R.NURSE, R.CLINICIAN, check=not_emergency_only, scope="write"),
    "rounds.manage_levels": rule(R.ADMIN, scope="write"),
    # Levels are reference data (no person served in them): whoever orders, rounds or keeps them.
    "rounds.view_levels": rule(*CARE_TEAM, R.DIRECTOR, R.ADMIN, description="observation levels"),
    # The integrity report is for leaders; nothing in it is ever hidden from them.
    "rounds.view_integrity": rule(R.NURSE, R.SUPERVISOR, R.DIRECTOR),
    # Checks a tablet could not send are resolved by the lead: a nurse (who may record them) or a
    # supervisor (who may close them with a note).
    "rounds.resolve_set_aside": rule(R.NURSE, R.SUPERVISOR, scope="write"),
}


def register_order_scope(model: type[models.Model], order: str = "order") -> None:
    """Register ``model``'s scope as its observation order's person's; ``order`` leads from a
    row to its order (``check_record__order`` for a check's addendum)."""
    order_at = attrgetter(order.replace("__", "."))
    policy.register_scope(
        model,
        visible=lambda a, r: person_visible(a, order_at(r).person),
        restrict=lambda a, qs: qs.filter(
            **{f"{order}__person__in": restrict_persons(a, PersonServed.objects.all())}
        ),
    )


def install() -> None:
    policy.register(ACTIONS)
    register_person_scope(ObservationOrder)
    register_order_scope(Check)
    register_order_scope(CheckAddendum, "check_record__order")
    policy.register_scope(
        SetAsideCheck, visible=unit_record_visible, restrict=restrict_by_unit("unit_id")
    )
    register_reference_data(ObservationLevel)
