"""Environment of care in the JSON API: a unit's inspections (read and record one whole), one
inspection with its results, a unit's work orders, and a work order's status.

Photos are attached on the pages only. Errors on a recorded inspection name the item by its
position on the template: ``result_3``, ``note_3``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from pillars.core.api_errors import READ_ERRORS
from pillars.core.api_routes import write_route
from pillars.core.api_types import Moment, Text
from pillars.core.declare import audited
from pillars.core.entry import Out, optional_named_in
from pillars.core.errors import invalid
from pillars.people import selectors as people_selectors
from pillars.people.models import Room, Staff
from pillars.people.records_api import unit_records
from pillars.rounds.choices import ItemResult, WorkOrderStatus
from pillars.rounds.models import Inspection, InspectionResult
from pillars.rounds.selectors import inspections as selectors
from pillars.rounds.services import inspections as services

router = Router(tags=["rounds"])


class ResultOut(Out):
    item: UUID
    position: int
    text: str
    category: str
    result: str
    note: str
    photos: int

    paths = {"position": "item.position", "text": "item.text", "category": "item.category"}

    @staticmethod
    def resolve_photos(r: InspectionResult) -> int:
        return len(r.photos.all())


class InspectionOut(Out):
    """An inspection; ``of(inspection, with_results=True)`` adds its results."""

    public_id: UUID
    unit: UUID
    room: str | None
    area: str
    place: str
    template: str
    template_name: str
    template_version: int
    performed_by: str
    started_at: datetime
    completed_at: datetime
    failed: int
    results: list[ResultOut] | None = None

    paths = {
        "room": "room.name",
        "template": "template.code",
        "template_name": "template.name",
        "template_version": "template.version",
        "performed_by": "performed_by.display_name",
    }

    @staticmethod
    def resolve_failed(inspection: Inspection) -> int:
        failed = getattr(inspection, "failed_count", None)
        if failed is None:
            failed = inspection.results.filter(result=ItemResult.FAIL).count()
        return int(failed)

    @staticmethod
    def resolve_results(
        inspection: Inspection, context: dict[str, Any]
    ) -> list[InspectionResult] | None:
        if not context.get("with_results"):
            return None
        return list(inspection.results.select_related("item").prefetch_related("photos"))


class ResultIn(Schema):
    item: UUID = Field(description="The template item's public id.")
    result: ItemResult
    note: Text = Field("", max_length=1000, description="Required when the result is fail.")


class InspectionIn(Schema):
    template: UUID = Field(description="A current template's public id.")
    room: UUID | None = Field(None, description="A room on the unit (required for bedrooms).")
    area: Text = Field("", max_length=120, description="Where, when not a room.")
    started_at: Moment | None = None
    owner: UUID | None = Field(
        None, description="Who owns the work orders failed items open (default: the shift lead)."
    )
    results: list[ResultIn] = Field(..., max_length=100)


class WorkOrderOut(Out):
    public_id: UUID
    unit: UUID
    place: str
    title: str
    is_ligature: bool
    status: str
    owner: str
    opened_at: datetime
    closed_at: datetime | None

    paths = {"owner": "owner.display_name"}


class StatusIn(Schema):
    status: WorkOrderStatus
    note: Text = Field(..., max_length=1000)


class WorkOrderFilter(Schema):
    status: WorkOrderStatus | None = None


def _inspections_page(qs: QuerySet[Inspection]) -> list[Inspection]:
    return list(
        qs.select_related("unit", "room", "template", "performed_by").annotate(
            failed_count=Count("results", filter=Q(results__result=ItemResult.FAIL))
        )[:100]
    )


unit_records(
    router,
    "/units/{public_id}/inspections",
    InspectionOut,
    lambda user, unit: _inspections_page(selectors.inspections_on(user, unit)),
    name="unit_inspections",
    action="rounds.view_inspections",
    summary="A unit's latest inspections (newest first, at most 100)",
    audit="a unit's environment-of-care inspections (rooms, no person-served data)",
)


@write_route(
    router.post,
    "/units/{public_id}/inspections",
    201,
    InspectionOut,
    summary="Record a whole inspection: every item answered, or nothing is stored",
    audit="records an inspection and the work orders its failed items open (services audit)",
)
def record_inspection(
    request: HttpRequest, public_id: UUID, payload: InspectionIn
) -> Status[InspectionOut]:
    unit = people_selectors.get_unit_for(request.user, public_id, "rounds.inspect")
    template = selectors.find_current_template(payload.template)
    if template is None:
        raise invalid("template", "Choose a current inspection template.")
    rooms = Room.objects.filter(unit=unit)
    room = optional_named_in(rooms, "room", payload.room, "Choose a room on this unit.")
    owner = optional_named_in(
        Staff, "owner", payload.owner, "Choose a staff member who works on this unit."
    )
    answers = {str(r.item): services.Answer(result=r.result, note=r.note) for r in payload.results}
    inspection = services.record_inspection(
        actor=request.user,
        unit=unit,
        template=template,
        answers=answers,
        room=room,
        area=payload.area,
        started_at=payload.started_at,
        owner=owner,
    )
    return Status(201, InspectionOut.of(inspection, with_results=True))


@router.get(
    "/inspections/{public_id}",
    response={200: InspectionOut, **READ_ERRORS},
    summary="One inspection with its results",
)
@audited("one inspection and its results (rooms, no person-served data)")
def get_inspection(request: HttpRequest, public_id: UUID) -> Status[InspectionOut]:
    inspection = selectors.get_inspection_for(request.user, public_id)
    return Status(200, InspectionOut.of(inspection, with_results=True))


@router.get(
    "/units/{public_id}/work-orders",
    response={200: list[WorkOrderOut], **READ_ERRORS},
    summary="A unit's work orders, open ones first (at most 200)",
)
@audited("a unit's work orders (rooms, no person-served data)")
def unit_work_orders(
    request: HttpRequest, public_id: UUID, filters: Query[WorkOrderFilter]
) -> Status[list[WorkOrderOut]]:
    unit = people_selectors.get_unit_for(request.user, public_id, "rounds.view_inspections")
    rows = selectors.work_orders_on(request.user, unit, filters.status or "")
    return Status(200, [WorkOrderOut.of(wo) for wo in rows.select_related("unit")[:200]])


@write_route(
    router.post,
    "/work-orders/{public_id}/status",
    200,
    WorkOrderOut,
    summary="Change a work order's status, with a note",
    audit="changes a work order's status (update_work_order audits it)",
)
def work_order_status(
    request: HttpRequest, public_id: UUID, payload: StatusIn
) -> Status[WorkOrderOut]:
    wo = selectors.get_work_order_for(request.user, public_id, "rounds.manage_work_orders")
    services.update_work_order(wo, actor=request.user, status=payload.status, note=payload.note)
    return Status(200, WorkOrderOut.of(wo))
