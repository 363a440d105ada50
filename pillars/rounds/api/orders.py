"""Rounds in the JSON API: a unit's open orders with their clocks, recording a check, ordering,
changing and ending a person's level, the history of their levels, and corrections to checks.

A check carries the device's own ``client_id`` (or an ``Idempotency-Key`` header): a replay
returns the first answer and the same id with other details is refused with 409.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial
from typing import Annotated
from uuid import UUID

from django.db import transaction
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from pydantic import StringConstraints

from pillars.core import clock
from pillars.core.api_errors import error_responses
from pillars.core.api_lists import PageOut
from pillars.core.api_routes import record_read, record_write, write_route
from pillars.core.api_types import Moment, Text
from pillars.core.declare import audited
from pillars.core.entry import Out
from pillars.core.errors import invalid
from pillars.core.pagination import PageParams, paginate
from pillars.people import selectors as people_selectors
from pillars.people.models import Staff
from pillars.people.records_api import person_records, unit_records
from pillars.rounds import selectors, services
from pillars.rounds.choices import Activity, Location, Precaution, Proof, SafetyStatus
from pillars.rounds.models import Check, CheckAddendum, ObservationOrder
from pillars.rounds.selectors import sync as check_selectors
from pillars.rounds.selectors.levels import current_level_by_code

router = Router(tags=["rounds"])

RECENT = timedelta(hours=24)


class _OrderOut(Out):
    """What both order schemas read off an order beyond its own columns."""

    paths = {"level": "level.code", "level_name": "level.name"}
    at_now = {"status": "status_at"}


class OrderOut(_OrderOut):
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

    paths = _OrderOut.paths | {"person_name": "person.display_name"}


class CheckIn(Schema):
    client_id: UUID = Field(description="Made by the device; a replay returns the first check.")
    observed_at: Moment
    location: Location
    activity: Activity
    safety_status: SafetyStatus
    note: Text = Field("", max_length=500)
    late_reason: Text = Field("", max_length=300)
    proof: Proof = Proof.TAP
    no_code_reason: Text = Field(
        "", max_length=300, description="Why no room code was scanned where the level wants one."
    )
    presence_code: Text = Field("", max_length=40, description="The room or bed code scanned.")


class CheckOut(Out):
    public_id: UUID
    client_id: UUID
    order: UUID
    observed_at: datetime
    recorded_at: datetime
    location: str
    activity: str
    safety_status: str
    note: str
    is_late_entry: bool
    late_reason: str
    proof: str
    no_code_reason: str


class CheckPage(PageOut):
    items: list[CheckOut]
    next_cursor: str | None


class CheckFilter(Schema):
    since: Moment | None = Field(None, description="Checks observed from this moment (24 h ago).")


unit_records(
    router,
    "/units/{public_id}/orders",
    OrderOut,
    selectors.open_orders_on,
    name="unit_orders",
    action="rounds.view",
    summary="A unit's open observation orders, most urgent first",
    audit="persons on observation on one unit (one audited list read)",
)


@write_route(
    router.post,
    "/orders/{public_id}/checks",
    201,
    CheckOut,
    summary="Record one observation check",
    audit="records a check (record_check audits it)",
)
def record_check(request: HttpRequest, public_id: UUID, payload: CheckIn) -> Status[CheckOut]:
    # record_check checks the policy first; inside the idempotent write's transaction the
    # order is locked as it is read, and it and the person's placements are read once.
    locking = transaction.get_connection().in_atomic_block
    order, placements = selectors.order_to_record(public_id, user=request.user, lock=locking)
    check = services.record_check(
        order,
        locked=locking,
        placements=placements,
        actor=request.user,
        **payload.model_dump(),
    )
    return Status(201, CheckOut.of(check))


# Text that may run over several lines (instructions, corrections): no control characters other
# than tab and line breaks.
Paragraph = Annotated[str, StringConstraints(pattern=r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$")]


class StaffRef(Out):
    public_id: UUID
    name: str

    @staticmethod
    def resolve_name(staff: Staff) -> str:
        return staff.display_name


class OrderDetailOut(_OrderOut):
    """One order in a person's history: the level version it was made under, who ordered and
    ended it, and how many checks were recorded under it."""

    public_id: UUID
    person: UUID
    level: str
    level_version: int
    level_name: str
    precautions: list[str]
    instructions: str
    reason: str
    ordered_by: StaffRef
    started_at: datetime
    recorded_at: datetime
    ended_at: datetime | None
    ended_by: StaffRef | None
    end_reason: str
    replaces: UUID | None
    status: str
    next_due_at: datetime | None
    checks_count: int

    paths = _OrderOut.paths | {"level_version": "level.version"}

    @staticmethod
    def resolve_next_due_at(order: ObservationOrder) -> datetime | None:
        return order.clock_due_at()

    @staticmethod
    def resolve_checks_count(order: ObservationOrder) -> int:
        count = getattr(order, "checks_count", None)
        return count if count is not None else order.checks.count()


class OrderIn(Schema):
    level: Text = Field(
        max_length=32, description="A level's code (see /levels); its current version is used."
    )
    reason: Text = Field(min_length=1, max_length=1000)
    precautions: list[Precaution] = Field(default_factory=list, max_length=len(Precaution))
    instructions: Paragraph = Field("", max_length=2000)
    started_at: Moment | None = Field(None, description="When the order starts; now if absent.")
    client_id: UUID | None = Field(None, description="Optional replay key made by the client.")


class EndIn(Schema):
    reason: Text = Field(min_length=1, max_length=1000)
    client_id: UUID | None = Field(None, description="Optional replay key made by the client.")


class CheckAddendumIn(Schema):
    reason: Text = Field(min_length=1, max_length=300)
    text: Paragraph = Field(min_length=1, max_length=2000)
    client_id: UUID | None = Field(None, description="Optional replay key made by the client.")


class CheckAddendumOut(Out):
    public_id: UUID
    check: UUID
    written_by: StaffRef
    written_at: datetime
    reason: str
    text: str

    @staticmethod
    def resolve_check(addendum: CheckAddendum) -> Check:
        return addendum.check_record


person_records(
    router,
    "/persons/{public_id}/orders",
    OrderDetailOut,
    selectors.order_history,
    name="person_orders",
    action="rounds.view",
    what="api observation history",
    summary="A person's observation orders, the current one first (the history of levels)",
    audit="reads a person's observation history (audited by get_person_for)",
)


@write_route(
    router.post,
    "/persons/{public_id}/orders",
    201,
    OrderDetailOut,
    summary="Order or change a person's observation level",
    audit="orders a level (audited by get_person_for and order_observation)",
    description="A change ends the current order at the moment the new one starts.",
)
def order_level(request: HttpRequest, public_id: UUID, payload: OrderIn) -> Status[OrderDetailOut]:
    person = people_selectors.get_person_for(
        request.user, public_id, "rounds.order", what="api observation order"
    )
    level = current_level_by_code(payload.level)
    if level is None:
        raise invalid("level", "No current level has this code.")
    order = services.order_observation(
        person,
        actor=request.user,
        level=level,
        reason=payload.reason,
        precautions=[str(p) for p in payload.precautions],
        instructions=payload.instructions,
        started_at=payload.started_at,
    )
    return Status(201, OrderDetailOut.of(order, now=clock.now()))


record_read(
    router,
    "/orders/{public_id}",
    OrderDetailOut,
    partial(selectors.read_order_for, what="api observation order"),
    name="get_order",
    summary="One observation order",
    audit="reads one observation order (audited by read_order_for)",
)


record_write(
    router,
    "/orders/{public_id}/end",
    OrderDetailOut,
    selectors.get_order_for,
    "rounds.order",
    services.end_observation,
    name="end_order",
    summary="End an observation order with no new level",
    audit="ends an order (audited by end_observation)",
    payload=EndIn,
)


@write_route(
    router.post,
    "/checks/{public_id}/addenda",
    201,
    CheckAddendumOut,
    summary="Add a correction to a check (the check itself never changes)",
    audit="corrects a check (audited by get_check_for and add_addendum)",
)
def add_addendum(
    request: HttpRequest, public_id: UUID, payload: CheckAddendumIn
) -> Status[CheckAddendumOut]:
    check = selectors.get_check_for(
        request.user, public_id, "rounds.record_check", what="api check correction"
    )
    addendum = services.add_addendum(
        check, actor=request.user, reason=payload.reason, text=payload.text
    )
    return Status(201, CheckAddendumOut.of(addendum))


# The list shares its path with the write above, so it lives in this router (one URL pattern).
@router.get(
    "/orders/{public_id}/checks",
    response={200: CheckPage, **error_responses(401, 403, 404, 422)},
    summary="A person's recent checks on one order, oldest first (cursor pages)",
)
@audited("a person's checks on one order (one audited read per page)")
def order_checks(
    request: HttpRequest, public_id: UUID, filters: Query[CheckFilter], page: Query[PageParams]
) -> CheckPage:
    order = selectors.get_order_for(request.user, public_id, "rounds.view")
    since = filters.since or clock.now() - RECENT
    result = paginate(
        check_selectors.checks_of(request.user, order, since=since), page, order=("observed_at",)
    )
    check_selectors.record_checks_read(request.user, order, result.items)
    return CheckPage.of(result)
