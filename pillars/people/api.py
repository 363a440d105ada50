"""The people part of the JSON API: persons served, episodes of care, units and census, staff.

Handlers are thin: a schema parses, a selector fetches (404 out of scope, 403 not allowed, person
reads audited), one service writes. Schemas name records by public id only; integer keys never
leave the server. Writes from devices are idempotent (``pillars.core.idempotency``).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from django.http import Http404, HttpRequest
from ninja import Field, Query, Router, Schema, Status

from pillars.core import clock, policy
from pillars.core.api_errors import READ_ERRORS
from pillars.core.api_lists import PageOut
from pillars.core.api_routes import write_route
from pillars.core.api_types import Day, Moment, Text
from pillars.core.declare import audit_exempt, audited
from pillars.core.entry import Out, optional_named_in
from pillars.core.errors import invalid
from pillars.core.pagination import PageParams, paginate
from pillars.people import selectors, services
from pillars.people.choices import Disposition
from pillars.people.models import Bed, Episode, PersonServed, Placement, Staff, Unit

router = Router(tags=["people"])


# --- Schemas -----------------------------------------------------------------------------------


class UnitBrief(Out):
    public_id: UUID
    name: str
    code: str


class BedBrief(Out):
    public_id: UUID
    room: str
    label: str

    paths = {"room": "room.name"}


class PlacementOut(Out):
    """Where the person was (or is) during part of an episode."""

    public_id: UUID
    unit: UnitBrief
    bed: BedBrief | None
    started_at: datetime
    ended_at: datetime | None
    reason: str


class EpisodeOut(Out):
    """One episode of care; ``placement`` is the current one (the last one after discharge)."""

    public_id: UUID
    person_id: UUID
    admitted_at: datetime
    discharged_at: datetime | None
    disposition: str
    placement: PlacementOut | None

    paths = {"person_id": "person.public_id"}

    @staticmethod
    def resolve_placement(episode: Episode, context: dict[str, Any]) -> Placement | None:
        placement: Placement | None = context["placement"]
        return placement


class PersonSummary(Out):
    """A person served as a list shows them."""

    public_id: UUID
    record_number: str
    display_name: str
    legal_given_name: str
    legal_family_name: str
    preferred_name: str
    pronouns: str
    date_of_birth: date


class PersonOut(PersonSummary):
    """A person served with their current episode of care, if they have one (``of`` takes the
    current ``placement``)."""

    current_episode: EpisodeOut | None

    @staticmethod
    def resolve_current_episode(person: PersonServed, context: dict[str, Any]) -> Episode | None:
        placement: Placement | None = context["placement"]
        return placement.episode if placement else None


class PersonPage(PageOut):
    items: list[PersonSummary]
    next_cursor: str | None


class PersonIn(Schema):
    """A new person served."""

    record_number: Text = Field(..., min_length=1, max_length=32)
    legal_given_name: Text = Field(..., min_length=1, max_length=100)
    legal_family_name: Text = Field(..., min_length=1, max_length=100)
    preferred_name: Text = Field("", max_length=100)
    pronouns: Text = Field("", max_length=40)
    date_of_birth: Day
    client_id: UUID | None = Field(None, description="Idempotency key (or the header).")


class PersonPatch(Schema):
    """Changes to a person's demographics; only the fields sent change."""

    record_number: Text | None = Field(None, min_length=1, max_length=32)
    legal_given_name: Text | None = Field(None, min_length=1, max_length=100)
    legal_family_name: Text | None = Field(None, min_length=1, max_length=100)
    preferred_name: Text | None = Field(None, max_length=100)
    pronouns: Text | None = Field(None, max_length=40)
    date_of_birth: Day | None = None
    client_id: UUID | None = Field(None, description="Idempotency key (or the header).")


class AdmitIn(Schema):
    unit: UUID = Field(..., description="The unit's public id.")
    bed: UUID | None = Field(None, description="A free bed on that unit (public id).")
    admitted_at: Moment | None = Field(None, description="Defaults to now.")
    client_id: UUID | None = None


class AdmissionIn(AdmitIn):
    """A returning person, named by exact record number, to admit to one of the caller's units."""

    record_number: Text = Field(
        ..., min_length=1, max_length=32, description="The exact record number (case counts)."
    )


class TransferIn(Schema):
    unit: UUID
    bed: UUID | None = None
    moved_at: Moment | None = None
    reason: Text = Field("", max_length=200)
    client_id: UUID | None = None


class DischargeIn(Schema):
    disposition: Disposition
    discharged_at: Moment | None = None
    client_id: UUID | None = None


class UnitOut(Out):
    public_id: UUID
    name: str
    code: str
    kind: str
    site: str
    time_zone: str
    bed_count: int
    is_active: bool
    is_substance_use_program: bool

    paths = {"site": "site.name"}


class CensusRow(Schema):
    person: PersonSummary
    episode_id: UUID
    placement_id: UUID
    bed: BedBrief | None
    since: datetime


class CensusOut(Schema):
    """Who was on the unit at a moment."""

    unit: UnitBrief
    at: datetime
    items: list[CensusRow]


class StaffOut(Out):
    """A staff member; lived experience only when they have chosen to share it."""

    public_id: UUID
    display_name: str
    job_title: str
    roles: list[str]
    units: list[UnitBrief]
    languages: list[str]
    lived_experience: list[str]
    supervisor_id: UUID | None

    @staticmethod
    def resolve_roles(staff: Staff) -> list[str]:
        return sorted(role.code for role in staff.roles.all())

    @staticmethod
    def resolve_units(staff: Staff) -> list[Unit]:
        return list(staff.home_units.all())

    @staticmethod
    def resolve_languages(staff: Staff) -> list[str]:
        return [str(lang) for lang in staff.languages]

    @staticmethod
    def resolve_lived_experience(staff: Staff) -> list[str]:
        return [str(item) for item in staff.visible_lived_experience()]

    @staticmethod
    def resolve_supervisor_id(staff: Staff) -> Staff | None:
        return staff.supervisor


class StaffPage(PageOut):
    items: list[StaffOut]
    next_cursor: str | None


class SearchParams(Schema):
    q: Text = Field("", max_length=100, description="Words to look for in names and numbers.")


class PersonFilter(SearchParams):
    unit: UUID | None = Field(None, description="Only persons on this unit now (public id).")


class CensusParams(Schema):
    at: Moment | None = Field(None, description="The moment (ISO 8601 with offset); now if absent.")


# --- Helpers: references in a body are bad input when they name nothing the caller may use ------


def _unit_in_body(request: HttpRequest, public_id: UUID, action: str) -> Unit:
    try:
        return selectors.get_unit_for(request.user, public_id, action)
    except Http404:
        raise invalid("unit", "There is no such unit, or it is not yours to use.") from None


def _transfer_unit_in_body(request: HttpRequest, public_id: UUID) -> Unit:
    # Any active unit of the organization can receive a transfer: the sending unit decides (as
    # on the pages).
    unit = next(
        (u for u in selectors.transfer_units(request.user) if u.public_id == public_id), None
    )
    if unit is None:
        raise invalid("unit", "There is no such unit, or it is not taking transfers.")
    return unit


def _bed_in_body(unit: Unit, public_id: UUID | None) -> Bed | None:
    return optional_named_in(
        selectors.beds_of(unit), "bed", public_id, f"There is no such bed on {unit}."
    )


def _episode(request: HttpRequest, public_id: UUID, action: str) -> Episode:
    return selectors.get_episode_for(request.user, public_id, action)


def _last_placement(episode: Episode) -> Placement | None:
    return selectors.last_placement(episode)


# --- Persons served ----------------------------------------------------------------------------


@router.get("/persons", response={200: PersonPage, **READ_ERRORS}, summary="List persons served")
@audited("lists persons served; one audit event per page with the persons shown")
def list_persons(
    request: HttpRequest, filters: Query[PersonFilter], page: Query[PageParams]
) -> PersonPage:
    # A role that may never list persons is refused outright, as on the pages, rather than
    # shown an empty list it might mistake for an empty unit.
    policy.require(request.user, "people.list_persons")
    unit = selectors.get_unit_for(request.user, filters.unit) if filters.unit else None
    people = selectors.persons_visible_to(request.user, search=filters.q.strip(), unit=unit)
    result = paginate(people, page, order=("legal_family_name", "legal_given_name"))
    selectors.record_list_read(
        request.user,
        result.items,
        what="api person list",
        detail={"q": filters.q[:100], "unit": str(filters.unit) if filters.unit else None},
    )
    return PersonPage.of(result)


@router.get(
    "/persons/{public_id}", response={200: PersonOut, **READ_ERRORS}, summary="One person served"
)
@audited("reads one person served (audited by get_person_for)")
def get_person(request: HttpRequest, public_id: UUID) -> PersonOut:
    person = selectors.get_person_for(request.user, public_id, what="api record")
    return PersonOut.of(person, placement=selectors.current_placement(person))


@write_route(
    router.post,
    "/persons",
    201,
    PersonOut,
    summary="Register a person served",
    audit="registers a person served (audited by create_person)",
)
def create_person(request: HttpRequest, payload: PersonIn) -> Status[PersonOut]:
    person = services.create_person(actor=request.user, **payload.model_dump(exclude={"client_id"}))
    return Status(201, PersonOut.of(person, placement=None))


@write_route(
    router.patch,
    "/persons/{public_id}",
    200,
    PersonOut,
    summary="Change a person's demographics",
    audit="changes a person served (audited by get_person_for and update_person)",
)
def update_person(request: HttpRequest, public_id: UUID, payload: PersonPatch) -> Status[PersonOut]:
    person = selectors.get_person_for(
        request.user, public_id, "people.edit_person", what="api update"
    )
    changes = payload.model_dump(exclude_unset=True, exclude={"client_id"})
    person = services.update_person(person, actor=request.user, **changes)
    return Status(200, PersonOut.of(person, placement=selectors.current_placement(person)))


@write_route(
    router.post,
    "/persons/{public_id}/admit",
    201,
    EpisodeOut,
    summary="Admit a person served to a unit",
    audit="admits a person served (audited by get_person_for and admit_person)",
)
def admit(request: HttpRequest, public_id: UUID, payload: AdmitIn) -> Status[EpisodeOut]:
    person = selectors.get_person_for(request.user, public_id, "people.admit", what="api admit")
    return _admit(request, person, payload)


def _admit(request: HttpRequest, person: PersonServed, payload: AdmitIn) -> Status[EpisodeOut]:
    """Admit to the unit and bed the body names (both routes share it)."""
    unit = _unit_in_body(request, payload.unit, "people.admit")
    bed = _bed_in_body(unit, payload.bed)
    episode = services.admit_person(
        person, actor=request.user, unit=unit, bed=bed, admitted_at=payload.admitted_at
    )
    return Status(201, EpisodeOut.of(episode, placement=_last_placement(episode)))


@write_route(
    router.post,
    "/admissions",
    201,
    EpisodeOut,
    summary="Admit a returning person by record number",
    audit="admits a person found by exact record number (lookup and admit_person audited)",
    description=(
        "For a person served who is registered but not admitted anywhere (so on no one's unit). "
        "404 when no person has that exact record number or they are admitted now; the answer "
        "does not say which. Every lookup is audited."
    ),
)
def admit_by_record_number(request: HttpRequest, payload: AdmissionIn) -> Status[EpisodeOut]:
    lookup = selectors.lookup_for_admission(request.user, payload.record_number)
    person = lookup.person
    if person is None:
        # Nobody has that number, or they are admitted now: the answer does not say which.
        raise Http404("Not found")
    return _admit(request, person, payload)


# --- Episodes: transfer and discharge ----------------------------------------------------------


@write_route(
    router.post,
    "/episodes/{public_id}/transfer",
    200,
    EpisodeOut,
    summary="Move a person to another unit or bed",
    audit="transfers a person served (audited by transfer_person)",
)
def transfer(request: HttpRequest, public_id: UUID, payload: TransferIn) -> Status[EpisodeOut]:
    episode = _episode(request, public_id, "people.transfer")
    unit = _transfer_unit_in_body(request, payload.unit)
    bed = _bed_in_body(unit, payload.bed)
    placement = services.transfer_person(
        episode,
        actor=request.user,
        unit=unit,
        bed=bed,
        moved_at=payload.moved_at,
        reason=payload.reason,
    )
    return Status(200, EpisodeOut.of(episode, placement=placement))


@write_route(
    router.post,
    "/episodes/{public_id}/discharge",
    200,
    EpisodeOut,
    summary="Discharge a person: close the episode",
    audit="discharges a person served (audited by discharge_person)",
)
def discharge(request: HttpRequest, public_id: UUID, payload: DischargeIn) -> Status[EpisodeOut]:
    episode = _episode(request, public_id, "people.discharge")
    episode = services.discharge_person(
        episode,
        actor=request.user,
        disposition=payload.disposition.value,
        discharged_at=payload.discharged_at,
    )
    return Status(200, EpisodeOut.of(episode, placement=_last_placement(episode)))


# --- Units and census --------------------------------------------------------------------------


@router.get("/units", response={200: list[UnitOut], **READ_ERRORS}, summary="Units I can see")
@audit_exempt("units: no person-served information")
def list_units(request: HttpRequest) -> list[UnitOut]:
    return [UnitOut.of(unit) for unit in selectors.units_visible_to(request.user).order_by("name")]


@router.get(
    "/units/{public_id}/census",
    response={200: CensusOut, **READ_ERRORS},
    summary="Who is (or was) on a unit",
)
@audited("reads a unit's census; one audit event with the persons shown")
def census(request: HttpRequest, public_id: UUID, params: Query[CensusParams]) -> CensusOut:
    unit = selectors.get_unit_for(request.user, public_id, "people.view_census")
    moment = params.at or clock.now()
    placements = list(selectors.census_at(unit, moment))
    people = [p.episode.person for p in placements]
    selectors.record_list_read(
        request.user,
        people,
        what="api census",
        detail={"unit": unit.code, "at": params.at.isoformat() if params.at else "now"},
    )
    return CensusOut(
        unit=UnitBrief.of(unit),
        at=moment,
        items=[
            CensusRow(
                person=PersonSummary.of(p.episode.person),
                episode_id=p.episode.public_id,
                placement_id=p.public_id,
                bed=BedBrief.of(p.bed) if p.bed else None,
                since=p.started_at,
            )
            for p in placements
        ],
    )


# --- Staff -------------------------------------------------------------------------------------


@router.get("/staff", response={200: StaffPage, **READ_ERRORS}, summary="Staff I can see")
@audit_exempt("staff directory: no person-served information; lived experience only if shared")
def list_staff(
    request: HttpRequest, filters: Query[SearchParams], page: Query[PageParams]
) -> StaffPage:
    staff = selectors.staff_visible_to(request.user, search=filters.q.strip()).prefetch_related(
        "roles", "home_units"
    )
    result = paginate(staff, page, order=("display_name",))
    return StaffPage.of(result)


@router.get(
    "/staff/{public_id}", response={200: StaffOut, **READ_ERRORS}, summary="One staff member"
)
@audit_exempt("staff profile: no person-served information; lived experience only if shared")
def get_staff(request: HttpRequest, public_id: UUID) -> StaffOut:
    return StaffOut.of(selectors.get_staff_for(request.user, public_id))
