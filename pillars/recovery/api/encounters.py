"""Peer encounters in the JSON API: the encounters the caller may read (by person), recording
and signing one (replay-safe by client_id), one encounter with its addenda and flags, adding an
addendum, and the scope-guard check of a note's words."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from pillars.core import policy
from pillars.core.api_errors import WRITE_ERRORS, error_responses
from pillars.core.api_lists import PageOut
from pillars.core.api_routes import audited_write
from pillars.core.api_types import Moment, Text
from pillars.core.declare import audit_exempt, audited
from pillars.core.entry import Out, named_in
from pillars.core.idempotency import idempotent
from pillars.core.pagination import PageParams, paginate
from pillars.people import hooks
from pillars.people import selectors as people_selectors
from pillars.recovery.models.encounters import Encounter, Modality, Setting
from pillars.recovery.models.plans import Goal
from pillars.recovery.selectors import encounters as selectors
from pillars.recovery.selectors.person_reads import readable_part
from pillars.recovery.services import encounters as services

router = Router(tags=["recovery"])

READ_ERRORS = error_responses(401, 403, 404, 422)
NARRATIVE_MAX = services.MAX_TEXT


class EncounterFlagOut(Out):
    field: str
    term: str
    matched: str
    category: str
    suggestion: str


class EncounterAddendumOut(Out):
    public_id: UUID
    written_by: str
    signer_credential: str
    written_at: datetime
    reason: str
    text: str

    paths = {"written_by": "written_by.display_name"}


class EncounterOut(Out):
    public_id: UUID
    person: UUID
    status: str
    group: UUID | None
    attended: bool
    modality: str
    setting: str
    started_at: datetime
    minutes: int
    billing_units: int | None
    service_code: str
    goal: UUID | None
    activities: list[str]
    what_was_done: str
    purpose: str
    person_response: str
    next_steps: str
    written_with_person: bool
    written_by: str
    signer_credential: str
    signed_at: datetime
    void_reason: str

    paths = {"written_by": "written_by.display_name"}

    @staticmethod
    def resolve_goal(e: Encounter, context: dict[str, Any]) -> UUID | None:
        # A goal written in a Part 2 program is named only to a reader of its label.
        goal = readable_part(context.get("reader"), e.goal) if "reader" in context else e.goal
        return goal.public_id if goal is not None else None

    @staticmethod
    def resolve_activities(e: Encounter) -> list[str]:
        return [a.code for a in e.activities.all()]


class EncounterDetailOut(EncounterOut):
    flags: list[EncounterFlagOut]
    addenda: list[EncounterAddendumOut]
    floor_warnings: list[str] = Field(
        default_factory=list,
        description="On a billed encounter: the floor gate's warnings it let through (a lapsed "
        "certification under a rule that warns); a rule that blocks answers 422.",
    )


class EncounterPage(PageOut):
    items: list[EncounterOut]
    next_cursor: str | None


class EncounterFilter(Schema):
    person: UUID | None = Field(None, description="Only this person's encounters.")


class EncounterIn(Schema):
    person: UUID
    modality: Modality
    setting: Setting
    started_at: Moment
    minutes: int = Field(ge=1, le=services.MAX_MINUTES)
    activities: list[Text] = Field(default_factory=list, max_length=20)
    goal: UUID | None = None
    what_was_done: str = Field(min_length=1, max_length=NARRATIVE_MAX)
    purpose: str = Field("", max_length=NARRATIVE_MAX)
    person_response: str = Field("", max_length=NARRATIVE_MAX)
    next_steps: str = Field("", max_length=NARRATIVE_MAX)
    written_with_person: bool = False
    credential: Text = Field("", max_length=100, description="Blank: the signer's job title.")
    client_id: UUID | None = Field(None, description="Replay key made by the device.")


class EncounterAddendumIn(Schema):
    reason: Text = Field(min_length=1, max_length=300)
    text: str = Field(min_length=1, max_length=NARRATIVE_MAX)
    client_id: UUID | None = Field(None, description="Optional replay key made by the client.")


class LanguageCheckIn(Schema):
    client_id: UUID | None = Field(None, description="Optional replay key made by the client.")
    what_was_done: str = Field("", max_length=NARRATIVE_MAX)
    purpose: str = Field("", max_length=NARRATIVE_MAX)
    person_response: str = Field("", max_length=NARRATIVE_MAX)
    next_steps: str = Field("", max_length=NARRATIVE_MAX)


class LanguageFlagOut(Out):
    field: str
    term: str
    matched: str
    category: str
    suggestion: str


class LanguageCheckOut(Schema):
    flags: list[LanguageFlagOut]


@router.get(
    "/encounters",
    response={200: EncounterPage, **READ_ERRORS},
    summary="Peer encounters the caller may read, oldest first, cursor pages",
)
@audited("a list of peer encounters (one audited read per page)")
def list_encounters(
    request: HttpRequest, filters: Query[EncounterFilter], page: Query[PageParams]
) -> EncounterPage:
    policy.require(request.user, "recovery.view_encounter")
    person = None
    if filters.person is not None:
        person = people_selectors.get_person_for(
            request.user, filters.person, "recovery.view_encounter", what="api encounters"
        )
    qs = selectors.encounters_visible_to(request.user, person=person)
    result = paginate(qs, page, order=("started_at",))
    people_selectors.record_list_read(
        request.user,
        list({e.person.pk: e.person for e in result.items}.values()),
        what="api encounter list",
    )
    return EncounterPage.of(result, reader=request.user)


@router.post(
    "/encounters",
    response={201: EncounterDetailOut, **WRITE_ERRORS},
    summary="Record and sign a peer encounter (a replayed client_id returns the first)",
)
@audited_write("records a peer encounter (audited by get_person_for and record_encounter)")
def create_encounter(request: HttpRequest, payload: EncounterIn) -> Status[EncounterDetailOut]:
    person = people_selectors.get_person_for(
        request.user, payload.person, "recovery.write_encounter", what="api encounter"
    )
    goal = None
    if payload.goal is not None:
        goals = selectors.goals_for(person, request.user)
        goal = named_in(
            goals, "goal", payload.goal, "Choose one of this person's goals being worked on."
        )
    encounter = services.record_encounter(
        person,
        actor=request.user,
        modality=str(payload.modality),
        setting=str(payload.setting),
        goal=goal if isinstance(goal, Goal) else None,
        **payload.model_dump(exclude={"person", "modality", "setting", "goal"}),
    )
    encounter = selectors.get_encounter_for(
        request.user, encounter.public_id, what="api encounter signed"
    )
    out = EncounterDetailOut.of(encounter, reader=request.user)
    if encounter.billing_units:
        out.floor_warnings = hooks.floor_warnings(
            encounter.written_by, hooks.FloorTask.BILLABLE_PEER_SERVICE
        )
    return Status(201, out)


@router.post(
    "/encounters/language-check",
    response={200: LanguageCheckOut, **error_responses(401, 403, 409, 422)},
    summary="Mark clinical language in a note's words and suggest peer wording (never blocks)",
)
@audit_exempt("checks words against the scope-guard list; reads no record")
# A POST like every other, so it takes the same replay key (harmless: it writes nothing).
@idempotent
def language_check(request: HttpRequest, payload: LanguageCheckIn) -> LanguageCheckOut:
    policy.require(request.user, "recovery.check_language")
    flags = services.check_language(payload.model_dump(exclude={"client_id"}))
    return LanguageCheckOut(flags=[LanguageFlagOut.of(f) for f in flags])


@router.get(
    "/encounters/{public_id}",
    response={200: EncounterDetailOut, **READ_ERRORS},
    summary="One peer encounter with its flags and addenda",
)
@audited("reads a peer encounter (audited by get_encounter_for)")
def get_encounter(request: HttpRequest, public_id: UUID) -> EncounterDetailOut:
    return EncounterDetailOut.of(
        selectors.get_encounter_for(request.user, public_id, what="api encounter"),
        reader=request.user,
    )


@router.post(
    "/encounters/{public_id}/addenda",
    response={201: EncounterAddendumOut, **WRITE_ERRORS},
    summary="Add an addendum to one's own signed encounter",
)
@audited_write("adds an addendum (audited by get_encounter_for and add_addendum)")
def add_addendum(
    request: HttpRequest, public_id: UUID, payload: EncounterAddendumIn
) -> Status[EncounterAddendumOut]:
    encounter = selectors.get_encounter_for(
        request.user, public_id, "recovery.add_encounter_addendum", what="api addendum"
    )
    a = services.add_addendum(
        encounter, actor=request.user, reason=payload.reason, text=payload.text
    )
    return Status(201, EncounterAddendumOut.of(a))
