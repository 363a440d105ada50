"""The floor gate in the JSON API: whether a staff member may take a floor task now, and
why not (the same check rounds, incidents and recovery make before they write)."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from django.http import HttpRequest
from ninja import Router, Schema, Status

from pillars.audit import log as audit
from pillars.audit.choices import Action, Purpose
from pillars.core import policy
from pillars.core.api_errors import READ_ERRORS
from pillars.core.declare import audited
from pillars.people import selectors as people_selectors
from pillars.workforce.services.gating import check

router = Router(tags=["workforce"])


class ProblemOut(Schema):
    effect: str
    reason: str
    requirement: str


class FloorCheckOut(Schema):
    staff: UUID
    task: str
    allowed: bool
    problems: list[ProblemOut]


@router.get(
    "/workforce/staff/{public_id}/floor-check",
    response={200: FloorCheckOut, **READ_ERRORS},
    summary="May this staff member take the floor task now? Blocking and warning reasons",
)
@audited("reads a staff member's credentials against the floor rules; audited here")
def floor_check(
    request: HttpRequest,
    public_id: UUID,
    task: Literal["one_to_one", "restraint_team", "billable_peer_service"] = "one_to_one",
) -> Status[FloorCheckOut]:
    policy.require(request.user, "workforce.check_floor")
    staff = people_selectors.get_staff_for(request.user, public_id, "workforce.check_floor")
    problems = check(staff, task)
    audit.record(
        policy.actor_for(request.user).user,
        Action.VIEW,
        staff,
        purpose=Purpose.OPERATIONS,
        detail={"what": "floor check", "task": task, "problems": len(problems)},
    )
    return Status(
        200,
        FloorCheckOut(
            staff=staff.public_id,
            task=task,
            allowed=not any(p.blocks for p in problems),
            problems=[
                ProblemOut(effect=p.effect, reason=p.reason, requirement=p.requirement)
                for p in problems
            ],
        ),
    )
