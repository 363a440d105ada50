"""Rounds in the JSON API: a unit's open orders with their clocks, and recording a check.

A check carries the device's own ``client_id`` (or an ``Idempotency-Key`` header): a replay
returns the first answer and the same id with other details is refused with 409.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from pillars.core import clock
from pillars.core.api_errors import error_responses
from pillars.core.api_types import Moment, Text
from pillars.core.declare import audited
from pillars.core.idempotency import idempotent
from pillars.people import selectors as people_selectors
from pillars.rounds import selectors, services
from pillars.rounds.choices import Activity, Location, SafetyStatus
from pillars.rounds.models import Check, ObservationOrder

router = Router(tags=["rounds"])

READ_ERRORS = error_responses(401, 403, 404)
WRITE_ERRORS = error_responses(401, 403, 404, 409, 422)


class OrderOut(Schema):
    public_id: UUID
    person: UUID
    person_name: str
    level: str
    level_name: str
    precautions: list[str]
    instructions: str
    started_at: datetime
    last_observed_at: datetime | None
    next_due_at: datetime
    status: str

    @classmethod
    def of(cls, order: ObservationOrder, now: datetime) -> OrderOut:
        return cls(
            public_id=order.public_id,
            person=order.person.public_id,
            person_name=order.person.display_name,
            level=order.level.code,
            level_name=order.level.name,
            precautions=list(order.precautions),
            instructions=order.instructions,
            started_at=order.started_at,
            last_observed_at=order.last_observed_at,
            next_due_at=order.next_due_at(),
            status=order.status_at(now),
        )


class CheckIn(Schema):
    client_id: UUID = Field(description="Made by the device; a replay returns the first check.")
    observed_at: Moment
    location: Location
    activity: Activity
    safety_status: SafetyStatus
    note: Text = Field("", max_length=500)
    late_reason: Text = Field("", max_length=300)


class CheckOut(Schema):
    public_id: UUID
    client_id: UUID
    order: UUID
    observed_at: datetime
    recorded_at: datetime
    location: str
    activity: str
    safety_status: str
    is_late_entry: bool

    @classmethod
    def of(cls, check: Check) -> CheckOut:
        return cls(
            public_id=check.public_id,
            client_id=check.client_id,
            order=check.order.public_id,
            observed_at=check.observed_at,
            recorded_at=check.recorded_at,
            location=check.location,
            activity=check.activity,
            safety_status=check.safety_status,
            is_late_entry=check.is_late_entry,
        )


@router.get(
    "/units/{public_id}/orders",
    response={200: list[OrderOut], **READ_ERRORS},
    summary="A unit's open observation orders, most urgent first",
)
@audited("persons on observation on one unit (one audited list read)")
def unit_orders(request: HttpRequest, public_id: UUID) -> Status[list[OrderOut]]:
    unit = people_selectors.get_unit_for(request.user, public_id, "rounds.view")
    now = clock.now()
    orders = selectors.open_orders_on(request.user, unit)
    return Status(200, [OrderOut.of(order, now) for order in orders])


@router.post(
    "/orders/{public_id}/checks",
    response={201: CheckOut, **WRITE_ERRORS},
    summary="Record one observation check",
)
@audited("records a check (record_check audits it)")
@idempotent
def record_check(request: HttpRequest, public_id: UUID, payload: CheckIn) -> Status[CheckOut]:
    order = selectors.get_order_for(request.user, public_id, "rounds.record_check")
    check = services.record_check(
        order,
        actor=request.user,
        observed_at=payload.observed_at,
        location=payload.location,
        activity=payload.activity,
        safety_status=payload.safety_status,
        client_id=payload.client_id,
        note=payload.note,
        late_reason=payload.late_reason,
    )
    return Status(201, CheckOut.of(check))
