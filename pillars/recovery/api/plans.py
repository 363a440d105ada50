"""Wellness plans and recovery goals in the JSON API: plan versions (list, one, saving the
draft, signing it), goals (list, create) and progress notes (replay-safe by ``client_id``)."""

from __future__ import annotations

from datetime import date, datetime
from functools import partial
from uuid import UUID

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from pillars.core.api_errors import WRITE_ERRORS
from pillars.core.api_routes import audited_write, record_read
from pillars.core.api_types import Day, Text
from pillars.core.entry import Out
from pillars.core.plan_api import PlanDraftIn, PlanSignIn, PlanVersionOut, PlanWrites
from pillars.people import selectors as people_selectors
from pillars.people.records_api import person_records
from pillars.recovery.models.plans import (
    LifeDomain,
    WellnessPersonSignature,
    WellnessPlanVersion,
)
from pillars.recovery.selectors import plans as selectors
from pillars.recovery.services import plans as services

router = Router(tags=["recovery"])


class WellnessEntryOut(Schema):
    text: str


class WellnessSectionOut(Schema):
    code: str
    label: str
    part: str
    entries: list[WellnessEntryOut]


class WellnessVersionOut(PlanVersionOut):
    public_id: UUID
    person: UUID
    number: int
    status: str
    review_on: date
    based_on: UUID | None
    sections: list[WellnessSectionOut]
    drafted_by: str
    drafted_at: datetime
    person_signature: str
    person_signed_name: str
    person_signed_at: datetime | None
    signed_by: str | None
    signed_at: datetime | None

    @staticmethod
    def resolve_sections(v: WellnessPlanVersion) -> list[WellnessSectionOut]:
        return [
            WellnessSectionOut(
                code=s["code"],
                label=s["label"],
                part=part["title"],
                entries=[WellnessEntryOut(text=e.get("text", "")) for e in s["entries"]],
            )
            for part in v.parts()
            for s in part["sections"]
        ]


class WellnessEntryIn(Schema):
    text: Text = Field("", max_length=400)


class WellnessDraftIn(PlanDraftIn):
    review_on: Day
    sections: dict[str, list[WellnessEntryIn]] = Field(
        description="Entries by section code (toolbox, when_well, every_day, might_do, "
        "triggers, early_warning, breaking_down, crisis, after_crisis).",
        max_length=12,
    )


class WellnessSignIn(PlanSignIn):
    person_signature: WellnessPersonSignature


class GoalStepOut(Out):
    public_id: UUID
    text: str
    target_on: date | None
    is_done: bool
    done_on: date | None


class GoalProgressOut(Out):
    public_id: UUID
    noted_on: date
    note: str
    attainment: int | None
    steps_done: int
    steps_total: int
    by_person: bool
    recorded_by: str | None
    recorded_at: datetime

    paths = {"recorded_by": "recorded_by.display_name"}


class GoalOut(Out):
    public_id: UUID
    person: UUID
    domain: str
    statement: str
    status: str
    target_on: date | None
    created_at: datetime
    percent_steps_done: int | None
    steps: list[GoalStepOut]
    progress: list[GoalProgressOut]

    paths = {"percent_steps_done": "percent_done", "progress": "progress_notes"}


class GoalStepIn(Schema):
    text: Text = Field(..., min_length=1, max_length=300)
    target_on: Day | None = None


class GoalIn(Schema):
    domain: LifeDomain
    statement: Text = Field(..., min_length=1, max_length=500)
    target_on: Day | None = None
    steps: list[GoalStepIn] = Field(default_factory=list, max_length=20)
    client_id: UUID | None = Field(None, description="Optional replay key made by the client.")


class GoalProgressIn(Schema):
    note: Text = Field(..., min_length=1, max_length=2000)
    noted_on: Day | None = None
    attainment: int | None = Field(None, ge=1, le=5, description="1 just starting, 5 achieved.")
    by_person: bool = Field(False, description="The person wrote the note themselves.")
    client_id: UUID | None = Field(
        None, description="A UUID the device makes: sending it again returns the first note."
    )


person_records(
    router,
    "/recovery/persons/{public_id}/wellness-plan/versions",
    WellnessVersionOut,
    lambda person, user: selectors.versions_of(person, user).select_related("based_on", "person"),
    name="plan_versions",
    action="recovery.view_wellness_plan",
    what="api wellness plan versions",
    summary="Every version of a person's wellness plan, newest first",
    audit="reads a person's wellness plan versions (audited by get_person_for)",
)


record_read(
    router,
    "/recovery/wellness-plans/{public_id}",
    WellnessVersionOut,
    partial(selectors.get_version_for, what="api wellness plan"),
    name="plan_version",
    summary="One version of a wellness plan",
    audit="reads one wellness plan version (audited by get_version_for)",
)


PlanWrites(
    plan_name="wellness plan",
    module=__name__,
    out=WellnessVersionOut,
    draft_in=WellnessDraftIn,
    sign_in=WellnessSignIn,
    draft_path="/recovery/persons/{public_id}/wellness-plan/draft",
    sign_path="/recovery/wellness-plans/{public_id}/sign",
    draft_summary="Save the draft of the wellness plan's next version (created when there is none)",
    sign_summary="Sign a draft with the person; it becomes their plan and never changes",
    versions=services.PLANS,
    get_person=people_selectors.get_person_for,
    get_version=selectors.get_version_for,
    save=services.save_wellness_draft,
    sign=services.sign_wellness_plan,
).add_to(router, WRITE_ERRORS)


person_records(
    router,
    "/recovery/persons/{public_id}/goals",
    GoalOut,
    selectors.goals_of,
    name="goals",
    action="recovery.view_goals",
    what="api recovery goals",
    summary="A person's recovery goals with their steps and progress notes",
    audit="reads a person's recovery goals (audited by get_person_for)",
)


@router.post(
    "/recovery/persons/{public_id}/goals",
    response={201: GoalOut, **WRITE_ERRORS},
    summary="Set a goal the person chose, with its first steps",
)
@audited_write("creates a recovery goal (audited by get_person_for and create_goal)")
def create_goal(request: HttpRequest, public_id: UUID, payload: GoalIn) -> Status[GoalOut]:
    person = people_selectors.get_person_for(
        request.user, public_id, "recovery.write_goals", what="api new recovery goal"
    )
    goal = services.create_goal(
        person,
        actor=request.user,
        domain=str(payload.domain),
        statement=payload.statement,
        target_on=payload.target_on,
        steps=[s.model_dump() for s in payload.steps],
    )
    fresh = selectors.goals_of(person).get(pk=goal.pk)
    return Status(201, GoalOut.of(fresh))


@router.post(
    "/recovery/goals/{public_id}/progress",
    response={201: GoalProgressOut, **WRITE_ERRORS},
    summary="Record progress on a goal in the person's words (replay-safe by client_id)",
)
@audited_write("records progress on a goal (audited by get_goal_for and record_goal_progress)")
def record_progress(
    request: HttpRequest, public_id: UUID, payload: GoalProgressIn
) -> Status[GoalProgressOut]:
    goal = selectors.get_goal_for(
        request.user, public_id, "recovery.record_goal_progress", what="api goal progress"
    )
    progress = services.record_goal_progress(
        goal,
        actor=request.user,
        **payload.model_dump(),
    )
    return Status(201, GoalProgressOut.of(progress))
