"""The behavior area in the JSON API: a person's behavior plan (read, and its end), ABC records
(a cursor list, one create, an optional batch), the chart's numbers and the contract reviews due
on the units the caller sees.

A record carries the device's own ``client_id`` (or an ``Idempotency-Key`` header): a replay
returns the first record and the same id with other details is refused with 409.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal
from uuid import UUID

from django.db import transaction
from django.http import Http404, HttpRequest
from ninja import Field, Query, Router, Schema, Status

from pillars.core import clock, policy
from pillars.core.api_errors import NON_FIELD, READ_ERRORS, error_responses, field_errors
from pillars.core.api_lists import PageOut
from pillars.core.api_routes import write_route
from pillars.core.api_types import Day, Moment, Text
from pillars.core.declare import audited
from pillars.core.entry import Out
from pillars.core.errors import Conflict, ValidationError
from pillars.core.pagination import PageParams, paginate
from pillars.incidents.models import BehaviorPlan, BehaviorRecord
from pillars.incidents.selectors import behavior as selectors
from pillars.incidents.services import behavior as services
from pillars.people import selectors as people_selectors
from pillars.people.models import PersonServed
from pillars.people.selectors import person_zone

router = Router(tags=["behavior"])

LIST_ERRORS = error_responses(401, 403, 404, 422)
MAX_BATCH = 50


class TargetOut(Out):
    public_id: UUID
    key: str
    name: str
    definition: str
    measure: str


class PhaseOut(Schema):
    name: str
    started_on: date


class BehaviorPlanOut(Out):
    public_id: UUID
    person: UUID
    version: int
    status: str
    effective_on: date
    written_by: str
    written_at: datetime
    change_reason: str
    summary: str
    replacement_behaviors: str
    antecedent_strategies: str
    reinforcement_schedule: str
    reinforcement_interval_minutes: int | None
    antecedents: list[str]
    consequences: list[str]
    targets: list[TargetOut]
    phases: list[PhaseOut]
    ended_on: date | None = Field(None, description="The unit's local date the plan ended.")
    ended_at: datetime | None = None
    ended_by: str | None = None
    end_reason: str = ""

    paths = {"written_by": "written_by.display_name", "ended_by": "ended_by.display_name"}

    @staticmethod
    def resolve_phases(plan: BehaviorPlan, context: dict[str, Any]) -> list[PhaseOut]:
        phases: list[PhaseOut] = context["phases"]
        return phases


class PlanEndIn(Schema):
    ended_on: Day = Field(
        description="The unit's local date: not before the plan took effect, not after today."
    )
    reason: Text = Field(min_length=1, max_length=services.MAX_END_REASON)
    version: int | None = Field(
        None, ge=1, description="The version being ended; another version in force is a 409."
    )


class RecordIn(Schema):
    client_id: UUID = Field(description="Made by the device; a replay returns the first record.")
    target: UUID = Field(description="A target behavior of the person's current plan.")
    observed_at: Moment
    antecedent: Text = Field(min_length=1, max_length=300)
    consequence: Text = Field(min_length=1, max_length=300)
    behavior: Text = Field("", max_length=500)
    count: int = Field(1, ge=1, le=services.MAX_COUNT)
    duration_seconds: int | None = Field(None, ge=0, le=services.MAX_DURATION_SECONDS)
    intensity: int | None = Field(None, ge=1, le=5)
    setting: Text = Field("", max_length=120)
    late_reason: Text = Field("", max_length=300)


class RecordOut(Out):
    public_id: UUID
    client_id: UUID
    person: UUID
    target: str
    observed_at: datetime
    recorded_at: datetime
    antecedent: str
    behavior: str
    consequence: str
    count: int
    duration_seconds: int | None
    intensity: int | None
    setting: str
    recorded_by: str
    is_late_entry: bool
    late_reason: str

    paths = {"target": "target.key", "recorded_by": "recorded_by.display_name"}


class RecordPage(PageOut):
    items: list[RecordOut]
    next_cursor: str | None


class RecordFilter(Schema):
    target: str | None = Field(None, max_length=60, description="A target behavior's key.")
    since: Moment | None = Field(None, description="Records observed from this moment.")


class BatchIn(Schema):
    records: list[RecordIn] = Field(min_length=1, max_length=MAX_BATCH)


class BatchOut(Schema):
    records: list[RecordOut]


class ChartFilter(Schema):
    target: str | None = Field(
        None, max_length=60, description="A target behavior's key (the plan's first if absent)."
    )
    by: Literal["day", "shift"] = "day"
    first: Day | None = Field(None, description="The first local date (29 days before last).")
    last: Day | None = Field(None, description="The last local date (today on the unit).")


class BucketOut(Out):
    label: str
    day: date
    shift: str
    start: datetime
    end: datetime
    total: int
    entries: int
    phase: str


class ChartOut(Schema):
    target: str
    by: str
    zone: str
    first: date
    last: date
    buckets: list[BucketOut]
    phase_changes: list[PhaseOut]


def _phases(person: PersonServed, user: Any) -> list[PhaseOut]:
    return [
        PhaseOut(name=p.name, started_on=p.started_on) for p in selectors.phases_of(person, user)
    ]


@router.get(
    "/persons/{public_id}/behavior-plan",
    response={200: BehaviorPlanOut, **READ_ERRORS},
    summary="A person's current behavior plan with its targets and phases",
    description="When the plan has ended and no new one is in force, the ended version "
    'is answered with status "ended" (nothing is recorded against it).',
)
@audited("reads a person's behavior plan (audited by get_person_for)")
def person_plan(request: HttpRequest, public_id: UUID) -> Status[BehaviorPlanOut]:
    person = people_selectors.get_person_for(
        request.user, public_id, "incidents.view_behavior", what="api behavior plan"
    )
    plan = selectors.current_plan(person, request.user) or selectors.ended_plan(
        person, request.user
    )
    if plan is None:
        raise Http404("This person has no behavior plan.")
    return Status(200, BehaviorPlanOut.of(plan, phases=_phases(person, request.user)))


@write_route(
    router.post,
    "/persons/{public_id}/behavior-plan/end",
    200,
    BehaviorPlanOut,
    summary="End a person's current behavior plan (its open contracts end with it)",
    audit="ends a behavior plan (get_person_for and end_plan audit)",
)
def end_plan(request: HttpRequest, public_id: UUID, payload: PlanEndIn) -> Status[BehaviorPlanOut]:
    person = people_selectors.get_person_for(
        request.user, public_id, "incidents.write_behavior_plan", what="api end behavior plan"
    )
    ended = services.end_plan(
        person,
        actor=request.user,
        **payload.model_dump(),
    )
    return Status(200, BehaviorPlanOut.of(ended, phases=_phases(person, request.user)))


@router.get(
    "/persons/{public_id}/behavior-records",
    response={200: RecordPage, **LIST_ERRORS},
    summary="A person's ABC records, oldest first (cursor pages)",
)
@audited("a person's behavior records (get_person_for and one audited read per page)")
def person_records(
    request: HttpRequest, public_id: UUID, filters: Query[RecordFilter], page: Query[PageParams]
) -> RecordPage:
    person = people_selectors.get_person_for(
        request.user, public_id, "incidents.view_behavior", what="api behavior records"
    )
    qs = selectors.records_of(
        request.user, person, key=filters.target or "", since=filters.since
    ).select_related("person")
    result = paginate(qs, page, order=("observed_at",))
    selectors.record_records_read(request.user, person, result.items)
    return RecordPage.of(result)


def _create(request: HttpRequest, person: PersonServed, payload: RecordIn) -> BehaviorRecord:
    # A target of a plan that has ended is found, so the service refuses it with a reason (422).
    target = selectors.get_target_for(person, payload.target, ended=True)
    return services.record_behavior(
        person,
        actor=request.user,
        target=target,
        **payload.model_dump(exclude={"target"}),
    )


@write_route(
    router.post,
    "/persons/{public_id}/behavior-records",
    201,
    RecordOut,
    summary="Record one ABC entry",
    audit="records behavior (get_person_for and record_behavior audit)",
)
def create_record(request: HttpRequest, public_id: UUID, payload: RecordIn) -> Status[RecordOut]:
    person = people_selectors.get_person_for(
        request.user, public_id, "incidents.record_behavior", what="api behavior record"
    )
    return Status(201, RecordOut.of(_create(request, person, payload)))


@write_route(
    router.post,
    "/persons/{public_id}/behavior-records/batch",
    201,
    BatchOut,
    summary="Record several ABC entries at once (a device's queue); all or none are stored",
    audit="records several behavior entries (get_person_for and record_behavior audit)",
    description="Each entry carries its own client_id, so a replayed batch stores nothing new.",
)
def create_batch(request: HttpRequest, public_id: UUID, payload: BatchIn) -> Status[BatchOut]:
    person = people_selectors.get_person_for(
        request.user, public_id, "incidents.record_behavior", what="api behavior batch"
    )
    with transaction.atomic():
        records = [
            _entry_of_batch(request, person, n, item) for n, item in enumerate(payload.records)
        ]
    return Status(201, BatchOut(records=[RecordOut.of(r) for r in records]))


def _entry_of_batch(
    request: HttpRequest, person: PersonServed, n: int, item: RecordIn
) -> BehaviorRecord:
    """One entry of a batch; a refusal names the entry by its index (``records.2.late_reason``,
    as a schema error does), so the device can set that entry aside and resend the rest: the
    batch is stored all or none, and a refusal that named no entry came back on every resend."""
    try:
        return _create(request, person, item)
    except ValidationError as error:
        raise ValidationError(
            {
                f"records.{n}" if name == NON_FIELD else f"records.{n}.{name}": messages
                for name, messages in field_errors(error).items()
            }
        ) from None
    except Conflict as clash:
        raise Conflict(f"Entry records.{n}: {clash.message}") from None


@router.get(
    "/persons/{public_id}/behavior-chart",
    response={200: ChartOut, **LIST_ERRORS},
    summary="Counts of one target behavior per local day or shift, with phase changes",
)
@audited("a person's behavior chart (audited by get_person_for)")
def person_chart(request: HttpRequest, public_id: UUID, filters: Query[ChartFilter]) -> ChartOut:
    person = people_selectors.get_person_for(
        request.user, public_id, "incidents.view_behavior", what="api behavior chart"
    )
    keys = list(selectors.targets_by_key(person, request.user))
    key = filters.target or (keys[0] if keys else "")
    if key not in keys:
        raise Http404("No such target behavior for this person.")
    zone = str(person_zone(person))
    last = filters.last or clock.today_in(zone)
    first = filters.first or date.fromordinal(last.toordinal() - 29)
    by = selectors.SHIFTS if filters.by == "shift" else selectors.DAYS
    chart = selectors.chart_for(
        person, key, zone=zone, first=first, last=last, by=by, user=request.user
    )
    return ChartOut(
        target=key,
        by=by,
        zone=zone,
        first=chart.first,
        last=chart.last,
        buckets=[BucketOut.of(b) for b in chart.buckets],
        phase_changes=[PhaseOut(name=name, started_on=on) for _, name, on in chart.phase_lines],
    )


class ReviewsDueFilter(Schema):
    unit: UUID | None = Field(None, description="One unit; every unit the caller sees if absent.")


class ReviewDueOut(Out):
    contract: UUID
    person: UUID
    person_name: str
    unit: UUID
    unit_name: str
    plan_version: int
    review_on: date = Field(description="Due from this date, in the unit's own calendar.")
    days_due: int
    renewal_awaiting: bool = Field(description="A new contract awaits signatures.")

    paths = {
        "person": "contract.person",
        "person_name": "contract.person.display_name",
        "unit_name": "unit.name",
        "plan_version": "contract.plan.version",
        "review_on": "contract.review_on",
    }


@router.get(
    "/behavior-contracts/reviews-due",
    response={200: list[ReviewDueOut], **LIST_ERRORS},
    summary="Behavior contracts in force whose review date has come, oldest first",
)
@audited("behavior contract reviews due on the units the caller sees (one audited list read)")
def reviews_due(request: HttpRequest, filters: Query[ReviewsDueFilter]) -> list[ReviewDueOut]:
    policy.require(request.user, "incidents.view_behavior")
    if filters.unit is not None:
        units = [
            people_selectors.get_unit_for(request.user, filters.unit, "incidents.view_behavior")
        ]
    else:
        units = selectors.review_units(request.user)
    rows = selectors.contract_reviews_due(request.user, units)
    people_selectors.record_list_read(
        request.user, [r.contract.person for r in rows], what="api behavior contract reviews due"
    )
    return [ReviewDueOut.of(r) for r in rows]
