"""The floor in the JSON API: shift assignments (bulk), reassignment, monitoring exceptions,
and 1:1/2:1 coverage with relief handoffs. Handlers are thin: a selector, one service."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from pillars.core import clock
from pillars.core.api_errors import READ_ERRORS
from pillars.core.api_routes import write_route
from pillars.core.api_types import Moment, Text
from pillars.core.declare import audited
from pillars.core.entry import Out
from pillars.core.errors import invalid
from pillars.people import hooks
from pillars.people import selectors as people_selectors
from pillars.people.models import PersonServed, Room, Staff, Unit
from pillars.people.records_api import unit_records
from pillars.rounds import selectors
from pillars.rounds.choices import ExceptionKind
from pillars.rounds.models import Coverage
from pillars.rounds.selectors import assignments as assignment_selectors
from pillars.rounds.selectors import coverage as coverage_selectors
from pillars.rounds.services import assignments as assignment_services
from pillars.rounds.services import coverage as coverage_services
from pillars.rounds.services import exceptions as exception_services

router = Router(tags=["rounds"])


class AssignmentOut(Out):
    public_id: UUID
    staff: UUID
    staff_name: str
    kind: str
    person: UUID | None
    room: str | None
    starts_at: datetime
    ends_at: datetime
    ended_at: datetime | None

    paths = {"staff_name": "staff.display_name", "room": "room.name"}


class ShiftOut(Schema):
    assignments: list[AssignmentOut]


class StaffPart(Schema):
    staff: UUID
    persons: list[UUID] = Field(default_factory=list, max_length=200)
    rooms: list[UUID] = Field(default_factory=list, max_length=200)


class ShiftIn(Schema):
    starts_at: Moment
    ends_at: Moment
    lead: UUID | None = None
    parts: list[StaffPart] = Field(default_factory=list, max_length=100)


class ReassignIn(Schema):
    to_staff: UUID
    at: Moment | None = None


class ExceptionIn(Schema):
    kind: ExceptionKind
    reason: Text = Field(..., max_length=300)
    with_whom: Text = Field("", max_length=150)
    where: Text = Field("", max_length=150)
    started_at: Moment | None = None


class ExceptionEndIn(Schema):
    note: Text = Field("", max_length=300)


class ExceptionOut(Out):
    public_id: UUID
    order: UUID
    kind: str
    reason: str
    with_whom: str
    where: str
    started_at: datetime
    ended_at: datetime | None


class CoverageIn(Schema):
    staff: UUID


class RelieveIn(Schema):
    incoming_staff: UUID
    incoming_pin: Text = Field(..., max_length=20)


class CoverageOut(Out):
    public_id: UUID
    order: UUID
    person: UUID
    person_name: str
    staff: UUID
    staff_name: str
    started_at: datetime
    ended_at: datetime | None
    handed_from: UUID | None
    floor_warnings: list[str] = Field(
        default_factory=list,
        description="On a write: the floor gate's warnings it let through (a lapsed credential "
        "or training under a rule that warns); a rule that blocks answers 422 with the reason.",
    )

    paths = {
        "person": "order.person",
        "person_name": "order.person.display_name",
        "staff_name": "staff.display_name",
    }

    @staticmethod
    def resolve_floor_warnings(row: Coverage, context: dict[str, Any]) -> list[str]:
        if not (context or {}).get("warned"):
            return []
        return hooks.floor_warnings(row.staff, hooks.FloorTask.ONE_TO_ONE)


class LapseOut(Out):
    order: UUID
    person: UUID
    person_name: str
    staff_with_them: int
    staff_needed: int
    since: datetime

    paths = {
        "person": "order.person",
        "person_name": "order.person.display_name",
        "staff_with_them": "open_count",
        "staff_needed": "ratio",
    }


class FreeStaffOut(Out):
    public_id: UUID
    display_name: str


class UnitCoverageOut(Schema):
    coverage: list[CoverageOut]
    lapses: list[LapseOut]
    free_for_rounds: list[FreeStaffOut]


def _staff_by_id(request: HttpRequest, ids: list[UUID], field: str) -> dict[UUID, Staff]:
    """Staff named in a body, among those the user may see (others are "no such")."""
    visible = people_selectors.staff_visible_to(request.user)
    found = {s.public_id: s for s in visible.filter(public_id__in=ids)}
    if missing := [i for i in ids if i not in found]:
        raise invalid(field, f"No such staff member: {missing[0]}.")
    return found


def _one_staff(request: HttpRequest, public_id: UUID, field: str) -> Staff:
    """The one staff member a body's ``field`` names, as ``_staff_by_id`` finds them."""
    return _staff_by_id(request, [public_id], field)[public_id]


unit_records(
    router,
    "/units/{public_id}/assignments",
    AssignmentOut,
    lambda user, unit: assignment_selectors.shift_on(user, unit, clock.now()),
    name="unit_assignments",
    action="rounds.view",
    summary="The shift assignments in force on a unit now",
    audit="the shift on one unit, naming persons served (one audited list read)",
)


def _parts(
    request: HttpRequest, unit: Unit, payload: ShiftIn
) -> dict[Staff, list[PersonServed | Room]]:
    staff = _staff_by_id(request, [p.staff for p in payload.parts], "parts")
    person_ids = [i for p in payload.parts for i in p.persons]
    room_ids = [i for p in payload.parts for i in p.rooms]
    # Only persons on this unit now: a name from elsewhere never comes back in an error.
    on_unit = PersonServed.objects.filter(
        public_id__in=person_ids,
        episodes__placements__unit=unit,
        episodes__placements__ended_at__isnull=True,
    ).distinct()
    persons = {p.public_id: p for p in on_unit}
    rooms = {r.public_id: r for r in Room.objects.filter(public_id__in=room_ids, unit=unit)}
    if any(i not in persons for i in person_ids):
        raise invalid("parts", "A person served is not on this unit.")
    if any(i not in rooms for i in room_ids):
        raise invalid("parts", "A room is not on this unit.")
    plan: dict[Staff, list[PersonServed | Room]] = {}
    for part in payload.parts:
        items = plan.setdefault(staff[part.staff], [])
        items.extend(persons[i] for i in part.persons)
        items.extend(rooms[i] for i in part.rooms)
    return plan


@write_route(
    router.post,
    "/units/{public_id}/assignments",
    201,
    ShiftOut,
    summary="Assign a shift in bulk (the lead, and persons or rooms per staff member)",
    audit="assigns a shift (assign_shift audits it)",
)
def assign(request: HttpRequest, public_id: UUID, payload: ShiftIn) -> Status[ShiftOut]:
    unit = people_selectors.get_unit_for(request.user, public_id, "rounds.assign")
    lead = _one_staff(request, payload.lead, "lead") if payload.lead else None
    made = assignment_services.assign_shift(
        unit,
        actor=request.user,
        starts_at=payload.starts_at,
        ends_at=payload.ends_at,
        lead=lead,
        by_staff=_parts(request, unit, payload),
    )
    return Status(201, ShiftOut(assignments=[AssignmentOut.of(row) for row in made]))


@write_route(
    router.post,
    "/assignments/{public_id}/reassign",
    201,
    AssignmentOut,
    summary="Hand one part of the shift to another staff member from now (or a later time)",
    audit="reassigns part of a shift (reassign audits it)",
)
def reassign(request: HttpRequest, public_id: UUID, payload: ReassignIn) -> Status[AssignmentOut]:
    row = assignment_selectors.get_assignment_for(request.user, public_id, "rounds.assign")
    to_staff = _one_staff(request, payload.to_staff, "to_staff")
    new = assignment_services.reassign(row, actor=request.user, to_staff=to_staff, at=payload.at)
    return Status(201, AssignmentOut.of(new))


@write_route(
    router.post,
    "/orders/{public_id}/exceptions",
    201,
    ExceptionOut,
    summary="Start a monitoring exception: the order's clock pauses",
    audit="starts a monitoring exception (start_exception audits it)",
)
def start_exception(
    request: HttpRequest, public_id: UUID, payload: ExceptionIn
) -> Status[ExceptionOut]:
    order = selectors.get_order_for(request.user, public_id, "rounds.pause")
    row = exception_services.start_exception(
        order,
        actor=request.user,
        **payload.model_dump(),
    )
    return Status(201, ExceptionOut.of(row))


@write_route(
    router.post,
    "/exceptions/{public_id}/end",
    200,
    ExceptionOut,
    summary="End a monitoring exception: the clock resumes with a check due at once",
    audit="ends a monitoring exception (end_exception audits it)",
)
def end_exception(
    request: HttpRequest, public_id: UUID, payload: ExceptionEndIn
) -> Status[ExceptionOut]:
    row = coverage_selectors.get_exception_for(request.user, public_id, "rounds.pause")
    ended = exception_services.end_exception(row, actor=request.user, note=payload.note)
    return Status(200, ExceptionOut.of(ended))


@router.get(
    "/units/{public_id}/coverage",
    response={200: UnitCoverageOut, **READ_ERRORS},
    summary="Who is on which 1:1 or 2:1 now, the lapses, and who is free for rounds",
)
@audited("1:1 coverage on one unit, naming persons served (one audited list read)")
def unit_coverage(request: HttpRequest, public_id: UUID) -> Status[UnitCoverageOut]:
    unit = people_selectors.get_unit_for(request.user, public_id, "rounds.view")
    found = coverage_selectors.coverage_on(request.user, unit, clock.now())
    return Status(
        200,
        UnitCoverageOut(
            coverage=[CoverageOut.of(row) for row in found.rows],
            lapses=[LapseOut.of(lapse) for lapse in found.lapses],
            free_for_rounds=[FreeStaffOut.of(s) for s in found.free],
        ),
    )


@write_route(
    router.post,
    "/orders/{public_id}/coverage",
    201,
    CoverageOut,
    summary="Put a staff member with a person on 1:1 or 2:1 observation",
    audit="starts 1:1 coverage (start_coverage audits it)",
)
def start_coverage(
    request: HttpRequest, public_id: UUID, payload: CoverageIn
) -> Status[CoverageOut]:
    order = selectors.get_order_for(request.user, public_id, "rounds.cover")
    staff = _one_staff(request, payload.staff, "staff")
    row = coverage_services.start_coverage(order, actor=request.user, staff=staff)
    return Status(201, CoverageOut.of(row, warned=True))


@write_route(
    router.post,
    "/coverage/{public_id}/relieve",
    201,
    CoverageOut,
    summary="Relief handoff: the signed-in coverer hands over; the incoming confirms by PIN",
    audit="a relief handoff (relieve audits it)",
)
def relieve(request: HttpRequest, public_id: UUID, payload: RelieveIn) -> Status[CoverageOut]:
    row = coverage_selectors.get_coverage_for(request.user, public_id, "rounds.cover")
    incoming = _one_staff(request, payload.incoming_staff, "incoming_staff")
    new = coverage_services.relieve(
        row, actor=request.user, incoming_staff=incoming, incoming_pin=payload.incoming_pin
    )
    return Status(201, CoverageOut.of(new, warned=True))
