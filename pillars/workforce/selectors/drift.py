"""Role-drift figures for one peer or the organization, month by month: the mix of encounter
activities against the peer-role taxonomy, time on non-peer tasks (the time log) as a share of
logged time, and the scope guard's flags per 10 notes, with the thresholds each month crossed.

Definitions (printed beside the figures): logged time is the minutes of the month's signed
peer encounters plus the minutes of the time log; non-peer share is time-log minutes over
logged time; flags per 10 notes counts scope-guard flags kept with the month's signed notes.
Months are calendar months in local time: the peer's home unit's zone (for the organization's
figures, the organization's default zone, PILLARS_DEFAULT_TIME_ZONE).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, Q, QuerySet, Sum

from pillars.core import policy
from pillars.people.models import Staff
from pillars.recovery.models.encounters import (
    Encounter,
    EncounterActivity,
    EncounterFlag,
    EncounterStatus,
    PeerActivity,
)
from pillars.recovery.selectors.charts import LineChart, line_chart
from pillars.workforce.models.drift import DriftMetric, DriftThreshold, NonPeerTask, TimeLogEntry
from pillars.workforce.selectors.supervision import audit_view

DEFINITIONS = (
    "Logged time: minutes of the month's signed peer encounters plus minutes in the time log.",
    "Non-peer share: time-log minutes (transport, clinical paperwork, covering floor shifts, "
    "other) as a percent of logged time.",
    "Flags per 10 notes: scope-guard flags kept with the month's signed notes, per 10 notes.",
    "Months are calendar months in local time (the peer's home unit; the organization's zone "
    "for the organization). A threshold is crossed when the figure is above it.",
)


def month_start(day: date) -> date:
    return day.replace(day=1)


def add_months(day: date, n: int) -> date:
    index = day.year * 12 + day.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def _moment(day: date, zone: tzinfo) -> datetime:
    """Midnight starting ``day`` in the local zone (an aware moment to compare stored UTC to)."""
    return datetime(day.year, day.month, day.day, tzinfo=zone)


def zone_for(staff_ids: list[int] | None) -> ZoneInfo:
    """Where the months are counted: one peer's first home unit's zone (else a unit of one of
    their programs); the organization's default zone for several staff or the organization.
    A note signed at 22:00 on 31 March in Chicago belongs to March, though it is April in UTC."""
    if staff_ids is not None and len(staff_ids) == 1:
        staff = Staff.objects.filter(pk=staff_ids[0]).first()
        if staff is not None:
            unit = staff.home_units.order_by("pk").first()
            if unit is None:
                from pillars.people.models import Unit

                unit = Unit.objects.filter(programs__staff=staff).order_by("pk").first()
            if unit is not None and unit.time_zone:
                return ZoneInfo(unit.time_zone)
    return ZoneInfo(settings.PILLARS_DEFAULT_TIME_ZONE)


@dataclass
class DriftMonth:
    month: date
    notes: int = 0
    encounter_minutes: int = 0
    by_task: dict[str, int] = field(default_factory=dict)
    flags: int = 0
    crossed: list[str] = field(default_factory=list)

    @property
    def non_peer_minutes(self) -> int:
        return sum(self.by_task.values())

    @property
    def logged_minutes(self) -> int:
        return self.encounter_minutes + self.non_peer_minutes

    @property
    def non_peer_share(self) -> Decimal | None:
        if not self.logged_minutes:
            return None
        share = Decimal(100 * self.non_peer_minutes) / Decimal(self.logged_minutes)
        return share.quantize(Decimal("0.1"), ROUND_HALF_UP)

    @property
    def flags_per_10_notes(self) -> Decimal | None:
        if not self.notes:
            return None
        return (Decimal(10 * self.flags) / Decimal(self.notes)).quantize(
            Decimal("0.1"), ROUND_HALF_UP
        )

    def value(self, metric: str) -> Decimal | None:
        if metric == DriftMetric.NON_PEER_SHARE:
            return self.non_peer_share
        return self.flags_per_10_notes


def _whose(staff_ids: list[int] | None, organization_id: int | None, staff: str) -> Q:
    """The rows of the staff named (by the row's ``staff`` field), or of every peer of the
    organization."""
    if staff_ids is not None:
        return Q(**{f"{staff}_id__in": staff_ids})
    if organization_id is None:
        raise ValueError("an organization's figures need the organization")
    return Q(**{f"{staff}__roles__code": "peer"}, organization_id=organization_id)


def _encounters(staff_ids: list[int] | None, organization_id: int | None) -> QuerySet[Encounter]:
    return Encounter.objects.filter(
        _whose(staff_ids, organization_id, "written_by"), status=EncounterStatus.SIGNED
    )


def drift_months(
    staff_ids: list[int] | None,
    first: date,
    last: date,
    zone: tzinfo | None = None,
    *,
    organization_id: int | None = None,
) -> list[DriftMonth]:
    """The months from ``first`` to ``last`` (month starts) for these staff (None: every peer
    in the organization ``organization_id``), counted in ``zone`` (``zone_for`` when not
    given), with the active thresholds each crossed. Four grouped queries."""
    zone = zone or zone_for(staff_ids)
    months: dict[date, DriftMonth] = {}
    cursor = first
    while cursor <= last:
        months[cursor] = DriftMonth(cursor)
        cursor = add_months(cursor, 1)
    start, end = _moment(first, zone), _moment(add_months(last, 1), zone)
    enc = _encounters(staff_ids, organization_id).filter(started_at__gte=start, started_at__lt=end)
    for started, minutes in enc.values_list("started_at", "minutes"):
        row = months[month_start(started.astimezone(zone).date())]
        row.notes += 1
        row.encounter_minutes += minutes
    flags = EncounterFlag.objects.filter(encounter__in=enc).values_list(
        "encounter__started_at", flat=True
    )
    for started in flags:
        months[month_start(started.astimezone(zone).date())].flags += 1
    log = TimeLogEntry.objects.filter(worked_on__gte=first, worked_on__lt=add_months(last, 1))
    log = log.filter(_whose(staff_ids, organization_id, "staff"))
    for worked_on, task, minutes in log.values_list("worked_on", "task", "minutes"):
        row = months[month_start(worked_on)]
        row.by_task[task] = row.by_task.get(task, 0) + minutes
    thresholds = list(DriftThreshold.objects.filter(is_active=True))
    for row in months.values():
        row.crossed = [t.label for t in thresholds if t.crossed(row.value(t.metric), row.notes)]
    return list(months.values())


def crossed_thresholds(row: DriftMonth) -> list[DriftThreshold]:
    return [
        t
        for t in DriftThreshold.objects.filter(is_active=True)
        if t.crossed(row.value(t.metric), row.notes)
    ]


@dataclass(frozen=True)
class MixRow:
    label: str
    count: int
    share: Decimal | None
    in_taxonomy: bool


def activity_mix(
    staff_ids: list[int] | None,
    first: date,
    last: date,
    zone: tzinfo | None = None,
    *,
    organization_id: int | None = None,
) -> list[MixRow]:
    """How often each term of the peer-role taxonomy was used in the period's signed notes
    (months in ``zone`` and staff as ``drift_months``), every active term listed (a term never
    used is part of the picture), retired terms last."""
    zone = zone or zone_for(staff_ids)
    enc = _encounters(staff_ids, organization_id).filter(
        started_at__gte=_moment(first, zone), started_at__lt=_moment(add_months(last, 1), zone)
    )
    counts = dict(
        EncounterActivity.objects.filter(encounter__in=enc)
        .values("activity_id")
        .annotate(n=Count("id"))
        .values_list("activity_id", "n")
    )
    notes = enc.count()
    without = enc.filter(~Q(pk__in=EncounterActivity.objects.values("encounter_id"))).count()
    total = sum(counts.values()) + without

    def share(n: int) -> Decimal | None:
        if not total:
            return None
        return (Decimal(100 * n) / Decimal(total)).quantize(Decimal("0.1"), ROUND_HALF_UP)

    rows = [
        MixRow(a.label, counts.get(a.pk, 0), share(counts.get(a.pk, 0)), True)
        for a in PeerActivity.objects.filter(Q(is_active=True) | Q(pk__in=list(counts))).order_by(
            "-is_active", "sort_order", "label"
        )
    ]
    if notes:
        rows.append(MixRow("No activity recorded", without, share(without), False))
    return rows


def share_chart(months: list[DriftMonth]) -> LineChart:
    limit = (
        DriftThreshold.objects.filter(is_active=True, metric=DriftMetric.NON_PEER_SHARE)
        .values_list("limit", flat=True)
        .first()
    )
    points = [(m.month, float(m.non_peer_share)) for m in months if m.non_peer_share is not None]
    return line_chart(
        points,
        low=0,
        high=100,
        title="Non-peer time, percent of logged time, by month",
        references=[(float(limit), "drift threshold")] if limit is not None else None,
    )


def flags_chart(months: list[DriftMonth]) -> LineChart:
    limit = (
        DriftThreshold.objects.filter(is_active=True, metric=DriftMetric.FLAGS_PER_10_NOTES)
        .values_list("limit", flat=True)
        .first()
    )
    points = [
        (m.month, float(m.flags_per_10_notes)) for m in months if m.flags_per_10_notes is not None
    ]
    high = max([10.0, *(p[1] for p in points)])
    return line_chart(
        points,
        low=0,
        high=high,
        title="Scope-guard flags per 10 notes, by month",
        references=[(float(limit), "drift threshold")] if limit is not None else None,
    )


def task_labels() -> list[tuple[str, str]]:
    return list(NonPeerTask.choices)


def get_staff_drift_for(user: Any, staff: Staff, *, what: str) -> None:
    """Check and audit a read of one staff member's drift figures (404/403 decided here)."""
    policy.require(user, "workforce.view_drift", staff)
    audit_view(user, staff, what)


def time_log_of(user: Any, staff: Staff) -> QuerySet[TimeLogEntry]:
    return policy.restrict(
        TimeLogEntry.objects.filter(staff=staff), user, "workforce.view_drift"
    ).order_by("-worked_on", "-id")


def totals_by_task(entries: QuerySet[TimeLogEntry]) -> dict[str, int]:
    return dict(entries.values("task").annotate(n=Sum("minutes")).values_list("task", "n"))
