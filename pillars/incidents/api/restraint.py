"""The restraint area in the JSON API: a unit's active episodes with their timers, one episode,
starting one, monitoring checks, the face-to-face, renewals, release, and HBIPS-2/3 per unit and
month. Device writes carry an ``Idempotency-Key`` header or a ``client_id``: a replay returns
the first answer."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from uuid import UUID

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from pillars.core import clock, policy
from pillars.core.api_errors import READ_ERRORS, WRITE_ERRORS
from pillars.core.api_routes import add_route, on_record, record_read, write_route
from pillars.core.api_types import Moment, Text
from pillars.core.declare import audited
from pillars.core.entry import Out
from pillars.incidents.models import (
    EpisodeKind,
    FaceToFace,
    MonitoringCheck,
    RestraintEpisode,
    RestraintOrder,
    RestraintStaff,
)
from pillars.incidents.selectors import restraint as selectors
from pillars.incidents.selectors.incidents import staff_by_public_id
from pillars.incidents.selectors.restraint import Timer
from pillars.incidents.services import restraint as services
from pillars.people import hooks
from pillars.people import selectors as people_selectors
from pillars.people.models import Staff

router = Router(tags=["restraint"])


class RestraintTimerOut(Out):
    key: str
    label: str
    at: datetime | None
    text: str


class RestraintViolationOut(Out):
    kind: str
    label: str
    at: datetime
    text: str


LATE_ENTRY = "Entered more than 10 minutes after the moment it claims (late_reason says why)."


class RestraintOrderOut(Out):
    public_id: UUID
    ordered_at: datetime
    age_years: int
    limit_minutes: int
    expires_at: datetime
    is_renewal: bool
    seen_in_person: bool
    recorded_at: datetime
    is_late_entry: bool = Field(description=LATE_ENTRY)
    late_reason: str


class RestraintFaceToFaceOut(Out):
    public_id: UUID
    seen_at: datetime
    recorded_at: datetime
    findings: str
    continue_episode: bool
    is_late_entry: bool = Field(description=LATE_ENTRY)
    late_reason: str


class RestraintCheckOut(Out):
    public_id: UUID
    observed_at: datetime
    recorded_at: datetime
    condition: str
    circulation_ok: bool | None
    skin_ok: bool | None
    range_of_motion: bool | None
    hydration_offered: bool | None
    toileting_offered: bool | None
    note: str
    is_late_entry: bool = Field(
        description="Entered more than 10 minutes after it was made (the note says why)."
    )


class RestraintStaffOut(Out):
    staff: UUID
    name: str
    added_at: datetime

    paths = {"name": "staff.display_name"}


class RestraintEpisodeOut(Out):
    public_id: UUID
    person: UUID
    person_name: str
    unit: UUID
    kind: str
    profile: str
    profile_version: int
    started_at: datetime
    recorded_at: datetime
    is_late_entry: bool = Field(description="The start: " + LATE_ENTRY)
    late_reason: str
    released_at: datetime | None
    release_recorded_at: datetime | None
    release_is_late_entry: bool = Field(description="The release: " + LATE_ENTRY)
    release_late_reason: str
    release_criteria: str
    order_expires_at: datetime | None
    face_to_face_due_at: datetime
    face_to_face_done_at: datetime | None
    monitoring_due_at: datetime | None
    face_to_face: RestraintFaceToFaceOut | None
    timers: list[RestraintTimerOut]
    violations: list[RestraintViolationOut]
    orders: list[RestraintOrderOut]
    checks: list[RestraintCheckOut]
    staff_involved: list[RestraintStaffOut]
    floor_warnings: list[str] = Field(
        default_factory=list,
        description="On naming staff: the floor gate's warnings it let through (a lapsed "
        "credential or training under a rule that warns); a rule that blocks answers 422.",
    )

    paths = {
        "person_name": "person.display_name",
        "profile": "profile.code",
        "profile_version": "profile.version",
    }
    at_now = {"violations": "violations_at"}

    @staticmethod
    def resolve_timers(e: RestraintEpisode, context: dict[str, Any]) -> list[Timer]:
        return selectors.timers(e, context["now"]) if e.is_active else []

    @staticmethod
    def resolve_orders(e: RestraintEpisode) -> list[RestraintOrder]:
        return e._orders()

    @staticmethod
    def resolve_face_to_face(e: RestraintEpisode) -> FaceToFace | None:
        return e._face_to_face()

    @staticmethod
    def resolve_checks(e: RestraintEpisode) -> list[MonitoringCheck]:
        return e._checks()

    @staticmethod
    def resolve_staff_involved(e: RestraintEpisode) -> list[RestraintStaff]:
        return e.involved()


def _fresh(episode: RestraintEpisode) -> RestraintEpisodeOut:
    return RestraintEpisodeOut.of(services.load_episode(episode.pk), now=clock.now())


def _warned(out: RestraintEpisodeOut, staff: list[Staff]) -> RestraintEpisodeOut:
    """The answer to a write that named staff, with the floor gate's warnings about them."""
    notes = hooks.floor_notes(staff, hooks.FloorTask.RESTRAINT_TEAM)
    out.floor_warnings = [p.reason for p in notes.lines() if not p.blocks]
    return out


def _entry(
    request: HttpRequest,
    public_id: UUID,
    action: str,
    service: Callable[..., object],
    /,
    status: int = 201,
    **fields: Any,
) -> Status[RestraintEpisodeOut]:
    """Every entry on an episode has one shape: find the episode for the action (404 out of
    scope, 403 not allowed), call its one service with the fields, answer with the episode as
    it now stands."""
    episode = selectors.get_episode_for(request.user, public_id, action)
    if "ordered_by" in fields:  # named after the episode is found: out of scope stays a 404
        fields["ordered_by"] = _orderer(request, fields["ordered_by"])
    service(episode, actor=request.user, **fields)
    return Status(status, _fresh(episode))


ORDERED_BY = (
    "The clinician who gave the order (a staff member's public id); left out when the clinician "
    "enters their own order."
)


def _orderer(request: HttpRequest, ordered_by: UUID | None) -> Staff | None:
    """The staff member named as the orderer, found in the caller's view of the staff (the
    service decides whether they may order)."""
    if ordered_by is None:
        return None
    return staff_by_public_id(request.user, [ordered_by], field="ordered_by")[0]


class RestraintStartIn(Schema):
    kind: EpisodeKind
    reason: Text = Field(min_length=1, max_length=2000)
    release_criteria: Text = Field(min_length=1, max_length=2000)
    alternatives_tried: Text = Field("", max_length=2000)
    started_at: Moment | None = None
    ordered_at: Moment | None = None
    ordered_by: UUID | None = Field(None, description=ORDERED_BY)
    staff: list[UUID] = Field(
        default_factory=list,
        max_length=20,
        description="Staff who took part (applied the hold or restraint, or the seclusion).",
    )
    late_reason: Text = Field(
        "", max_length=300, description="Needed when entered more than 10 minutes late."
    )
    client_id: UUID | None = Field(None, description="Optional replay key made by the client.")


class RestraintStaffIn(Schema):
    staff: list[UUID] = Field(min_length=1, max_length=20)
    client_id: UUID | None = None


class RestraintCheckIn(Schema):
    condition: Text = Field(min_length=1, max_length=300)
    observed_at: Moment | None = None
    note: Text = Field("", max_length=500)
    circulation_ok: bool | None = None
    skin_ok: bool | None = None
    range_of_motion: bool | None = None
    hydration_offered: bool | None = None
    toileting_offered: bool | None = None
    client_id: UUID | None = Field(None, description="Optional replay key made by the client.")


class RestraintFaceToFaceIn(Schema):
    findings: Text = Field(min_length=1, max_length=2000)
    seen_at: Moment | None = None
    continue_episode: bool = True
    late_reason: Text = Field(
        "", max_length=300, description="Needed when entered more than 10 minutes late."
    )
    client_id: UUID | None = None


class RestraintRenewIn(Schema):
    ordered_at: Moment | None = None
    ordered_by: UUID | None = Field(None, description=ORDERED_BY)
    seen_in_person: bool = False
    note: Text = Field("", max_length=300)
    late_reason: Text = Field(
        "", max_length=300, description="Needed when entered more than 10 minutes late."
    )
    client_id: UUID | None = None


class RestraintReleaseIn(Schema):
    reason: Text = Field(min_length=1, max_length=2000)
    released_at: Moment | None = None
    late_reason: Text = Field(
        "", max_length=300, description="Needed when entered more than 10 minutes late."
    )
    client_id: UUID | None = None


class RestraintProfileOut(Out):
    public_id: UUID
    code: str
    version: int
    name: str
    citation: str
    adult_age: int
    child_age: int
    adult_limit_minutes: int
    child_limit_minutes: int
    young_child_limit_minutes: int
    renewal_cap_minutes: int
    face_to_face_minutes: int
    monitoring_minutes: int
    hold_max_minutes: int | None
    mechanical_adult_total_minutes: int | None
    created_at: datetime


class RestraintUnitProfileOut(Out):
    unit: UUID
    unit_name: str
    profile: str
    may_choose: bool

    paths = {"unit_name": "unit.name", "profile": "code"}


class RestraintProfilesOut(Schema):
    profiles: list[RestraintProfileOut]
    units: list[RestraintUnitProfileOut]


class RestraintUnitProfileIn(Schema):
    code: str = Field(min_length=1, max_length=32, description="The profile's code.")


class RestraintProfileChangeIn(Schema):
    """Only the fields sent change; ``null`` for a state limit removes it."""

    name: Text | None = Field(None, min_length=1, max_length=120)
    citation: Text | None = Field(None, max_length=200)
    adult_age: int | None = Field(None, ge=0, le=200)
    child_age: int | None = Field(None, ge=0, le=200)
    adult_limit_minutes: int | None = Field(None, ge=0, le=100000)
    child_limit_minutes: int | None = Field(None, ge=0, le=100000)
    young_child_limit_minutes: int | None = Field(None, ge=0, le=100000)
    renewal_cap_minutes: int | None = Field(None, ge=0, le=100000)
    face_to_face_minutes: int | None = Field(None, ge=0, le=100000)
    monitoring_minutes: int | None = Field(None, ge=0, le=100000)
    hold_max_minutes: int | None = Field(None, ge=0, le=100000)
    mechanical_adult_total_minutes: int | None = Field(None, ge=0, le=100000)


class RestraintHbipsOut(Schema):
    unit: UUID
    unit_name: str
    year: int
    month: int
    patient_hours: float
    restraint_hours: float
    seclusion_hours: float
    hbips2: float | None
    hbips3: float | None


class RestraintHbipsFilter(Schema):
    year: int | None = Field(None, ge=2000, le=2200, description="This year if absent.")
    month: int | None = Field(None, ge=1, le=12, description="One month; all twelve if absent.")


@router.get(
    "/units/{public_id}/restraint",
    response={200: list[RestraintEpisodeOut], **READ_ERRORS},
    summary="A unit's active restraint and seclusion episodes with their timers",
)
@audited("persons in restraint on one unit (one audited list read)")
def unit_episodes(request: HttpRequest, public_id: UUID) -> Status[list[RestraintEpisodeOut]]:
    unit = selectors.get_unit_for(request.user, public_id, "incidents.restraint_view")
    episodes = selectors.active_episodes(request.user, unit)
    people_selectors.record_list_read(
        request.user, [e.person for e in episodes], what="api restraint episodes"
    )
    now = clock.now()
    return Status(200, [RestraintEpisodeOut.of(e, now=now) for e in episodes])


@write_route(
    router.post,
    "/persons/{public_id}/restraint",
    201,
    RestraintEpisodeOut,
    summary="Start a restraint or seclusion episode with its order",
    audit="starts an episode (get_person_for and start_episode audit)",
)
def start(
    request: HttpRequest, public_id: UUID, payload: RestraintStartIn
) -> Status[RestraintEpisodeOut]:
    person = people_selectors.get_person_for(
        request.user, public_id, "incidents.restraint_order", what="api restraint start"
    )
    staff = staff_by_public_id(request.user, payload.staff, field="staff")
    episode = services.start_episode(
        person,
        actor=request.user,
        staff=staff,
        ordered_by=_orderer(request, payload.ordered_by),
        **payload.model_dump(exclude={"staff", "ordered_by", "client_id"}),
    )
    return Status(201, _warned(_fresh(episode), staff))


record_read(
    router,
    "/restraint/{public_id}",
    RestraintEpisodeOut,
    selectors.get_episode_for,
    name="get_episode",
    summary="One restraint or seclusion episode",
    audit="reads one episode (get_episode_for audits it)",
)


@write_route(
    router.post,
    "/restraint/{public_id}/staff",
    201,
    RestraintEpisodeOut,
    summary="Name more staff who took part (each gets a row in the exposure ledger)",
    audit="names staff involved (add_staff audits it)",
)
def add_staff(
    request: HttpRequest, public_id: UUID, payload: RestraintStaffIn
) -> Status[RestraintEpisodeOut]:
    named: list[Staff] = []

    def name(episode: RestraintEpisode, actor: Any) -> object:
        # The ids are resolved after the episode is found, so an episode out of scope is a 404
        # whatever staff are named.
        named.extend(staff_by_public_id(actor, payload.staff, field="staff"))
        return services.add_staff(episode, actor=actor, staff=named)

    answer = _entry(request, public_id, "incidents.restraint_monitor", name)
    return Status(answer.status_code, _warned(answer.value, named))


def _step(
    name: str,
    path: str,
    payload: type[Schema],
    action: str,
    service: Callable[..., object],
    *,
    summary: str,
    audit: str,
    status: int = 201,
    exclude_none: bool = False,
) -> None:
    """A replay-safe step on an episode whose body's fields are the service's keywords."""

    def step(request: HttpRequest, public_id: UUID, payload: Schema) -> Any:
        fields = payload.model_dump(exclude={"client_id"}, exclude_none=exclude_none)
        return _entry(request, public_id, action, service, status=status, **fields)

    add_route(
        router,
        "post",
        path,
        step,
        name=name,
        module=__name__,
        params=on_record(payload),
        out=RestraintEpisodeOut,
        status=status,
        errors=WRITE_ERRORS,
        summary=summary,
        audit=audit,
    )


# An item left out (None) is unanswered, as the service reads a missing keyword.
_step(
    "monitor",
    "/restraint/{public_id}/checks",
    RestraintCheckIn,
    "incidents.restraint_monitor",
    services.record_monitoring,
    summary="Record a monitoring check (mechanical restraint: the extra items too)",
    audit="records a monitoring check (record_monitoring audits it)",
    exclude_none=True,
)
_step(
    "face_to_face",
    "/restraint/{public_id}/face-to-face",
    RestraintFaceToFaceIn,
    "incidents.restraint_evaluate",
    services.record_face_to_face,
    summary="Record the face-to-face evaluation",
    audit="records the face-to-face (record_face_to_face audits it)",
)
_step(
    "renew",
    "/restraint/{public_id}/renewals",
    RestraintRenewIn,
    "incidents.restraint_order",
    services.renew_order,
    summary="Renew the order (its own limit; 24 hours at most before the person is seen)",
    audit="renews the order (renew_order audits it)",
)
_step(
    "release",
    "/restraint/{public_id}/release",
    RestraintReleaseIn,
    "incidents.restraint_order",
    services.release_episode,
    summary="Release the person",
    audit="releases (release_episode audits it)",
    status=200,
)


@router.get(
    "/reports/hbips",
    response={200: list[RestraintHbipsOut], **READ_ERRORS},
    summary="HBIPS-2 and HBIPS-3 per unit and month (hours per 1,000 patient hours)",
)
@audited("aggregate hours per unit; no person served is named")
def hbips(
    request: HttpRequest, filters: Query[RestraintHbipsFilter]
) -> Status[list[RestraintHbipsOut]]:
    policy.require(request.user, "incidents.restraint_report")
    units = selectors.units_visible_to(request.user)
    months = [filters.month] if filters.month else list(range(1, 13))
    rows = selectors.hbips(units, filters.year or clock.now().year, months)
    return Status(
        200,
        [
            RestraintHbipsOut(
                unit=r.unit.public_id,
                unit_name=r.unit.name,
                year=r.year,
                month=r.month,
                patient_hours=round(r.patient_hours, 4),
                restraint_hours=round(r.restraint_hours, 4),
                seclusion_hours=round(r.seclusion_hours, 4),
                hbips2=None if r.hbips2 is None else round(r.hbips2, 4),
                hbips3=None if r.hbips3 is None else round(r.hbips3, 4),
            )
            for r in rows
        ],
    )


@router.get(
    "/restraint-profiles",
    response={200: RestraintProfilesOut, **READ_ERRORS},
    summary="The current rule profiles, and the profile each unit you see follows",
)
@audited("rule profiles and units' choices: reference data, no person served")
def profiles(request: HttpRequest) -> Status[RestraintProfilesOut]:
    policy.require(request.user, "incidents.restraint_profiles")
    return Status(
        200,
        RestraintProfilesOut(
            profiles=[RestraintProfileOut.of(p) for p in selectors.current_profiles()],
            units=[
                RestraintUnitProfileOut.of(r) for r in selectors.unit_profiles_for(request.user)
            ],
        ),
    )


@write_route(
    router.post,
    "/units/{public_id}/restraint-profile",
    200,
    RestraintUnitProfileOut,
    summary="Choose the rule profile a unit follows from its next episode",
    audit="a unit's rule profile (choose_unit_profile audits it)",
)
def choose_profile(
    request: HttpRequest, public_id: UUID, payload: RestraintUnitProfileIn
) -> Status[RestraintUnitProfileOut]:
    unit = selectors.get_unit_for(request.user, public_id, "incidents.restraint_choose_profile")
    row = services.choose_unit_profile(unit, actor=request.user, code=payload.code)
    return Status(
        200,
        RestraintUnitProfileOut(
            unit=unit.public_id, unit_name=unit.name, profile=row.profile_code, may_choose=True
        ),
    )


@write_route(
    router.post,
    "/restraint-profiles/{public_id}/versions",
    201,
    RestraintProfileOut,
    summary="Change a profile's limits: makes its next version (episodes keep theirs)",
    audit="a rule profile (change_profile audits the new version)",
)
def new_profile_version(
    request: HttpRequest, public_id: UUID, payload: RestraintProfileChangeIn
) -> Status[RestraintProfileOut]:
    profile = selectors.get_profile_for(
        request.user, public_id, "incidents.restraint_manage_profiles"
    )
    changes = payload.model_dump(exclude_unset=True)
    for name in ("name", "citation"):
        if name in changes and changes[name] is None:
            del changes[name]
    new = services.change_profile(profile, actor=request.user, **changes)
    return Status(201, RestraintProfileOut.of(new))
