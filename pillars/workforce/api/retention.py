"""Workforce in the JSON API: retention. Turnover and 90-day retention by role or unit (with
their definitions), and recording an exit interview."""

from __future__ import annotations

from datetime import date
from typing import Literal
from uuid import UUID

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from pillars.core.api_errors import error_responses
from pillars.core.api_routes import audited_write
from pillars.core.api_types import Day, Text
from pillars.core.declare import audited
from pillars.core.entry import Out, get_for
from pillars.people.models import Staff
from pillars.workforce.selectors import retention as selectors
from pillars.workforce.services import retention as services

router = Router(tags=["workforce"])


class TurnoverOut(Out):
    group: str
    quarter: str
    headcount_start: int
    headcount_end: int
    average_headcount: float
    voluntary: int
    involuntary: int
    annualized_turnover: float | None
    annualized_voluntary: float | None
    annualized_involuntary: float | None

    paths = {
        "quarter": "quarter.key",
        "annualized_turnover": "rate",
        "annualized_voluntary": "voluntary_rate",
        "annualized_involuntary": "involuntary_rate",
    }


class RetentionOut(Out):
    group: str
    hiring_quarter: str
    hired: int
    retained_90_days: int
    rate: float | None

    paths = {"hiring_quarter": "quarter.key", "retained_90_days": "retained"}


class WorkforceOut(Schema):
    by: str
    definitions: dict[str, str]
    turnover: list[TurnoverOut]
    retention_90: list[RetentionOut]


class ExitInterviewIn(Schema):
    held_on: Day
    reason: Text = Field("", max_length=32, description="An exit reason code, to correct it.")
    would_return: bool | None = None
    what_helped: Text = Field("", max_length=2000)
    what_would_change: Text = Field("", max_length=2000)


class ExitInterviewOut(Out):
    public_id: UUID
    staff: UUID
    held_on: date
    reason: str | None

    paths = {"reason": "reason.code"}


@router.get(
    "/workforce/retention",
    response={200: WorkforceOut, **error_responses(401, 403)},
    summary="Annualized turnover and 90-day retention of the last quarters, with definitions",
)
@audited("turnover and retention (workforce_view audits)")
def workforce_view(
    request: HttpRequest, by: Literal["role", "unit"] = "role"
) -> Status[WorkforceOut]:
    view = selectors.workforce_view(request.user, by=by)
    return Status(
        200,
        WorkforceOut(
            by=view.by,
            definitions=view.definitions,
            turnover=[TurnoverOut.of(t) for t in view.turnover],
            retention_90=[RetentionOut.of(r) for r in view.retention],
        ),
    )


@router.post(
    "/workforce/staff/{public_id}/exit-interview",
    response={201: ExitInterviewOut, **error_responses(401, 403, 404, 409, 422)},
    summary="Record the exit interview of a staff member who has left",
)
@audited_write("records an exit interview (record_exit_interview audits)")
def exit_interview(
    request: HttpRequest, public_id: UUID, payload: ExitInterviewIn
) -> Status[ExitInterviewOut]:
    staff = get_for(Staff, request.user, public_id, "workforce.record_exit_interview")
    interview = services.record_exit_interview(
        staff,
        actor=request.user,
        **payload.model_dump(),
    )
    return Status(201, ExitInterviewOut.of(interview))
