"""Supervision in the JSON API: the sessions the caller may read, recording one (replay-safe
by client_id), signing one for oneself, and a staff member's supervised-hours ledger."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from uuid import UUID

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from ninja.params import Query

from pillars.core import clock, policy
from pillars.core.api_errors import WRITE_ERRORS, error_responses
from pillars.core.api_lists import PageOut
from pillars.core.api_routes import audited_write
from pillars.core.api_types import Moment, Text
from pillars.core.declare import audited
from pillars.core.entry import Out
from pillars.core.errors import invalid
from pillars.core.pagination import PageParams, paginate
from pillars.people.models import Staff
from pillars.workforce.models.supervision import SupervisionKind, SupervisionSession
from pillars.workforce.selectors import supervision as selectors
from pillars.workforce.selectors.supervision import LedgerLine
from pillars.workforce.services import supervision as services
from pillars.workforce.services.staff_audit import audit_operations_read

router = Router(tags=["workforce"])

READ_ERRORS = error_responses(401, 403, 404, 422)


class SignatureOut(Schema):
    staff: UUID
    name: str
    signed_at: datetime | None


class SessionOut(Out):
    public_id: UUID
    supervisor: SignatureOut
    supervisees: list[SignatureOut]
    kind: str
    is_group: bool
    is_face_to_face: bool
    started_at: datetime
    minutes: int
    topics: list[str]
    notes: str
    signed_at: datetime | None
    recorded_at: datetime
    is_late_entry: bool = Field(
        description="Written up more than 24 hours after the session ended (a back-filled session)."
    )

    @staticmethod
    def resolve_supervisor(s: SupervisionSession) -> SignatureOut:
        return SignatureOut(
            staff=s.supervisor.public_id,
            name=s.supervisor.display_name,
            signed_at=s.supervisor_signed_at,
        )

    @staticmethod
    def resolve_supervisees(s: SupervisionSession) -> list[SignatureOut]:
        return [
            SignatureOut(
                staff=a.supervisee.public_id,
                name=a.supervisee.display_name,
                signed_at=a.signed_at,
            )
            for a in s.attendees.all()
        ]


class SessionPage(PageOut):
    items: list[SessionOut]
    next_cursor: str | None


class ActionItemIn(Schema):
    supervisee: UUID
    text: Text = Field(min_length=1, max_length=300)


class SessionIn(Schema):
    supervisees: list[UUID] = Field(min_length=1, max_length=30)
    kind: SupervisionKind
    is_face_to_face: bool = True
    started_at: Moment
    minutes: int = Field(ge=1, le=services.MAX_MINUTES)
    topics: list[Text] = Field(default_factory=list, max_length=services.MAX_TOPICS)
    notes: str = Field("", max_length=services.MAX_TEXT)
    action_items: list[ActionItemIn] = Field(default_factory=list, max_length=services.MAX_ITEMS)
    close_items: list[UUID] = Field(default_factory=list, max_length=services.MAX_ITEMS)
    sign: bool = Field(False, description="Sign as the supervisor at once.")
    client_id: UUID | None = Field(None, description="Replay key made by the device.")


class LedgerLineOut(Out):
    rule: str
    name: str
    is_legacy: bool
    window_start: str | None
    session_hours: Decimal
    work_hours: Decimal
    total_hours: Decimal
    hours_required: Decimal
    percent: int
    letters: int
    letters_required: int
    met: bool

    paths = {
        "rule": "rule.code",
        "name": "rule.name",
        "is_legacy": "rule.is_legacy",
        "total_hours": "total",
        "hours_required": "rule.hours_required",
        "letters_required": "rule.letters_required",
    }

    @staticmethod
    def resolve_window_start(line: LedgerLine) -> str | None:
        return line.window_start.isoformat() if line.window_start else None


class LedgerOut(Schema):
    staff: UUID
    name: str
    status: str
    cadence: str
    next_due_at: datetime | None
    lines: list[LedgerLineOut]


@router.get(
    "/workforce/supervision/sessions",
    response={200: SessionPage, **READ_ERRORS},
    summary="Supervision sessions the caller may read (own, supervisees'; the director: all)",
)
@audited("a list of supervision sessions (one audited read per page)")
def list_sessions(request: HttpRequest, page: Query[PageParams]) -> SessionPage:
    policy.require(request.user, "workforce.view_session")
    result = paginate(selectors.sessions_visible_to(request.user), page, order=("started_at",))
    audit_operations_read(
        request.user,
        "workforce.supervisionsession",
        "list",
        {"what": "api supervision sessions", "sessions": [str(s.public_id) for s in result.items]},
    )
    return SessionPage.of(result)


@router.post(
    "/workforce/supervision/sessions",
    response={201: SessionOut, **WRITE_ERRORS},
    summary="Record a supervision session with one's supervisees (a replayed client_id "
    "returns the first)",
)
@audited_write("records a supervision session (audited by record_session)")
def create_session(request: HttpRequest, payload: SessionIn) -> Status[SessionOut]:
    policy.require(request.user, "workforce.record_session")
    acting = policy.actor_for(request.user)
    people = {
        s.public_id: s
        for s in Staff.objects.filter(
            public_id__in=payload.supervisees, pk__in=acting.supervisee_staff_ids
        )
    }
    if len(people) != len(set(payload.supervisees)):
        raise invalid("supervisees", "Choose your own supervisees.")
    items = {i.public_id: i for i in selectors.open_items([s.pk for s in people.values()])}
    if any(c not in items for c in payload.close_items):
        raise invalid("close_items", "Only open items of this session's supervisees.")
    if any(i.supervisee not in people for i in payload.action_items):
        raise invalid("action_items", "An action item must be for a supervisee in the session.")
    session = services.record_session(
        actor=request.user,
        supervisees=[people[p] for p in dict.fromkeys(payload.supervisees)],
        kind=str(payload.kind),
        started_at=payload.started_at,
        minutes=payload.minutes,
        is_face_to_face=payload.is_face_to_face,
        topics=list(payload.topics),
        notes=payload.notes,
        action_items=[
            services.NewActionItem(people[i.supervisee], i.text) for i in payload.action_items
        ],
        close_items=[items[c] for c in payload.close_items],
        sign=payload.sign,
        client_id=payload.client_id,
    )
    session = selectors.get_session_for(request.user, session.public_id, what="api recorded")
    return Status(201, SessionOut.of(session))


@router.post(
    "/workforce/supervision/sessions/{public_id}/sign",
    response={200: SessionOut, **WRITE_ERRORS},
    summary="Sign a supervision session for oneself (supervisor or supervisee)",
)
@audited_write("signs a supervision session (audited by get_session_for and sign_session)")
def sign_session(request: HttpRequest, public_id: UUID) -> SessionOut:
    session = selectors.get_session_for(
        request.user, public_id, "workforce.sign_session", what="api sign"
    )
    services.sign_session(session, actor=request.user)
    return SessionOut.of(selectors.get_session_for(request.user, public_id, what="api signed"))


@router.get(
    "/workforce/supervision/staff/{public_id}/ledger",
    response={200: LedgerOut, **READ_ERRORS},
    summary="A staff member's supervised hours toward each certification rule",
)
@audited("reads a supervised-hours ledger (audited by get_staff_for)")
def get_ledger(request: HttpRequest, public_id: UUID) -> LedgerOut:
    staff = selectors.get_staff_for(
        request.user, public_id, "workforce.view_ledger", what="api ledger"
    )
    now = clock.now()
    state = services.cadence_state(staff, now)
    return LedgerOut(
        staff=staff.public_id,
        name=staff.display_name,
        status=services.profile_of(staff).status,
        cadence=state.status,
        next_due_at=state.due_at,
        # The staff member's day, as the ledger page counts it (not UTC's).
        lines=[
            LedgerLineOut.of(line)
            for line in selectors.ledger(staff, clock.today_in(services.zone_of(staff)))
        ],
    )
