"""Who may keep the escalation chains (per-unit data; a step without a unit is the default)."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from pillars.core import policy
from pillars.core.policy import Actor, rule
from pillars.core.roles import RoleCode as R
from pillars.people.models import Unit
from pillars.people.policies import restrict_units, unit_visible
from pillars.rounds.models import EscalationStep

ACTIONS = {
    # Escalation chains are per-unit data, kept by the administrator.
    "rounds.manage_escalation": rule(R.ADMIN, scope="write"),
}


def _step_visible(actor: Actor, step: EscalationStep) -> bool:
    return step.unit is None or unit_visible(actor, step.unit)


def _restrict_steps(actor: Actor, qs: QuerySet[EscalationStep]) -> QuerySet[EscalationStep]:
    units = restrict_units(actor, Unit.objects.all())
    return qs.filter(Q(unit__isnull=True) | Q(unit__in=units))


def install() -> None:
    policy.register(ACTIONS)
    policy.register_scope(EscalationStep, visible=_step_visible, restrict=_restrict_steps)
