"""Escalations in the JSON API: a unit's escalation chain (alerts are people's:
people.inbox_api)."""

from __future__ import annotations

from uuid import UUID

from django.http import HttpRequest
from ninja import Field, Router

from pillars.core.api_errors import READ_ERRORS
from pillars.core.declare import audit_exempt
from pillars.core.entry import Out
from pillars.people import selectors as people_selectors
from pillars.rounds.models import EscalationStep
from pillars.rounds.services import escalation as services

router = Router(tags=["rounds"])


class StepOut(Out):
    position: int
    after_minutes: int
    recipient: str
    is_unit_chain: bool = Field(description="False when the unit uses the default chain.")

    @staticmethod
    def resolve_is_unit_chain(step: EscalationStep) -> bool:
        return step.unit_id is not None


@router.get(
    "/units/{public_id}/escalation-steps",
    response={200: list[StepOut], **READ_ERRORS},
    summary="A unit's escalation chain (its own, or the default)",
)
@audit_exempt("escalation steps are reference data: no person served is named")
def unit_escalation_steps(request: HttpRequest, public_id: UUID) -> list[StepOut]:
    unit = people_selectors.get_unit_for(request.user, public_id)
    return [StepOut.of(s) for s in services.steps_for(unit)]
