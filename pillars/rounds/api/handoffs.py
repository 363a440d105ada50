"""Shift handoffs in the JSON API: a unit's list, compiling one, reading one, signing it.

Signing: ``side`` "outgoing" (the signer is the token's user) or "incoming" (the same, with the
incoming staff member's own badge PIN). Nobody signs both sides.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from pillars.core.api_routes import record_read, write_route
from pillars.core.api_types import Moment, Text
from pillars.core.entry import Out
from pillars.people import selectors as people_selectors
from pillars.people.records_api import unit_records
from pillars.rounds.models import Handoff, HandoffNote
from pillars.rounds.selectors import handoffs as selectors
from pillars.rounds.services import handoffs as services

router = Router(tags=["rounds"])


class HandoffSummary(Out):
    public_id: UUID
    unit: UUID
    starts_at: datetime
    ends_at: datetime
    compiled_at: datetime
    outgoing_staff: UUID | None
    outgoing_signed_at: datetime | None
    incoming_staff: UUID | None
    incoming_signed_at: datetime | None


class NoteOut(Out):
    public_id: UUID
    person: UUID | None
    text: str
    written_by: UUID
    written_at: datetime
    is_addendum: bool
    reason: str


class HandoffOut(HandoffSummary):
    snapshot: dict[str, Any] = Field(
        description="Compiled from the shift's data; frozen from the outgoing signature on."
    )
    notes: list[NoteOut]

    @staticmethod
    def resolve_notes(h: Handoff) -> list[HandoffNote]:
        return list(h.notes.select_related("person", "written_by").order_by("written_at", "pk"))


class HandoffIn(Schema):
    starts_at: Moment
    ends_at: Moment


class HandoffSignIn(Schema):
    side: Literal["outgoing", "incoming"]
    pin: Text = Field("", max_length=8, description="The incoming staff member's badge PIN.")


unit_records(
    router,
    "/units/{public_id}/handoffs",
    HandoffSummary,
    selectors.handoffs_on,
    name="unit_handoffs",
    action="rounds.view_handoffs",
    summary="A unit's shift handoffs, newest first",
    audit="lists a unit's handoffs: dates and signers, no persons served",
)


@write_route(
    router.post,
    "/units/{public_id}/handoffs",
    201,
    HandoffOut,
    summary="Compile a shift handoff from the shift's own data",
    audit="compiles a handoff (compile_handoff audits it)",
)
def compile_handoff(
    request: HttpRequest, public_id: UUID, payload: HandoffIn
) -> Status[HandoffOut]:
    unit = people_selectors.get_unit_for(request.user, public_id, "rounds.handoff")
    handoff = services.compile_handoff(
        unit, actor=request.user, start=payload.starts_at, end=payload.ends_at
    )
    return Status(201, HandoffOut.of(handoff))


record_read(
    router,
    "/handoffs/{public_id}",
    HandoffOut,
    selectors.get_handoff_for,
    name="get_handoff",
    summary="One shift handoff with its compiled content and notes",
    audit="one handoff with persons served (get_handoff_for audits it)",
)


@write_route(
    router.post,
    "/handoffs/{public_id}/sign",
    200,
    HandoffOut,
    summary="Sign a handoff as the outgoing or (with PIN) the incoming staff member",
    audit="signs a handoff (sign_outgoing / sign_incoming audit it)",
)
def sign_handoff(
    request: HttpRequest, public_id: UUID, payload: HandoffSignIn
) -> Status[HandoffOut]:
    handoff = selectors.get_handoff_for(request.user, public_id, "rounds.handoff")
    if payload.side == "outgoing":
        handoff = services.sign_outgoing(handoff, actor=request.user)
    else:
        handoff = services.sign_incoming(handoff, actor=request.user, pin=payload.pin)
    return Status(200, HandoffOut.of(handoff))
