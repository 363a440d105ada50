"""Workforce in the JSON API: recognition. One's own (received and given), giving one
(replay-safe by ``client_id``), and counts for leaders."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from django.http import Http404, HttpRequest
from ninja import Field, Router, Schema, Status

from pillars.core.api_errors import error_responses
from pillars.core.api_routes import audited_write
from pillars.core.api_types import Text
from pillars.core.declare import audit_exempt
from pillars.core.entry import Out
from pillars.people.models import Staff
from pillars.people.tenancy import in_organization
from pillars.workforce.selectors import recognition as selectors
from pillars.workforce.services import recognition as services

router = Router(tags=["workforce"])


class RecognitionOut(Out):
    public_id: UUID
    given_by: str
    given_to: str
    message: str
    given_at: datetime
    is_from_leader: bool

    paths = {"given_by": "given_by.display_name", "given_to": "given_to.display_name"}


class RecognitionIn(Schema):
    to: UUID = Field(..., description="The colleague's staff public id.")
    message: Text = Field(..., min_length=1, max_length=500)
    client_id: UUID | None = None


class MonthCount(Schema):
    month: str
    from_peers: int
    from_leaders: int


class CountsOut(Schema):
    total: int
    by_month: list[MonthCount]
    by_unit: dict[str, int]


@router.get(
    "/me/recognitions",
    response={200: list[RecognitionOut], **error_responses(401, 403)},
    summary="Recognitions the caller received and gave",
)
@audit_exempt("one's own thank-you notes: no protected information")
def mine(request: HttpRequest) -> Status[list[RecognitionOut]]:
    received = selectors.received_by(request.user).select_related("given_to")
    given = selectors.given_by(request.user).select_related("given_by")
    return Status(200, [RecognitionOut.of(r) for r in [*received, *given]])


@router.post(
    "/workforce/recognitions",
    response={201: RecognitionOut, **error_responses(401, 403, 404, 409, 422)},
    summary="Recognize a colleague",
)
@audited_write("gives a recognition (give_recognition audits)")
def give(request: HttpRequest, payload: RecognitionIn) -> Status[RecognitionOut]:
    to = in_organization(Staff.objects.filter(public_id=payload.to), request.user).first()
    if to is None:
        raise Http404("Not found")
    r = services.give_recognition(
        to, actor=request.user, message=payload.message, client_id=payload.client_id
    )
    return Status(201, RecognitionOut.of(r))


@router.get(
    "/workforce/recognitions/counts",
    response={200: CountsOut, **error_responses(401, 403)},
    summary="How many recognitions, by month and unit (counts only)",
)
@audit_exempt("counts about no one")
def counts(request: HttpRequest) -> Status[CountsOut]:
    c = selectors.recognition_counts(request.user)
    return Status(
        200,
        CountsOut(
            total=c.total,
            by_month=[
                MonthCount(month=m, from_peers=p, from_leaders=lead) for m, p, lead in c.by_month
            ],
            by_unit=dict(c.by_unit),
        ),
    )
