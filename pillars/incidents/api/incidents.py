"""Incidents in the JSON API: the list (cursor pages), one incident, a draft (idempotent), the
workflow steps (submit, review, close), addenda, debriefs and notifications sent (one's own
exposure counts are workforce.wellbeing's)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated
from uuid import UUID

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from pydantic import StringConstraints

from pillars.core import clock
from pillars.core.api_errors import READ_ERRORS, error_responses
from pillars.core.api_lists import PageOut
from pillars.core.api_routes import record_write, write_route
from pillars.core.api_types import Moment, Text
from pillars.core.declare import audited
from pillars.core.entry import Out
from pillars.core.pagination import PageParams, paginate
from pillars.incidents.models import Incident
from pillars.incidents.models.incidents import DebriefKind, IncidentStatus, IncidentType
from pillars.incidents.selectors import incidents as selectors
from pillars.incidents.services import incidents as services
from pillars.people import selectors as people_selectors

router = Router(tags=["incidents"])


# Several lines allowed; other control characters are refused (PostgreSQL rejects NUL).
LongText = Annotated[str, StringConstraints(pattern=r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$")]


class NotificationOut(Out):
    public_id: UUID
    recipient: str
    due_at: datetime
    sent_at: datetime | None
    recorded_at: datetime | None
    status: str
    is_late: bool
    is_late_entry: bool = Field(
        description="The sent time was entered more than 10 minutes after the moment it claims."
    )

    at_now = {"status": "status_at", "is_late": "is_late_at"}


class IncidentOut(Out):
    public_id: UUID
    type: IncidentType
    status: IncidentStatus
    unit: UUID
    location: str
    occurred_at: datetime
    recorded_at: datetime
    reported_by: str
    persons: list[UUID]
    narrative: str

    paths = {"reported_by": "reported_by.display_name"}

    @staticmethod
    def resolve_persons(incident: Incident) -> list[UUID]:
        return [ip.person.public_id for ip in incident.persons.all()]


class IncidentDetailOut(IncidentOut):
    deescalation_steps: list[str]
    deescalation_other: str
    witnesses_text: str
    notifications: list[NotificationOut]
    addenda: int
    debriefs: int

    @staticmethod
    def resolve_deescalation_steps(incident: Incident) -> list[str]:
        return [s.code for s in incident.deescalation_steps.all()]

    @staticmethod
    def resolve_addenda(incident: Incident) -> int:
        return incident.addenda.count()

    @staticmethod
    def resolve_debriefs(incident: Incident) -> int:
        return incident.debriefs.count()


def _detail(incident: Incident) -> IncidentDetailOut:
    return IncidentDetailOut.of(incident, now=clock.now())


def _review_step(
    request: HttpRequest, public_id: UUID, step: Callable[..., Incident], note: str
) -> Status[IncidentDetailOut]:
    """A reviewer's step on an incident (start the review, close it): the incident found for
    the reviewer, the step taken with the note, the incident's detail answered."""
    incident = selectors.get_incident_for(request.user, public_id, "incidents.review")
    return Status(200, _detail(step(incident, actor=request.user, note=note)))


class IncidentPage(PageOut):
    items: list[IncidentOut]
    next_cursor: str | None


class IncidentFilter(Schema):
    unit: UUID | None = Field(None, description="Only this unit's incidents.")
    status: IncidentStatus | None = None


class IncidentIn(Schema):
    client_id: UUID | None = Field(None, description="Made by the device; a replay is harmless.")
    unit: UUID
    type: IncidentType
    occurred_at: Moment
    location: Text = Field(..., max_length=100)
    narrative: LongText = Field(..., max_length=10000)
    persons: list[UUID] = Field(default_factory=list, max_length=20)
    injured_persons: list[UUID] = Field(default_factory=list, max_length=20)
    staff_involved: list[UUID] = Field(default_factory=list, max_length=20)
    witness_staff: list[UUID] = Field(default_factory=list, max_length=20)
    witnesses_text: Text = Field("", max_length=300)
    deescalation_steps: list[Annotated[str, StringConstraints(max_length=40)]] = Field(
        default_factory=list, max_length=30
    )
    deescalation_other: Text = Field("", max_length=300)
    is_death: bool = False


class NoteIn(Schema):
    note: LongText = Field("", max_length=4000)


class IncidentAddendumIn(Schema):
    reason: Text = Field(..., max_length=300)
    text: LongText = Field(..., max_length=4000)


class IncidentAddendumOut(Out):
    public_id: UUID
    written_by: str
    written_at: datetime
    reason: str
    text: str

    paths = {"written_by": "written_by.display_name"}


class DebriefIn(Schema):
    kind: DebriefKind
    held_at: Moment
    participants: Text = Field(..., max_length=300)
    learned: LongText = Field(..., max_length=4000)


class DebriefOut(Out):
    public_id: UUID
    kind: str
    held_at: datetime
    participants: str
    learned: str


class SentIn(Schema):
    sent_at: Moment | None = None
    note: Text = Field("", max_length=300)


@router.get(
    "/incidents",
    response={200: IncidentPage, **error_responses(401, 403, 422)},
    summary="Incidents the caller may see (their own drafts too), oldest first, cursor pages",
)
@audited("a list of incidents (one audited read per page)")
def list_incidents(
    request: HttpRequest, filters: Query[IncidentFilter], page: Query[PageParams]
) -> IncidentPage:
    qs = selectors.with_details(selectors.incidents_visible_to(request.user))
    if filters.unit is not None:
        qs = qs.filter(unit__public_id=filters.unit)
    if filters.status is not None:
        qs = qs.filter(status=filters.status)
    result = paginate(qs, page, order=("recorded_at",))
    selectors.record_incidents_read(request.user, result.items, what="api incident list")
    return IncidentPage.of(result)


@write_route(
    router.post,
    "/incidents",
    201,
    IncidentDetailOut,
    summary="Start an incident report (a draft, seen only by its reporter until submitted)",
    audit="creates a draft (audited by create_draft)",
)
def create_incident(request: HttpRequest, payload: IncidentIn) -> Status[IncidentDetailOut]:
    unit = people_selectors.get_unit_for(request.user, payload.unit, "incidents.report")
    details = services.IncidentDetails(
        type=str(payload.type),
        occurred_at=payload.occurred_at,
        location=payload.location,
        narrative=payload.narrative,
        persons=selectors.persons_by_public_id(request.user, payload.persons),
        injured_persons=selectors.persons_by_public_id(
            request.user, payload.injured_persons, "injured_persons"
        ),
        staff_involved=selectors.staff_by_public_id(request.user, payload.staff_involved),
        witness_staff=selectors.staff_by_public_id(
            request.user, payload.witness_staff, "witness_staff"
        ),
        witnesses_text=payload.witnesses_text,
        steps=services.steps_by_code(payload.deescalation_steps),
        deescalation_other=payload.deescalation_other,
        is_death=payload.is_death,
    )
    incident = services.create_draft(unit, details, actor=request.user, client_id=payload.client_id)
    return Status(201, _detail(incident))


@router.get(
    "/incidents/{public_id}",
    response={200: IncidentDetailOut, **READ_ERRORS},
    summary="One incident with its notifications",
)
@audited("reads one incident (audited by get_incident_for)")
def get_incident(request: HttpRequest, public_id: UUID) -> Status[IncidentDetailOut]:
    incident = selectors.get_incident_for(request.user, public_id, what="api incident")
    return Status(200, _detail(incident))


record_write(
    router,
    "/incidents/{public_id}/submit",
    IncidentDetailOut,
    selectors.get_incident_for,
    "incidents.edit_draft",
    services.submit_incident,
    name="submit",
    summary="Submit one's draft; from then on corrections are addenda",
    audit="submits a draft (audited by submit_incident)",
)


@write_route(
    router.post,
    "/incidents/{public_id}/review",
    200,
    IncidentDetailOut,
    summary="Take a submitted incident into supervisor review",
    audit="starts a review (audited by start_review)",
)
def review(request: HttpRequest, public_id: UUID, payload: NoteIn) -> Status[IncidentDetailOut]:
    return _review_step(request, public_id, services.start_review, payload.note)


@write_route(
    router.post,
    "/incidents/{public_id}/close",
    200,
    IncidentDetailOut,
    summary="Close a reviewed incident with the review's finding",
    audit="closes an incident (audited by close_incident)",
)
def close(request: HttpRequest, public_id: UUID, payload: NoteIn) -> Status[IncidentDetailOut]:
    return _review_step(request, public_id, services.close_incident, payload.note)


@write_route(
    router.post,
    "/incidents/{public_id}/addenda",
    201,
    IncidentAddendumOut,
    summary="Correct a submitted incident (the report itself never changes)",
    audit="corrects an incident (audited by add_addendum)",
)
def add_addendum(
    request: HttpRequest, public_id: UUID, payload: IncidentAddendumIn
) -> Status[IncidentAddendumOut]:
    incident = selectors.get_incident_for(request.user, public_id, "incidents.addendum")
    addendum = services.add_addendum(
        incident, actor=request.user, reason=payload.reason, text=payload.text
    )
    return Status(201, IncidentAddendumOut.of(addendum))


@write_route(
    router.post,
    "/incidents/{public_id}/debriefs",
    201,
    DebriefOut,
    summary="Record a post-incident debrief with the person served or with staff",
    audit="records a debrief (audited by record_debrief)",
)
def add_debrief(request: HttpRequest, public_id: UUID, payload: DebriefIn) -> Status[DebriefOut]:
    incident = selectors.get_incident_for(request.user, public_id, "incidents.debrief")
    debrief = services.record_debrief(
        incident,
        actor=request.user,
        kind=str(payload.kind),
        **payload.model_dump(exclude={"kind"}),
    )
    return Status(201, DebriefOut.of(debrief))


@write_route(
    router.post,
    "/incident-notifications/{public_id}/sent",
    200,
    NotificationOut,
    summary="Say a notification was sent (by the caller, at sent_at or now)",
    audit="records a notification sent (audited by record_notification_sent)",
)
def notification_sent(
    request: HttpRequest, public_id: UUID, payload: SentIn
) -> Status[NotificationOut]:
    n = selectors.get_notification_for(request.user, public_id, "incidents.notify")
    n = services.record_notification_sent(
        n, actor=request.user, sent_at=payload.sent_at, note=payload.note
    )
    return Status(200, NotificationOut.of(n, now=clock.now()))
