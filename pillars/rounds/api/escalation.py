"""Escalations in the JSON API: one's own alerts (paginated), acknowledging one, and a unit's
escalation chain."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from pillars.core import policy
from pillars.core.api_errors import error_responses
from pillars.core.declare import audit_exempt, audited
from pillars.core.idempotency import idempotent
from pillars.core.pagination import PageParams, paginate
from pillars.people import selectors as people_selectors
from pillars.people.selectors import record_list_read
from pillars.rounds.models import Alert, EscalationStep
from pillars.rounds.selectors import escalation as selectors
from pillars.rounds.services import escalation as services

router = Router(tags=["rounds"])

READ_ERRORS = error_responses(401, 403, 404)
LIST_ERRORS = error_responses(401, 403, 422)
WRITE_ERRORS = error_responses(401, 403, 404, 409, 422)


class AlertOut(Schema):
    public_id: UUID
    kind: str
    message: str
    unit: UUID
    person: UUID | None
    order: UUID | None
    step_position: int | None
    due_at: datetime = Field(description="The moment the alert was due (not when it was written).")
    created_at: datetime
    acknowledged_at: datetime | None

    @classmethod
    def of(cls, alert: Alert) -> AlertOut:
        return cls(
            public_id=alert.public_id,
            kind=alert.kind,
            message=alert.message,
            unit=alert.unit.public_id,
            person=alert.person.public_id if alert.person else None,
            order=alert.order.public_id if alert.order else None,
            step_position=alert.step.position if alert.step else None,
            due_at=alert.due_at,
            created_at=alert.created_at,
            acknowledged_at=alert.acknowledged_at,
        )


class AlertPage(Schema):
    items: list[AlertOut]
    next_cursor: str | None


class AlertFilter(Schema):
    unacknowledged: bool = Field(False, description="Only alerts not yet acknowledged.")


class StepOut(Schema):
    position: int
    after_minutes: int
    recipient: str
    is_unit_chain: bool = Field(description="False when the unit uses the default chain.")

    @classmethod
    def of(cls, step: EscalationStep) -> StepOut:
        return cls(
            position=step.position,
            after_minutes=step.after_minutes,
            recipient=step.recipient,
            is_unit_chain=step.unit_id is not None,
        )


@router.get(
    "/alerts",
    response={200: AlertPage, **LIST_ERRORS},
    summary="My alerts, oldest due first",
)
@audited("the user's own alerts, which name persons served: one audited read per page")
def list_alerts(
    request: HttpRequest, filters: Query[AlertFilter], page: Query[PageParams]
) -> AlertPage:
    policy.require(request.user, "rounds.view_alerts")
    alerts = selectors.alerts_visible_to(
        request.user, unacknowledged=filters.unacknowledged
    ).select_related("order")
    result = paginate(alerts, page, order=("due_at",))
    record_list_read(
        request.user,
        [a.person for a in result.items if a.person is not None],
        what="api alert list",
        detail={"unacknowledged": filters.unacknowledged},
    )
    return AlertPage(items=[AlertOut.of(a) for a in result.items], next_cursor=result.next_cursor)


@router.post(
    "/alerts/{public_id}/acknowledge",
    response={200: AlertOut, **WRITE_ERRORS},
    summary="Acknowledge one of my alerts",
)
@audited("acknowledges one of the user's own alerts; acknowledge audits it")
@idempotent
def acknowledge_alert(request: HttpRequest, public_id: UUID) -> Status[AlertOut]:
    alert = selectors.get_alert_for(request.user, public_id, "rounds.acknowledge")
    done = services.acknowledge(alert, actor=request.user)
    return Status(200, AlertOut.of(done))


@router.get(
    "/units/{public_id}/escalation-steps",
    response={200: list[StepOut], **READ_ERRORS},
    summary="A unit's escalation chain (its own, or the default)",
)
@audit_exempt("escalation steps are reference data: no person served is named")
def unit_escalation_steps(request: HttpRequest, public_id: UUID) -> list[StepOut]:
    unit = people_selectors.get_unit_for(request.user, public_id)
    return [StepOut.of(s) for s in services.steps_for(unit)]
