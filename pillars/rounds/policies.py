"""Who may see and do what with observation orders and checks.

An order is visible exactly when its person served is (people.policies): the unit's staff, the
caseload, supervision, emergency access (read-only) and organization-wide roles.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from pillars.core import policy
from pillars.core.policy import Actor, rule
from pillars.core.roles import RoleCode as R
from pillars.people.models import PersonServed
from pillars.people.policies import (
    CARE_TEAM,
    person_visible,
    restrict_persons,
    visible_without_emergency,
)
from pillars.rounds.models import Check, ObservationOrder


def _not_emergency_only(actor: Actor, obj: Any) -> bool:
    """Emergency access is for reading; rounding and ordering need the ordinary scope."""
    order = obj.order if isinstance(obj, Check) else obj
    if not isinstance(order, ObservationOrder):
        return True
    if order.person_id not in actor.emergency_person_ids:
        return True
    return visible_without_emergency(actor, order.person)


ACTIONS = {
    "rounds.view": rule(*CARE_TEAM, R.DIRECTOR, description="see orders, checks and the board"),
    "rounds.record_check": rule(
        R.BHT, R.NURSE, R.CLINICIAN, check=_not_emergency_only, scope="write"
    ),
    "rounds.order": rule(R.NURSE, R.CLINICIAN, check=_not_emergency_only, scope="write"),
    "rounds.manage_levels": rule(R.ADMIN, scope="write"),
}


def _restrict_orders(actor: Actor, qs: QuerySet[ObservationOrder]) -> QuerySet[ObservationOrder]:
    return qs.filter(person__in=restrict_persons(actor, PersonServed.objects.all()))


def _restrict_checks(actor: Actor, qs: QuerySet[Check]) -> QuerySet[Check]:
    return qs.filter(order__person__in=restrict_persons(actor, PersonServed.objects.all()))


def install() -> None:
    policy.register(ACTIONS)
    policy.register_scope(
        ObservationOrder,
        visible=lambda a, o: person_visible(a, o.person),
        restrict=_restrict_orders,
    )
    policy.register_scope(
        Check, visible=lambda a, c: person_visible(a, c.order.person), restrict=_restrict_checks
    )
