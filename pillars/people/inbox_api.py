"""Alerts in the JSON API: one's own alerts (paginated) and acknowledging one."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from pillars.core import policy
from pillars.core.api_errors import error_responses
from pillars.core.api_lists import PageOut
from pillars.core.api_routes import record_write
from pillars.core.declare import audited
from pillars.core.entry import Out
from pillars.core.pagination import PageParams, paginate
from pillars.people import alert_selectors as selectors
from pillars.people import alerts
from pillars.people.alert_models import Alert
from pillars.people.selectors import record_list_read

router = Router(tags=["alerts"])

LIST_ERRORS = error_responses(401, 403, 422)

# The subject kind of an alert about an observation order (rounds' escalation chain): its id
# is also given as ``order``, the field clients read before alerts named any record.
ORDER_SUBJECT = "rounds.observationorder"


class AlertOut(Out):
    public_id: UUID
    kind: str
    message: str
    unit: UUID | None
    person: UUID | None
    subject_kind: str = Field(description='The kind of record the alert is about ("" if none).')
    subject_id: UUID | None
    order: UUID | None = Field(description="The observation order, when the alert is about one.")
    step_position: int | None = Field(description="The chain step that raised it, if any.")
    due_at: datetime = Field(description="The moment the alert was due (not when it was written).")
    created_at: datetime
    acknowledged_at: datetime | None
    resolved_at: datetime | None

    @staticmethod
    def resolve_order(alert: Alert) -> UUID | None:
        return alert.subject_id if alert.subject_kind == ORDER_SUBJECT else None


class AlertPage(PageOut):
    items: list[AlertOut]
    next_cursor: str | None


class AlertFilter(Schema):
    unacknowledged: bool = Field(False, description="Only alerts not yet acknowledged.")


@router.get(
    "/alerts",
    response={200: AlertPage, **LIST_ERRORS},
    summary="My alerts, oldest due first",
)
@audited("the user's own alerts, which name persons served: one audited read per page")
def list_alerts(
    request: HttpRequest, filters: Query[AlertFilter], page: Query[PageParams]
) -> AlertPage:
    policy.require(request.user, "people.view_alerts")
    found = selectors.alerts_visible_to(request.user, unacknowledged=filters.unacknowledged)
    result = paginate(found, page, order=("due_at",))
    record_list_read(
        request.user,
        [a.person for a in result.items if a.person is not None],
        what="api alert list",
        detail={"unacknowledged": filters.unacknowledged},
    )
    return AlertPage.of(result)


record_write(
    router,
    "/alerts/{public_id}/acknowledge",
    AlertOut,
    selectors.get_alert_for,
    "people.acknowledge_alert",
    alerts.acknowledge,
    name="acknowledge_alert",
    summary="Acknowledge one of my alerts",
    audit="acknowledges one of the user's own alerts; acknowledge audits it",
)
