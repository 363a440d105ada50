"""Reads in the behavior area, scoped to the user; the chart's aggregation by day or shift.

Counts are bucketed in the unit's own zone from local wall times, so a day that crosses a
daylight-saving change is 23 or 25 real hours long and a night shift 11 or 13, exactly as the
staff lived them (shifts as in rounds: day 07:00-19:00, night 19:00-07:00, a night belonging to
the day it started).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Exists, F, Q, QuerySet, Subquery
from django.http import Http404

from pillars.core import clock, policy, prepared
from pillars.core.entry import get_for, public_id_of
from pillars.incidents.models import (
    BehaviorContract,
    BehaviorPlan,
    BehaviorRecord,
    ContractStatus,
    PlanPhase,
    PlanStatus,
    TargetBehavior,
)
from pillars.people.labels import LABEL_COLUMNS
from pillars.people.models import PersonServed, Placement, Unit

# The unit's zone for a person, as the rest of the area reads it (re-exported for services).
from pillars.people.selectors import (
    record_list_read,
    record_person_read,
    units_visible_to,
)
from pillars.rounds.selectors.integrity import DAY, NIGHT, SHIFT_STARTS, shift_of

DAYS = "day"
SHIFTS = "shift"
MAX_CHART_DAYS = 183


def _plans(person: PersonServed, user: Any) -> QuerySet[BehaviorPlan]:
    """The person's plan versions the user may read (the caller has checked the person; a
    version made in a Part 2 program keeps its label). ``user`` None: a service's own lookup."""
    return policy.readable(BehaviorPlan.objects.filter(person=person), user)


def current_plan(person: PersonServed, user: Any = None) -> BehaviorPlan | None:
    return (
        _plans(person, user)
        .filter(is_current=True)
        .select_related("written_by")
        .prefetch_related("targets")
        .first()
    )


# What the person page's section shows of a version, with the Part 2 label columns (the label
# guard reads them on a row it logs; a deferred column would cost a query).
SUMMARY_FIELDS = (
    "public_id",
    *LABEL_COLUMNS,
    "version",
    "is_current",
    "status",
    "effective_on",
    "ended_on",
    "end_reason",
)


@prepared.stepwise
def latest_plan_summary(
    person: PersonServed, user: Any = None
) -> prepared.Steps[BehaviorPlan | None]:
    """The person's latest plan version (in force or ended) for the person page's section: the
    columns it shows, with its writer's and ender's names as annotations (``written_by_name``,
    ``ended_by_name``). The names, not the whole staff rows, and not the plan's texts: the
    section shows no more, and building them cost more than the query. The phase, the
    contract and the targets are read with it, each only while the plan is in force
    (``_in_force``). Built
    once per reader's labels (``policy.readable_rows``), as the section's other reads are."""

    def build(person_id: int) -> QuerySet[BehaviorPlan]:
        return (
            policy.readable(BehaviorPlan.objects.filter(person_id=person_id), user)
            .only(*SUMMARY_FIELDS)
            .annotate(
                written_by_name=F("written_by__display_name"),
                ended_by_name=F("ended_by__display_name"),
            )
            .order_by("-version")[:1]
        )

    found = yield policy.readable_later("latest behavior plan summary", user, build, person.pk)
    return found[0] if found else None


def _in_force(person_id: int, user: Any) -> QuerySet[BehaviorPlan, Any]:
    """The id of the person's latest plan version the user may read, when that version is in
    force (no row otherwise): what the section shows its phase, contract and targets for,
    asked in SQL so that those reads run with the plan's own (one round trip, not two). The
    same versions as ``latest_plan_summary`` reads, by the same label condition: the reads
    that use it tell nothing the plan's read does not, and open nothing when no plan is in
    force (no disclosure is logged for what the section would not show)."""
    latest = (
        policy.readable(BehaviorPlan.objects.filter(person_id=person_id), user)
        .order_by("-version")
        .values("pk")[:1]
    )
    return BehaviorPlan.objects.filter(pk=Subquery(latest), is_current=True).values("pk")


def latest_phase_later(person: PersonServed, user: Any = None) -> prepared.Pending[PlanPhase]:
    """The person's latest phase the user may read (its name and first day; one phase change a
    day: the day orders them), while their latest plan the user may read is in force; made
    ready to run with other reads."""

    def build(person_id: int) -> QuerySet[PlanPhase]:
        return (
            policy.readable(PlanPhase.objects.filter(person_id=person_id), user)
            .filter(Exists(_in_force(person_id, user)))
            .only("name", "started_on", *LABEL_COLUMNS)
            .order_by("-started_on")[:1]
        )

    return policy.readable_later("latest phase of a plan in force", user, build, person.pk)


def contract_in_force_later(
    person: PersonServed, user: Any = None
) -> prepared.Pending[BehaviorContract]:
    """The contract in force (the latest signed one the user may read) with its review date,
    while their latest plan the user may read is in force; made ready to run with other
    reads."""

    def build(person_id: int) -> QuerySet[BehaviorContract]:
        return (
            policy.readable(
                BehaviorContract.objects.filter(person_id=person_id, status=ContractStatus.SIGNED),
                user,
            )
            .filter(Exists(_in_force(person_id, user)))
            .only("review_on", *LABEL_COLUMNS)
            .order_by("-written_at")[:1]
        )

    return policy.readable_later("contract of a plan in force", user, build, person.pk)


def plan_targets_later(person: PersonServed, user: Any = None) -> prepared.Pending[tuple[str, str]]:
    """The target behaviors of the person's plan in force (``_in_force``) in their order, as
    the name and measure a summary shows, made ready to run with other reads (the plan is
    fixed, so its model's ordering by plan, which joins the plan and its person, is left out).
    A target is part of its plan (its label is the plan's): the plan's read beside it logs
    what a grant or consent opened, so this one is kept per reader (their label condition is
    in it) without a guard of its own."""

    def build(person_id: int) -> QuerySet[TargetBehavior, tuple[str, str]]:
        return (
            TargetBehavior.objects.filter(plan_id__in=_in_force(person_id, user))
            .order_by("sort_order", "name")
            .values_list("name", "measure")
        )

    key = "everything" if user is None else policy.reader_key(policy.actor_for(user))
    return prepared.read_later("targets of a plan in force", key, build, person.pk)


def ended_plan(person: PersonServed, user: Any = None) -> BehaviorPlan | None:
    """The person's last version when it ended and no plan is in force since."""
    last = (
        _plans(person, user)
        .select_related("written_by", "ended_by")
        .prefetch_related("targets")
        .order_by("-version")
        .first()
    )
    return last if last is not None and last.is_ended else None


def plan_history(person: PersonServed, user: Any = None) -> list[BehaviorPlan]:
    """Every version the user may read, newest first, each with its targets."""
    return list(
        _plans(person, user)
        .select_related("written_by", "ended_by")
        .prefetch_related("targets")
        .order_by("-version")
    )


def phases_of(person: PersonServed, user: Any = None) -> list[PlanPhase]:
    return list(
        policy.readable(PlanPhase.objects.filter(person=person), user).select_related("set_by")
    )


def phase_on(phases: list[PlanPhase], day: date) -> PlanPhase | None:
    found = None
    for phase in phases:
        if phase.started_on <= day:
            found = phase
    return found


def contracts_of(person: PersonServed, user: Any = None) -> list[BehaviorContract]:
    return list(
        policy.readable(BehaviorContract.objects.filter(person=person), user).select_related(
            "written_by", "staff_signed_by", "person_witnessed_by", "plan"
        )
    )


OPEN_CONTRACTS = (ContractStatus.AWAITING, ContractStatus.SIGNED)


def contract_in_force(contracts: Iterable[BehaviorContract]) -> BehaviorContract | None:
    return next((c for c in contracts if c.status == ContractStatus.SIGNED), None)


def targets_by_key(person: PersonServed, user: Any = None) -> dict[str, TargetBehavior]:
    """Each target key the person's plans have ever had, named as its latest version names it."""
    found: dict[str, TargetBehavior] = {}
    targets = policy.readable(TargetBehavior.objects.filter(plan__person=person), user)
    for target in targets.order_by("plan__version"):
        found[target.key] = target
    return found


def get_contract_for(user: Any, public_id: Any, action: str) -> BehaviorContract:
    contract = get_for(
        BehaviorContract.objects.select_related("person", "plan"), user, public_id, action
    )
    record_person_read(user, contract, contract.person, what="behavior contract")
    return contract


def get_record_for(user: Any, public_id: Any, action: str) -> BehaviorRecord:
    record = get_for(
        BehaviorRecord.objects.select_related("person", "target", "recorded_by"),
        user,
        public_id,
        action,
    )
    record_person_read(user, record, record.person, what="behavior record")
    return record


def get_target_for(person: PersonServed, public_id: Any, *, ended: bool = False) -> TargetBehavior:
    """A target of the person's current plan (the caller has checked the person). With
    ``ended``, a target of the person's last version when it ended is found too, so that the
    service can say the plan ended rather than "not found"."""
    in_force = Q(plan__is_current=True)
    if ended:
        last = BehaviorPlan.objects.filter(person=person).order_by("-version").values("pk")[:1]
        in_force |= Q(plan__status=PlanStatus.ENDED, plan_id__in=last)
    target = (
        TargetBehavior.objects.select_related("plan")
        .filter(in_force, public_id=public_id_of(public_id), plan__person=person)
        .first()
    )
    if target is None:
        raise Http404("Not found")
    return target


def records_of(
    user: Any, person: PersonServed, *, key: str = "", since: datetime | None = None
) -> QuerySet[BehaviorRecord]:
    qs = policy.restrict(BehaviorRecord.objects.all(), user, "incidents.view_behavior").filter(
        person=person
    )
    if key:
        qs = qs.filter(target__key=key)
    if since is not None:
        qs = qs.filter(observed_at__gte=since)
    return qs.select_related("target", "recorded_by")


def record_records_read(user: Any, person: PersonServed, records: list[BehaviorRecord]) -> None:
    if records:
        record_list_read(user, [person], what="behavior records", detail={"records": len(records)})


@prepared.stepwise
def persons_with_plans(person_ids: list[int], user: Any = None) -> prepared.Steps[set[int]]:
    """Those of the persons shown who have a current plan the user may read (one query,
    whatever the census, built once per reader's labels and census size:
    ``policy.readable_rows``). The plans are read with their Part 2 label columns, not as bare
    person ids: a plan a consent opened is logged as a disclosure from the rows themselves,
    with no second read of the plans behind a list of ids."""

    def build(persons: list[int]) -> QuerySet[BehaviorPlan]:
        return (
            policy.readable(BehaviorPlan.objects.all(), user)
            .filter(person_id__in=persons, is_current=True)
            .order_by()
            .only("person_id", *LABEL_COLUMNS)
        )

    plans = yield policy.readable_later(
        "the board's persons with a behavior plan", user, build, sorted(set(person_ids))
    )
    return {plan.person_id for plan in plans}


# --- Contract reviews -----------------------------------------------------------------------
# A signed contract's review has come on its review date, in the unit's local calendar
# (BehaviorContract.review_due_on). Renewing it (a new contract signed by both) marks it
# replaced, which clears the flag; a renewal still awaiting signatures does not.


@prepared.stepwise
def reviews_due_for(
    person_ids: list[int], today: date, user: Any = None
) -> prepared.Steps[dict[int, BehaviorContract]]:
    """The contract in force whose review has come, for each of these persons that has one
    the user may read (one query, whatever the census: the unit board; built once per reader's
    labels and census size: ``policy.readable_rows``)."""

    def build(persons: list[int], day: date) -> QuerySet[BehaviorContract]:
        return (
            policy.readable(BehaviorContract.objects.all(), user)
            .filter(person_id__in=persons, status=ContractStatus.SIGNED, review_on__lte=day)
            .only("public_id", "person_id", "review_on", "status")
            .order_by("review_on")
        )

    rows = yield policy.readable_later(
        "the board's behavior contract reviews due", user, build, sorted(set(person_ids)), today
    )
    return {c.person_id: c for c in rows}


@dataclass(frozen=True)
class DueReview:
    contract: BehaviorContract
    unit: Unit
    today: date
    renewal_awaiting: bool

    @property
    def days_due(self) -> int:
        return (self.today - self.contract.review_on).days


def review_units(user: Any) -> list[Unit]:
    """The active units the user sees, by name (the due-review list's choices)."""
    return list(units_visible_to(user).filter(is_active=True).order_by("name"))


def count_reviews_due(user: Any, unit: Unit, placed: list[int]) -> prepared.KeptCount:
    """How many contracts in force of the persons on the unit now (``placed``: their ids, in
    order, as the board read them), that the user may see, have their review come in the
    unit's today: the board's panel (the list is ``contract_reviews_due``). Built and compiled
    once per process per reader (``policy.restricted_count``), counted with the other panels'."""
    return policy.restricted_count(
        "behavior reviews due",
        user,
        "incidents.view_behavior",
        _due_contracts,
        clock.today_in(unit.time_zone),
        placed,
    )


def _due_contracts(today: date, persons: Any) -> QuerySet[BehaviorContract]:
    return BehaviorContract.objects.filter(
        status=ContractStatus.SIGNED, review_on__lte=today, person_id__in=persons
    )


def contract_reviews_due(user: Any, units: list[Unit]) -> list[DueReview]:
    """Contracts in force whose review has come, for the persons on these units now that the
    user may see, each judged by its unit's own today; oldest review first. Four queries
    whatever the number of units."""
    if not units:
        return []
    by_unit = {u.pk: u for u in units}
    today_of = {u.pk: clock.today_in(u.time_zone) for u in units}
    on_units = Placement.objects.current().filter(unit_id__in=list(by_unit))
    candidates = list(
        policy.restrict(
            BehaviorContract.objects.filter(
                status=ContractStatus.SIGNED,
                review_on__lte=max(today_of.values()),
                person_id__in=on_units.values("episode__person_id"),
            ).select_related("person", "plan"),
            user,
            "incidents.view_behavior",
        )
    )
    ids = [c.person_id for c in candidates]
    unit_of = dict(
        on_units.filter(episode__person_id__in=ids).values_list("episode__person_id", "unit_id")
    )
    awaiting = set(
        BehaviorContract.objects.filter(
            person_id__in=ids, status=ContractStatus.AWAITING
        ).values_list("person_id", flat=True)
    )
    due = [
        DueReview(
            c,
            by_unit[unit_of[c.person_id]],
            today_of[unit_of[c.person_id]],
            c.person_id in awaiting,
        )
        for c in candidates
        if c.person_id in unit_of and c.review_due_on(today_of[unit_of[c.person_id]])
    ]
    due.sort(
        key=lambda d: (
            d.contract.review_on,
            d.unit.name,
            d.contract.person.legal_family_name,
            d.contract.pk,
        )
    )
    return due


# --- The chart ------------------------------------------------------------------------------


@dataclass
class Bucket:
    day: date
    shift: str  # "" when counting per day
    start: datetime  # in UTC
    end: datetime
    total: int = 0
    entries: int = 0
    phase: str = ""

    @property
    def label(self) -> str:
        if not self.shift:
            return f"{self.day:%Y-%m-%d}"
        return f"{self.day:%Y-%m-%d} {'day' if self.shift == DAY else 'night'}"


@dataclass
class Chart:
    by: str
    first: date
    last: date
    zone: str
    buckets: list[Bucket] = field(default_factory=list)
    # (index of the first bucket of the phase, phase name, the date it started)
    phase_lines: list[tuple[int, str, date]] = field(default_factory=list)

    @property
    def peak(self) -> int:
        return max((b.total for b in self.buckets), default=0)

    @property
    def total(self) -> int:
        return sum(b.total for b in self.buckets)


def bucket_bounds(first: date, last: date, zone: str, by: str) -> list[Bucket]:
    """The empty buckets from ``first`` to ``last`` (local dates), each with its real start and
    end, built from local wall times (DST-safe)."""
    tz = ZoneInfo(zone)
    buckets: list[Bucket] = []
    day = first
    while day <= last:
        if by == SHIFTS:
            day_start = datetime.combine(day, SHIFT_STARTS[DAY], tzinfo=tz)
            night_start = datetime.combine(day, SHIFT_STARTS[NIGHT], tzinfo=tz)
            next_day = datetime.combine(day + timedelta(days=1), SHIFT_STARTS[DAY], tzinfo=tz)
            buckets.append(Bucket(day, DAY, day_start.astimezone(UTC), night_start.astimezone(UTC)))
            buckets.append(
                Bucket(day, NIGHT, night_start.astimezone(UTC), next_day.astimezone(UTC))
            )
        else:
            start = datetime.combine(day, time(0, 0), tzinfo=tz)
            end = datetime.combine(day + timedelta(days=1), time(0, 0), tzinfo=tz)
            buckets.append(Bucket(day, "", start.astimezone(UTC), end.astimezone(UTC)))
        day += timedelta(days=1)
    return buckets


def bucket_key(moment: datetime, zone: str, by: str) -> tuple[date, str]:
    """The bucket a moment falls in, in the unit's zone."""
    local = moment.astimezone(ZoneInfo(zone))
    return shift_of(local) if by == SHIFTS else (local.date(), "")


def aggregate(
    rows: Iterable[tuple[datetime, int]],
    *,
    first: date,
    last: date,
    zone: str,
    by: str = DAYS,
    phases: Iterable[PlanPhase] = (),
) -> Chart:
    """Sum counts per local day or shift; every bucket in the range is present (zeros too),
    and each phase that starts inside the range draws a line at its first bucket."""
    chart = Chart(
        by=by, first=first, last=last, zone=zone, buckets=bucket_bounds(first, last, zone, by)
    )
    index = {(b.day, b.shift): b for b in chart.buckets}
    for observed_at, count in rows:
        bucket = index.get(bucket_key(observed_at, zone, by))
        if bucket is not None:
            bucket.total += count
            bucket.entries += 1
    ordered = sorted(phases, key=lambda p: p.started_on)
    for bucket in chart.buckets:
        phase = phase_on(ordered, bucket.day)
        bucket.phase = phase.name if phase else ""
    for phase in ordered:
        if first < phase.started_on <= last:
            n = next(i for i, b in enumerate(chart.buckets) if b.day == phase.started_on)
            chart.phase_lines.append((n, phase.name, phase.started_on))
    return chart


def chart_for(
    person: PersonServed,
    key: str,
    *,
    zone: str,
    first: date,
    last: date,
    by: str = DAYS,
    user: Any = None,
) -> Chart:
    """The chart of one target behavior for one person (the caller checked scope)."""
    if by not in (DAYS, SHIFTS):
        by = DAYS
    if last < first:
        first, last = last, first
    if (last - first).days >= MAX_CHART_DAYS:
        first = last - timedelta(days=MAX_CHART_DAYS - 1)
    bounds = bucket_bounds(first, last, zone, by)
    rows = (
        policy.readable(BehaviorRecord.objects.all(), user)
        .filter(
            person=person,
            target__key=key,
            observed_at__gte=bounds[0].start,
            observed_at__lt=bounds[-1].end,
        )
        .values_list("observed_at", "count")
    )
    return aggregate(rows, first=first, last=last, zone=zone, by=by, phases=phases_of(person, user))


# Geometry of the drawn chart (SVG user units).
WIDTH, HEIGHT, LEFT, BOTTOM, TOP, RIGHT = 720, 260, 40, 30, 16, 10


def svg_geometry(chart: Chart) -> dict[str, Any]:
    """Bars, axis ticks and phase lines in SVG coordinates (drawn by the template)."""
    n = max(len(chart.buckets), 1)
    inner_w, inner_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = inner_w / n
    peak = max(chart.peak, 1)
    bars = []
    for i, b in enumerate(chart.buckets):
        h = inner_h * b.total / peak
        bars.append(
            {
                "x": round(LEFT + i * step + step * 0.1, 2),
                "y": round(TOP + inner_h - h, 2),
                "w": round(max(step * 0.8, 0.5), 2),
                "h": round(h, 2),
                "label": b.label,
                "total": b.total,
            }
        )
    ticks = sorted({0, peak // 2, peak})
    y_ticks = [{"y": round(TOP + inner_h - inner_h * t / peak, 2), "value": t} for t in ticks]
    lines = [
        {"x": round(LEFT + i * step, 2), "name": name, "on": on}
        for i, name, on in chart.phase_lines
    ]
    every = max(1, n // 6)
    x_labels = [
        {"x": round(LEFT + i * step + step / 2, 2), "text": f"{b.day:%m-%d}"}
        for i, b in enumerate(chart.buckets)
        if i % every == 0
    ]
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "left": LEFT,
        "top": TOP,
        "base": TOP + inner_h,
        "right": WIDTH - RIGHT,
        "bars": bars,
        "y_ticks": y_ticks,
        "phase_lines": lines,
        "x_labels": x_labels,
    }
