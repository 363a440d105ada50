"""Reads of inspections, photos, work orders and templates, scoped to the user's units.

Inspections and work orders describe rooms, not persons, so reading them is not a read of a
person's record; the photo view audits each photo it serves, and the one read here that names
persons (who is at risk from a ligature finding) is audited as a list read.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.http import Http404

from pillars.core import policy
from pillars.core.entry import get_for, public_id_of
from pillars.people.models import Room, Staff, Unit
from pillars.people.selectors import record_list_read, units_visible_to
from pillars.rounds.choices import WorkOrderStatus
from pillars.rounds.models import (
    Inspection,
    InspectionPhoto,
    InspectionTemplate,
    WorkOrder,
)
from pillars.rounds.services.inspections import LigatureRisk, ligature_risks, risk_message


def units_for(user: Any, action: str) -> list[Unit]:
    """The units on which the user may take an action on the environment of care: their own
    units (organization-wide roles and administrators: every active unit)."""
    if not policy.can(user, action):
        return []
    return list(units_visible_to(user).filter(is_active=True).order_by("name"))


def inspections_on(user: Any, unit: Unit) -> QuerySet[Inspection]:
    return (
        policy.restrict(Inspection.objects.all(), user, "rounds.view_inspections")
        .filter(unit=unit)
        .select_related("room", "template", "performed_by")
        .order_by("-completed_at", "-pk")
    )


def get_inspection_for(
    user: Any, public_id: Any, action: str = "rounds.view_inspections"
) -> Inspection:
    return get_for(
        Inspection.objects.select_related("unit", "room", "template", "performed_by"),
        user,
        public_id,
        action,
    )


def get_photo_for(user: Any, public_id: Any) -> InspectionPhoto:
    return get_for(
        InspectionPhoto.objects.select_related("result__inspection__unit", "result__item"),
        user,
        public_id,
        "rounds.view_inspections",
    )


def work_orders_on(user: Any, unit: Unit, status: str = "") -> QuerySet[WorkOrder]:
    """A unit's work orders, open ones first (ligature findings first among them), newest first
    within each group."""
    qs = policy.restrict(WorkOrder.objects.all(), user, "rounds.view_inspections").filter(unit=unit)
    if status:
        qs = qs.filter(status=status)
    rank = Case(
        When(status=WorkOrderStatus.OPEN, then=Value(0)),
        When(status=WorkOrderStatus.IN_PROGRESS, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    return (
        qs.select_related("room", "owner", "result__item")
        .annotate(rank=rank)
        .order_by("rank", "-is_ligature", "-opened_at", "-pk")
    )


def get_work_order_for(
    user: Any, public_id: Any, action: str = "rounds.view_inspections"
) -> WorkOrder:
    return get_for(
        WorkOrder.objects.select_related(
            "unit", "room", "owner", "opened_by", "closed_by", "result__item", "result__inspection"
        ),
        user,
        public_id,
        action,
    )


def current_templates(include_retired: bool = False) -> QuerySet[InspectionTemplate]:
    qs = InspectionTemplate.objects.filter(is_current=True)
    if not include_retired:
        qs = qs.filter(is_active=True)
    return qs.order_by("name")


def templates_for(user: Any) -> QuerySet[InspectionTemplate]:
    policy.require(user, "rounds.manage_inspection_templates")
    return current_templates(include_retired=True).prefetch_related("items")


def get_template_for(
    user: Any, public_id: Any, action: str = "rounds.manage_inspection_templates"
) -> InspectionTemplate:
    return get_for(InspectionTemplate.objects.all(), user, public_id, action)


def find_current_template(public_id: Any) -> InspectionTemplate | None:
    """A template offered for a new inspection, by public id (None when unknown or replaced)."""
    try:
        key = public_id_of(public_id)
    except Http404:
        return None
    return current_templates().filter(public_id=key).first()


def rooms_of(unit: Unit) -> QuerySet[Room]:
    return Room.objects.filter(unit=unit).order_by("name")


def owners_for(unit: Unit) -> QuerySet[Staff]:
    """Staff who may be given a work order on the unit (its own staff)."""
    return Staff.objects.filter(home_units=unit, exited_on__isnull=True).order_by("display_name")


def persons_at_risk(user: Any, work_order: WorkOrder, now: datetime) -> list[LigatureRisk]:
    """Who is in danger from this work order now, for a user who may see the board; the read
    names persons, so it is audited."""
    if not work_order.is_ligature or not work_order.is_open or work_order.room_id is None:
        return []
    if not policy.can(user, "rounds.view"):
        return []
    risks = [r for r in ligature_risks(work_order.unit, now) if r.work_order.pk == work_order.pk]
    visible = [r for r in risks if policy.is_visible(user, r.person)]
    record_list_read(
        user,
        [r.person for r in visible],
        what=f"ligature risk {work_order.public_id}",  # object_id holds 64 characters
    )
    return visible


def ligature_alerts_on(unit: Unit, now: datetime) -> dict[int, str]:
    """For the board: person key -> what to say, for every person placed on the unit now who is
    on suicide or self-harm precautions in a room with an open ligature finding. Live (not
    waiting for the sweep); the board's own scoped, audited read decides who is shown."""
    found: dict[int, str] = {}
    for risk in ligature_risks(unit, now):
        found.setdefault(risk.person.pk, risk_message(risk))
    return found
