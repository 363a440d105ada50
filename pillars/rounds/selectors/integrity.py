"""The integrity report: a unit's checks for a shift (or a date range) run through the back-fill
detectors in ``pillars.rounds.integrity``; and one check read in full.

The report is loaded in a fixed number of queries whatever the number of checks: the staff who
rounded on the unit, all their checks in the period with the unit and room each person was in at
the moment observed (one annotated query), the rooms' order, their 1:1 coverage and their names.
Checks on other units are loaded too, because a check on unit B ten seconds after one on unit A
is itself the finding; a flag is shown on a unit's report when any of its checks is on that unit.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from django.db.models import Exists, OuterRef, Q, Subquery

from pillars.audit import log as audit
from pillars.audit.choices import Action, Category, Purpose
from pillars.core import clock, policy
from pillars.core.entry import get_for
from pillars.people.labels import readable_without_grant
from pillars.people.models import PersonServed, Placement, Room, Staff, Unit
from pillars.people.policies import restrict_persons
from pillars.people.selectors import record_person_event
from pillars.rounds import integrity
from pillars.rounds.choices import Location
from pillars.rounds.models import Check, Coverage

DAY = "day"
NIGHT = "night"
# The default shifts, in the unit's own zone: day 07:00-19:00, night 19:00-07:00 next morning.
SHIFT_STARTS = {DAY: time(7, 0), NIGHT: time(19, 0)}
SHIFT_LENGTH = timedelta(hours=12)
# A date-range report covers at most this many days (a month of a busy unit is still quick).
MAX_RANGE_DAYS = 31
# Rooms are only known from the person's bed when they were in their room.
IN_ROOM = (Location.BEDROOM, Location.BATHROOM)


@dataclass(frozen=True)
class Period:
    start: datetime
    end: datetime
    label: str


def shift_period(unit: Unit, day: date, shift: str) -> Period:
    """A shift in the unit's local zone. Built from local wall times, so a shift that crosses a
    daylight-saving change is 11 or 13 real hours long, as the staff actually worked it."""
    zone = ZoneInfo(unit.time_zone)
    start = datetime.combine(day, SHIFT_STARTS[shift], tzinfo=zone)
    end_day = day + timedelta(days=1) if shift == NIGHT else day
    end = datetime.combine(end_day, SHIFT_STARTS[DAY if shift == NIGHT else NIGHT], tzinfo=zone)
    name = "Day shift" if shift == DAY else "Night shift"
    # In UTC: subtracting two times of one ZoneInfo would give wall-clock hours.
    return Period(start.astimezone(UTC), end.astimezone(UTC), f"{name} {day:%Y-%m-%d}")


def current_shift(unit: Unit, now: datetime | None = None) -> tuple[date, str]:
    """The shift a moment falls in on the unit (``shift_of`` its local time)."""
    return shift_of(clock.local(now or clock.now(), unit.time_zone))


def shift_of(local: datetime) -> tuple[date, str]:
    """The shift a local wall time falls in (a night shift belongs to the day it started)."""
    if local.time() < SHIFT_STARTS[DAY]:
        return local.date() - timedelta(days=1), NIGHT
    if local.time() < SHIFT_STARTS[NIGHT]:
        return local.date(), DAY
    return local.date(), NIGHT


def range_period(unit: Unit, first: date, last: date) -> Period:
    zone = ZoneInfo(unit.time_zone)
    start = datetime.combine(first, time(0, 0), tzinfo=zone)
    end = datetime.combine(last + timedelta(days=1), time(0, 0), tzinfo=zone)
    return Period(
        start.astimezone(UTC), end.astimezone(UTC), f"{first:%Y-%m-%d} to {last:%Y-%m-%d}"
    )


@dataclass
class StaffLine:
    staff: Staff
    kinds: dict[str, int]
    total: int
    checks_flagged: int
    checks_on_unit: int


@dataclass
class IntegrityReport:
    unit: Unit
    period: Period
    flags: list[integrity.Flag]
    staff: dict[int, Staff]
    check_units: dict[UUID, int | None]
    summary: list[StaffLine]
    checks_total: int
    groups: list[tuple[str, str, list[integrity.Flag]]] = field(default_factory=list)
    evidence: dict[UUID, Evidence] = field(default_factory=dict)


def _placement_at(column: str) -> Subquery:
    """The person's placement (unit or bed room) at the moment the check was observed."""
    placed = Placement.objects.filter(
        episode_id=OuterRef("order__episode_id"), started_at__lte=OuterRef("observed_at")
    ).filter(Q(ended_at__isnull=True) | Q(ended_at__gt=OuterRef("observed_at")))
    return Subquery(placed.order_by("-started_at").values(column)[:1])


def _on_unit(unit: Unit) -> Exists:
    return Exists(
        Placement.objects.filter(
            episode_id=OuterRef("order__episode_id"),
            unit=unit,
            started_at__lte=OuterRef("observed_at"),
        ).filter(Q(ended_at__isnull=True) | Q(ended_at__gt=OuterRef("observed_at")))
    )


@dataclass(frozen=True)
class Evidence:
    """One check behind a flag, named: whose check (the person's display name when the reader
    may see them), when it was observed, who entered it and how long after."""

    check_id: UUID
    person: str
    observed_at: datetime
    recorded_at: datetime
    entered_by: str
    on_unit: bool
    # The reader may open the check itself (``get_check_for``): its person still in their
    # scope and its label theirs to read. A person since moved elsewhere stays in the report,
    # unlinked.
    openable: bool = False

    @property
    def delay(self) -> timedelta:
        return self.recorded_at - self.observed_at

    @property
    def delay_text(self) -> str:
        minutes = int(self.delay.total_seconds() // 60)
        if minutes < 1:
            return "within a minute"
        hours, minutes = divmod(minutes, 60)
        if not hours:
            return f"{minutes} min later"
        return f"{hours} h {minutes:02d} min later"


@dataclass
class _Loaded:
    values: list[Any]
    rows: list[integrity.CheckRow]
    coverage: list[integrity.CoverageRow]
    staff_ids: set[int]


def _load(unit: Unit, start: datetime, end: datetime, staff: Staff | None) -> _Loaded:
    """The checks of everyone who rounded on the unit between start and end (on any unit, in
    that time), with the unit and room each person was in, and those staff's coverage: four
    queries whatever the number of checks."""
    in_period = Check.objects.filter(observed_at__gte=start, observed_at__lt=end)
    unit_checks = in_period.filter(_on_unit(unit))
    if staff is not None:
        unit_checks = unit_checks.filter(observed_by=staff)
    staff_ids = set(unit_checks.order_by().values_list("observed_by_id", flat=True).distinct())
    values = list(
        in_period.filter(observed_by_id__in=staff_ids)
        # The same staff's checks on other units are read to catch charting in two places at
        # once, except those another Part 2 program made: they stay with that program
        # (whose own report sees them).
        .filter(Q(is_part2=False) | Q(made_in_unit=unit))
        .annotate(
            placed_unit=_placement_at("unit_id"),
            placed_room=_placement_at("bed__room_id"),
        )
        .order_by("observed_at", "pk")
        .values(
            "public_id",
            "observed_by_id",
            "order__person_id",
            "order__person__public_id",
            "order_id",
            "observed_at",
            "recorded_at",
            "location",
            "placed_unit",
            "placed_room",
            "is_part2",
            "made_in_unit_id",
        )
    )
    units = {v["placed_unit"] for v in values if v["placed_unit"] is not None}
    rank: dict[int, tuple[int, str]] = {}
    position: dict[int, int] = {}
    for room_pk, room_unit, name in (
        Room.objects.filter(unit_id__in=units)
        .order_by("unit_id", "name")
        .values_list("pk", "unit_id", "name")
    ):
        rank[room_pk] = (position.get(room_unit, 0), name)
        position[room_unit] = position.get(room_unit, 0) + 1
    rows = []
    for v in values:
        room = rank.get(v["placed_room"]) if v["location"] in IN_ROOM else None
        rows.append(
            integrity.CheckRow(
                id=v["public_id"],
                staff=v["observed_by_id"],
                person=v["order__person_id"],
                order=v["order_id"],
                observed_at=v["observed_at"],
                recorded_at=v["recorded_at"],
                unit=v["placed_unit"],
                room=room[1] if room else "",
                room_rank=room[0] if room else None,
            )
        )
    coverage = [
        integrity.CoverageRow(c["staff_id"], c["order_id"], c["started_at"], c["ended_at"])
        for c in Coverage.objects.filter(staff_id__in=staff_ids, started_at__lt=end)
        .filter(Q(ended_at__isnull=True) | Q(ended_at__gt=start))
        .values("staff_id", "order_id", "started_at", "ended_at")
    ]
    return _Loaded(values, rows, coverage, staff_ids)


def _flags_on_unit(
    unit: Unit,
    rows: list[integrity.CheckRow],
    coverage: list[integrity.CoverageRow],
    zone: ZoneInfo,
) -> list[integrity.Flag]:
    """Every detector over the rows; a flag counts on the unit when any of its checks is."""
    on_unit = {r.id for r in rows if r.unit == unit.pk}
    return [
        f
        for f in integrity.detect_all(rows, coverage, zone=zone)
        if any(i in on_unit for i in f.check_ids)
    ]


def _category(unit: Unit) -> str:
    return Category.SUBSTANCE_USE if unit.is_substance_use_program else Category.GENERAL


def _audit_read(user: Any, unit: Unit, detail: dict[str, Any]) -> None:
    """Audit a read of the unit's integrity report (or of its counts per shift)."""
    audit.record(
        user, Action.VIEW, unit, category=_category(unit), purpose=Purpose.OPERATIONS, detail=detail
    )


def integrity_report(
    user: Any, unit: Unit, period: Period, *, staff: Staff | None = None
) -> IntegrityReport:
    """Run every detector over the period's checks on the unit (optionally one staff member's),
    and audit the read naming the unit, the period and the persons whose checks are flagged.
    Each check behind a flag comes named (``evidence``): the person's display name when the
    reader may see that person (a person elsewhere is "a person on another unit"), the
    moments observed and entered, and who entered it."""
    policy.require(user, "rounds.view_integrity", unit)
    zone = ZoneInfo(unit.time_zone)
    loaded = _load(unit, period.start, period.end, staff)
    values, rows, staff_ids = loaded.values, loaded.rows, loaded.staff_ids
    check_units: dict[UUID, int | None] = {v["public_id"]: v["placed_unit"] for v in values}
    flags = _flags_on_unit(unit, rows, loaded.coverage, zone)
    names = {s.pk: s for s in Staff.objects.filter(pk__in=staff_ids)}
    counted = integrity.summary_by_staff(flags)
    on_unit: dict[Hashable, int] = {}
    for r in rows:
        if r.unit == unit.pk:
            on_unit[r.staff] = on_unit.get(r.staff, 0) + 1
    summary = [
        StaffLine(
            staff=names[pk],
            kinds=counted.get(pk, {}).get("kinds", dict.fromkeys(integrity.Kind.ORDER, 0)),
            total=counted.get(pk, {}).get("total", 0),
            checks_flagged=len(counted.get(pk, {}).get("checks", ())),
            checks_on_unit=on_unit.get(pk, 0),
        )
        for pk in sorted(staff_ids, key=lambda pk: (names[pk].display_name, pk))
    ]
    groups = [
        (kind, integrity.Kind.LABELS[kind], [f for f in flags if f.kind == kind])
        for kind in integrity.Kind.ORDER
    ]
    flagged_ids = {i for f in flags for i in f.check_ids}
    flagged_values = [v for v in values if v["public_id"] in flagged_ids]
    flagged_persons = sorted({str(v["order__person__public_id"]) for v in flagged_values})
    person_names = {
        p.pk: p.display_name
        for p in restrict_persons(
            policy.actor_for(user),
            PersonServed.objects.filter(pk__in={v["order__person_id"] for v in flagged_values}),
        )
    }
    # A check's own page (``get_check_for``) opens for a reader who sees its person and may
    # read its label without a grant: a Part 2 check of another program is listed unlinked,
    # since deciding a link is not a read to log as a disclosure.
    actor = policy.actor_for(user)
    may_view = policy.allows(actor, "rounds.view")
    openable = {
        v["public_id"]
        for v in flagged_values
        if may_view
        and v["order__person_id"] in person_names
        and readable_without_grant(actor, v["is_part2"], v["made_in_unit_id"])
    }
    evidence = {
        v["public_id"]: Evidence(
            check_id=v["public_id"],
            person=person_names.get(
                v["order__person_id"],
                "a person served" if v["placed_unit"] == unit.pk else "a person on another unit",
            ),
            observed_at=v["observed_at"],
            recorded_at=v["recorded_at"],
            entered_by=names[v["observed_by_id"]].display_name,
            on_unit=v["placed_unit"] == unit.pk,
            openable=v["public_id"] in openable,
        )
        for v in flagged_values
    }
    _audit_read(
        user,
        unit,
        {
            "what": "integrity report",
            "period": period.label,
            "start": period.start.isoformat(),
            "end": period.end.isoformat(),
            "staff": str(staff.public_id) if staff else None,
            "flags": len(flags),
            "person_ids": flagged_persons,
        },
    )
    return IntegrityReport(
        unit=unit,
        period=period,
        flags=flags,
        staff=names,
        check_units=check_units,
        summary=summary,
        checks_total=sum(on_unit.values()),
        groups=groups,
        evidence=evidence,
    )


# Shifts looked back over when the report opens (7 days: 14 shifts, the current one included).
RECENT_DAYS = 7


@dataclass(frozen=True)
class ShiftCount:
    """One shift of the recent days with its flags and checks on the unit."""

    day: date
    shift: str
    period: Period
    flags: int
    checks: int


def recent_shifts(
    user: Any, unit: Unit, now: datetime | None = None, *, days: int = RECENT_DAYS
) -> list[ShiftCount]:
    """The flag count of each shift of the last ``days`` days, newest first, loaded once (the
    same queries as one report) and counted shift by shift exactly as that shift's own report
    counts them. The read is audited (counts only: it names no person)."""
    policy.require(user, "rounds.view_integrity", unit)
    zone = ZoneInfo(unit.time_zone)
    day, shift = current_shift(unit, now)
    periods: list[tuple[date, str, Period]] = []
    for _ in range(days * 2):
        periods.append((day, shift, shift_period(unit, day, shift)))
        day, shift = (day, DAY) if shift == NIGHT else (day - timedelta(days=1), NIGHT)
    loaded = _load(unit, periods[-1][2].start, periods[0][2].end, None)
    counts = []
    for day, shift, period in periods:
        rows = [r for r in loaded.rows if period.start <= r.observed_at < period.end]
        flags = _flags_on_unit(unit, rows, loaded.coverage, zone) if rows else []
        checks = sum(1 for r in rows if r.unit == unit.pk)
        counts.append(ShiftCount(day, shift, period, len(flags), checks))
    _audit_read(
        user,
        unit,
        {
            "what": "integrity report: flags per shift",
            "start": periods[-1][2].start.isoformat(),
            "end": periods[0][2].end.isoformat(),
            "flags": sum(c.flags for c in counts),
        },
    )
    return counts


def worst_shift(counts: list[ShiftCount]) -> ShiftCount | None:
    """The shift with the most flags (the most recent of equals), or None when none has any."""
    flagged = [c for c in counts if c.flags]
    if not flagged:
        return None
    return max(flagged, key=lambda c: (c.flags, c.period.start))


def get_check_for(user: Any, public_id: Any, action: str = "rounds.view") -> Check:
    """One check with its addenda, 404 when its person is out of scope, 403 when not allowed;
    the read is audited against the person."""
    check = get_for(
        Check.objects.select_related("order__person", "order__level", "observed_by", "device"),
        user,
        public_id,
        action,
    )
    person = check.order.person
    record_person_event(
        person,
        actor=user,
        action=Action.VIEW,
        target=check,
        detail={"what": "observation check"},
    )
    return check


def check_unit(check: Check) -> Unit | None:
    """The unit the person was on when the check was observed (for its time zone)."""
    placement = (
        Placement.objects.filter(
            episode_id=check.order.episode_id, started_at__lte=check.observed_at
        )
        .filter(Q(ended_at__isnull=True) | Q(ended_at__gt=check.observed_at))
        .select_related("unit", "bed__room")
        .first()
    )
    return placement.unit if placement else None
