"""Who may see and do what with observation orders and checks.

An order is visible exactly when its person served is (people.policies): the unit's staff, the
caseload, supervision, emergency access (read-only) and organization-wide roles.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from pillars.core import policy
from pillars.core.policy import Actor, rule
from pillars.core.roles import RoleCode as R
from pillars.people.models import PersonServed, Unit
from pillars.people.policies import (
    CARE_TEAM,
    person_scope_q,
    person_visible,
    restrict_persons,
    restrict_units,
    unit_visible,
    visible_without_emergency,
)
from pillars.rounds.models import (
    Check,
    CheckAddendum,
    Coverage,
    EscalationStep,
    Handoff,
    Inspection,
    InspectionPhoto,
    InspectionResult,
    InspectionTemplate,
    MonitoringException,
    ObservationLevel,
    ObservationOrder,
    SetAsideCheck,
    ShiftAssignment,
    WorkOrder,
)


def _not_emergency_only(actor: Actor, obj: Any) -> bool:
    """Emergency access is for reading; rounding and ordering need the ordinary scope. The
    record is a person (ordering a level), an order, or a row of one (check, coverage,
    monitoring exception)."""
    if isinstance(obj, PersonServed):
        person = obj
    else:
        order = obj.order if isinstance(obj, (Check, Coverage, MonitoringException)) else obj
        if not isinstance(order, ObservationOrder):
            return True
        person = order.person
    if person.pk not in actor.emergency_person_ids:
        return True
    return visible_without_emergency(actor, person)


def _with_the_person_now(actor: Actor, obj: Any) -> bool:
    """A relief handoff is signed by the staff member whose stretch it ends: the one with the
    person now. Anyone else (a nurse standing by, another BHT) is told who signs; a shift lead
    who must move the stretch ends it naming a successor instead."""
    if not isinstance(obj, Coverage):
        return True
    return obj.staff_id == actor.staff_id and _not_emergency_only(actor, obj)


ACTIONS = {
    "rounds.view": rule(*CARE_TEAM, R.DIRECTOR, description="see orders, checks and the board"),
    "rounds.record_check": rule(
        R.BHT, R.NURSE, R.CLINICIAN, check=_not_emergency_only, scope="write"
    ),
    "rounds.order": rule(R.NURSE, R.CLINICIAN, check=_not_emergency_only, scope="write"),
    "rounds.manage_levels": rule(R.ADMIN, scope="write"),
    # Levels are reference data (no person served in them): whoever orders, rounds or keeps them.
    "rounds.view_levels": rule(*CARE_TEAM, R.DIRECTOR, R.ADMIN, description="observation levels"),
    # Monitoring exceptions (off unit, refused, in session, on pass) pause and resume the clock.
    "rounds.pause": rule(R.BHT, R.NURSE, R.CLINICIAN, check=_not_emergency_only, scope="write"),
    # The shift lead (a nurse, or a supervisor standing in) assigns the shift in bulk.
    "rounds.assign": rule(R.NURSE, R.SUPERVISOR, scope="write"),
    # Starting 1:1/2:1 coverage and ending a stretch (naming a successor or a new level).
    "rounds.cover": rule(R.BHT, R.NURSE, check=_not_emergency_only, scope="write"),
    # Signing a relief handoff as the outgoing staff member: only whoever is with the person.
    "rounds.relieve": rule(
        R.BHT,
        R.NURSE,
        check=_with_the_person_now,
        scope="write",
        description="sign a relief handoff as the staff member with the person",
    ),
    # Escalation chains are per-unit data, kept by the administrator.
    "rounds.manage_escalation": rule(R.ADMIN, scope="write"),
    # Environment of care: the floor inspects; leaders and the shift lead run the work orders.
    "rounds.inspect": rule(R.BHT, R.NURSE, R.SUPERVISOR, scope="write"),
    "rounds.view_inspections": rule(R.BHT, R.NURSE, R.SUPERVISOR, R.DIRECTOR, R.ADMIN),
    "rounds.manage_work_orders": rule(R.NURSE, R.SUPERVISOR, R.DIRECTOR, R.ADMIN, scope="write"),
    "rounds.manage_inspection_templates": rule(R.ADMIN, scope="write"),
    # The integrity report is for leaders; nothing in it is ever hidden from them.
    "rounds.view_integrity": rule(R.NURSE, R.SUPERVISOR, R.DIRECTOR),
    # Shift handoff: compiled, noted and signed by the outgoing and incoming staff.
    "rounds.handoff": rule(R.BHT, R.NURSE, scope="write"),
    "rounds.view_handoffs": rule(R.BHT, R.NURSE, R.CLINICIAN, R.SUPERVISOR, R.DIRECTOR),
    # Checks a tablet could not send are resolved by the lead: a nurse (who may record them) or a
    # supervisor (who may close them with a note).
    "rounds.resolve_set_aside": rule(R.NURSE, R.SUPERVISOR, scope="write"),
}


def _restrict_orders(actor: Actor, qs: QuerySet[ObservationOrder]) -> QuerySet[ObservationOrder]:
    return qs if actor.is_org_wide else qs.filter(person_scope_q(actor, "person"))


def _restrict_checks(actor: Actor, qs: QuerySet[Check]) -> QuerySet[Check]:
    return qs.filter(order__person__in=restrict_persons(actor, PersonServed.objects.all()))


def _unit_scoped(path: str) -> Any:
    """Records that belong to a unit (inspections, work orders, handoffs, shift assignments):
    visible to whoever sees the unit itself (people.policies: its staff, organization-wide roles
    and administrators)."""

    def restrict(actor: Actor, qs: QuerySet[Any]) -> QuerySet[Any]:
        return qs.filter(**{f"{path}__in": restrict_units(actor, Unit.objects.all())})

    return restrict


def _unit_id_of(obj: Any) -> int:
    if isinstance(obj, InspectionPhoto):
        return obj.result.inspection.unit_id
    if isinstance(obj, InspectionResult):
        return obj.inspection.unit_id
    return int(obj.unit_id)


def _unit_record_visible(actor: Actor, obj: Any) -> bool:
    return unit_visible(actor, Unit(pk=_unit_id_of(obj)))


def _restrict_by_order[M: (Coverage, MonitoringException)](
    actor: Actor, qs: QuerySet[M]
) -> QuerySet[M]:
    return qs.filter(order__person__in=restrict_persons(actor, PersonServed.objects.all()))


def _restrict_addenda(actor: Actor, qs: QuerySet[CheckAddendum]) -> QuerySet[CheckAddendum]:
    return qs.filter(
        check_record__order__person__in=restrict_persons(actor, PersonServed.objects.all())
    )


def _step_visible(actor: Actor, step: EscalationStep) -> bool:
    return step.unit is None or unit_visible(actor, step.unit)


def _restrict_steps(actor: Actor, qs: QuerySet[EscalationStep]) -> QuerySet[EscalationStep]:
    units = restrict_units(actor, Unit.objects.all())
    return qs.filter(Q(unit__isnull=True) | Q(unit__in=units))


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
    # Templates are reference data: anyone signed in may know one exists; the actions decide.
    policy.register_scope(InspectionTemplate, visible=lambda a, t: True, restrict=lambda a, q: q)
    for model, path in (
        (Inspection, "unit_id"),
        (InspectionResult, "inspection__unit_id"),
        (InspectionPhoto, "result__inspection__unit_id"),
        (WorkOrder, "unit_id"),
        (Handoff, "unit_id"),
        (ShiftAssignment, "unit_id"),
        (SetAsideCheck, "unit_id"),
    ):
        policy.register_scope(model, visible=_unit_record_visible, restrict=_unit_scoped(path))
    # Coverage and monitoring exceptions are visible exactly when their order's person is.
    policy.register_scope(
        Coverage,
        visible=lambda a, c: person_visible(a, c.order.person),
        restrict=_restrict_by_order,
    )
    policy.register_scope(
        MonitoringException,
        visible=lambda a, e: person_visible(a, e.order.person),
        restrict=_restrict_by_order,
    )
    policy.register_scope(
        CheckAddendum,
        visible=lambda a, x: person_visible(a, x.check_record.order.person),
        restrict=_restrict_addenda,
    )
    # Levels name no person served: every signed-in staff member may know they exist; the
    # actions (view_levels, manage_levels) decide who reads and who changes them.
    policy.register_scope(ObservationLevel, visible=lambda a, lv: True, restrict=lambda a, qs: qs)
    policy.register_scope(EscalationStep, visible=_step_visible, restrict=_restrict_steps)
