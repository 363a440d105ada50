"""Workforce in the JSON API: the career ladder. The ladders, a person's progress to their
next step (theirs, a supervisee's, or anyone's for the director), and recording a step."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from django.http import Http404, HttpRequest
from ninja import Field, Router, Schema, Status

from pillars.core import policy
from pillars.core.api_errors import error_responses
from pillars.core.api_types import Day
from pillars.core.declare import audit_exempt
from pillars.core.entry import Out
from pillars.core.idempotency import idempotent
from pillars.workforce.models.ladder import LadderStep
from pillars.workforce.selectors import ladder as selectors
from pillars.workforce.services import ladder as services

router = Router(tags=["workforce"])


class LadderCriterionOut(Out):
    kind: str
    label: str
    threshold: float
    code: str


class LadderStepOut(Out):
    public_id: UUID
    role: str
    rank: int
    title: str
    criteria: list[LadderCriterionOut]

    paths = {"role": "role.code"}


class LadderMeasureOut(Schema):
    label: str
    kind: str
    value: float | None
    met: bool | None = Field(..., description="null: not measured in Pillars yet.")
    detail: str


class LadderProgressOut(Schema):
    role: str
    current_step: str | None
    since_on: date | None
    next_step: str | None
    criteria: list[LadderMeasureOut]


class LadderPlacementIn(Schema):
    step: UUID
    since_on: Day | None = None


@router.get(
    "/workforce/ladders",
    response={200: list[LadderStepOut], **error_responses(401, 403)},
    summary="Every role's career ladder, steps and criteria",
)
@audit_exempt("reference data about no one")
def ladder_list(request: HttpRequest) -> Status[list[LadderStepOut]]:
    policy.require(request.user, "workforce.view_ladders")
    return Status(200, [LadderStepOut.of(s) for _, steps in selectors.ladders() for s in steps])


@router.get(
    "/workforce/staff/{public_id}/ladder-progress",
    response={200: list[LadderProgressOut], **error_responses(401, 403, 404)},
    summary="A staff member's progress to the next step of each of their roles' ladders",
)
@audit_exempt("tenure and recognition counts: no protected information")
def progress(request: HttpRequest, public_id: UUID) -> Status[list[LadderProgressOut]]:
    staff = selectors.get_staff_for(request.user, public_id, "workforce.view_ladder_progress")
    return Status(
        200,
        [
            LadderProgressOut(
                role=p.role,
                current_step=p.current.title if p.current else None,
                since_on=p.since_on,
                next_step=p.next_step.title if p.next_step else None,
                criteria=[
                    LadderMeasureOut(
                        label=c.label, kind=c.kind, value=m.value, met=m.met, detail=m.detail
                    )
                    for c, m in p.criteria
                ],
            )
            for p in selectors.progress_for(request.user, staff)
        ],
    )


@router.post(
    "/workforce/staff/{public_id}/ladder-placement",
    response={201: LadderProgressOut, **error_responses(401, 403, 404, 409, 422)},
    summary="Record that a staff member reached a step",
)
@audit_exempt("place_on_ladder audits the write")
@idempotent
def place(
    request: HttpRequest, public_id: UUID, payload: LadderPlacementIn
) -> Status[LadderProgressOut]:
    staff = selectors.get_staff_for(request.user, public_id, "workforce.place_on_ladder")
    step = LadderStep.objects.filter(public_id=payload.step).select_related("role").first()
    if step is None:
        raise Http404("Not found")
    placement = services.place_on_ladder(
        staff, actor=request.user, step=step, since_on=payload.since_on
    )
    return Status(
        201,
        LadderProgressOut(
            role=step.role.name,
            current_step=step.title,
            since_on=placement.since_on,
            next_step=None,
            criteria=[],
        ),
    )
