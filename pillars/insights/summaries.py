"""Keeping the summary tables current: recompute the touched buckets (the sweep), or all of them
(``rebuild``), always through ``compute.compute``.

What a write touched is read from the audit chain, which every service writes in its own
transaction: an event's ``seq`` is assigned while its audit lane's head row is locked, and that
lock is held until the writer commits, so within a lane an event with a smaller ``seq`` can
never become visible after a larger one. A cursor per lane (read up to the lane head's committed
``seq``) therefore cannot skip a write, whatever order PostgreSQL commits transactions in. Each
event names its record; the record says which (unit, hour) buckets it moves: a late entry its
observation's hour up to the order's next check, an addendum its check's hour, a void its
record's hour, a discharge every hour of the stay. Time alone moves open figures (missed checks,
census, restraint still going), so each pass also recomputes every unit's hours since the last
pass.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Min, Q

from pillars.audit.choices import Action
from pillars.audit.models import AuditEvent, ChainHead
from pillars.core import clock
from pillars.core.bulk import insert_objects
from pillars.core.sweeps import SweepResult
from pillars.incidents.models import Incident, Injury, RestraintEpisode
from pillars.insights.compute import HOUR, barc_bucket, compute, floor_hour, hours_between
from pillars.insights.models import FIGURES, SweepCursor, UnitDay, UnitHour
from pillars.people.alerts import Alert
from pillars.people.models import Episode, Placement, Unit
from pillars.recovery.models import Assessment, Encounter, Referral
from pillars.rounds.models import Check, CheckAddendum, ObservationOrder
from pillars.rounds.models.coverage import MonitoringException

logger = logging.getLogger(__name__)

WRITES = (Action.CREATE, Action.UPDATE, Action.VOID)
# Events read per pass; the rest wait for the next loop (the cursor moves only past what was read).
BATCH = 5000
# A rebuild computes this many days at a time.
CHUNK = timedelta(days=31)

Touched = dict[int, set[datetime]]


def _by_public(model: Any, ids: Iterable[str]) -> Any:
    valid = []
    for value in ids:
        try:
            valid.append(UUID(value))
        except ValueError:
            continue
    return model.objects.filter(public_id__in=valid)


def _span(
    touched: Touched, unit_id: int | None, begin: datetime, until: datetime | None, now: datetime
) -> None:
    if unit_id is None:
        return
    end = min(until or now, now)
    hours = touched[unit_id]
    hours.add(floor_hour(begin))
    for hour in hours_between(begin, end + timedelta(microseconds=1)):
        hours.add(hour)


def touched_by(events: list[tuple[str, str]], now: datetime) -> Touched:
    """The buckets the written records move, from (object type, public id) pairs."""
    touched: Touched = defaultdict(set)
    ids: dict[str, set[str]] = defaultdict(set)
    for object_type, object_id in events:
        ids[object_type].add(object_id)

    check_rows = list(
        _by_public(Check, ids["rounds.check"]).values_list(
            "order_id", "order__made_in_unit_id", "observed_at"
        )
    )
    addenda = _by_public(CheckAddendum, ids["rounds.checkaddendum"]).values_list(
        "check_record__order__made_in_unit_id", "check_record__observed_at"
    )
    for unit_id, observed in addenda:
        _span(touched, unit_id, observed, observed, now)
    for order_id, unit_id, observed in check_rows:
        # A check ends the gap it falls in: the hours up to the order's next check change.
        following = Check.objects.filter(order_id=order_id, observed_at__gt=observed).aggregate(
            next=Min("observed_at")
        )["next"]
        _span(touched, unit_id, observed, following, now)
    orders = _by_public(ObservationOrder, ids["rounds.observationorder"])
    for unit_id, started in orders.values_list("made_in_unit_id", "started_at"):
        _span(touched, unit_id, started, None, now)
    for unit_id, started in _by_public(
        MonitoringException, ids["rounds.monitoringexception"]
    ).values_list("order__made_in_unit_id", "started_at"):
        _span(touched, unit_id, started, None, now)
    for unit_id, due in _by_public(Alert, ids["people.alert"]).values_list("unit_id", "due_at"):
        _span(touched, unit_id, due, due, now)

    placements = _by_public(Placement, ids["people.placement"]).values_list(
        "unit_id", "started_at", "ended_at"
    )
    episodes = Placement.objects.filter(
        episode__in=_by_public(Episode, ids["people.episode"])
    ).values_list("unit_id", "started_at", "ended_at")
    for unit_id, begin, until in [*placements, *episodes]:
        _span(touched, unit_id, begin, until, now)

    incidents = _by_public(Incident, ids["incidents.incident"]).values_list(
        "unit_id", "occurred_at"
    )
    injuries = _by_public(Injury, ids["incidents.injury"]).values_list(
        "incident__unit_id", "incident__occurred_at"
    )
    for unit_id, occurred in [*incidents, *injuries]:
        _span(touched, unit_id, occurred, occurred, now)
    for unit_id, begin, until in _by_public(
        RestraintEpisode, ids["incidents.restraintepisode"]
    ).values_list("unit_id", "started_at", "released_at"):
        _span(touched, unit_id, begin, until, now)

    for unit_id, made_in, begin in _by_public(Encounter, ids["recovery.encounter"]).values_list(
        "unit_id", "made_in_unit_id", "started_at"
    ):
        _span(touched, unit_id or made_in, begin, begin, now)
    for unit_id, closed, created in _by_public(Referral, ids["recovery.referral"]).values_list(
        "made_in_unit_id", "closed_at", "created_at"
    ):
        # A reopened referral leaves its old closing hour: every hour since it was made.
        _span(touched, unit_id, created, closed, now)
    assessments = list(
        _by_public(Assessment, ids["recovery.assessment"]).values_list(
            "person_id", "instrument_id", "administered_on"
        )
    )
    if assessments:
        zones = _zones()
        for person_id, instrument_id, on in assessments:
            # Its own day and every later one of the person's (each change is against the
            # previous assessment, which a void or a new one moves).
            for unit_id, later in Assessment.objects.filter(
                person_id=person_id, instrument_id=instrument_id, administered_on__gte=on
            ).values_list("made_in_unit_id", "administered_on"):
                if unit_id is not None:
                    touched[unit_id].add(barc_bucket(later, zones[unit_id]))
    return touched


def _zones() -> dict[int, ZoneInfo]:
    return {pk: ZoneInfo(tz) for pk, tz in Unit.objects.values_list("pk", "time_zone")}


def _runs(hours: Iterable[datetime]) -> list[tuple[datetime, datetime]]:
    """Contiguous runs of hours as [start, end) ranges."""
    runs: list[tuple[datetime, datetime]] = []
    for hour in sorted(hours):
        if runs and runs[-1][1] == hour:
            runs[-1] = (runs[-1][0], hour + HOUR)
        else:
            runs.append((hour, hour + HOUR))
    return runs


def recompute(touched: Touched, now: datetime) -> int:
    """Recompute and store the touched buckets, then the local days that hold them; answers
    how many buckets were recomputed. Units that share a range are computed together."""
    groups: dict[tuple[datetime, datetime], list[int]] = defaultdict(list)
    for unit_id, hours in touched.items():
        for run in _runs(h for h in hours if h <= now):
            groups[run].append(unit_id)
    zones = _zones()
    days: dict[int, set[date]] = defaultdict(set)
    count = 0
    for (start, end), unit_ids in groups.items():
        store_hours(unit_ids, start, end, now)
        for unit_id in unit_ids:
            for hour in hours_between(start, end):
                days[unit_id].add(hour.astimezone(zones[unit_id]).date())
                count += 1
    store_days(days, zones)
    return count


def store_hours(unit_ids: list[int], start: datetime, end: datetime, now: datetime) -> None:
    figures = compute(unit_ids, start, end, now)
    UnitHour.objects.filter(unit_id__in=unit_ids, hour__gte=start, hour__lt=end).delete()
    insert_objects(
        [
            UnitHour(unit_id=unit_id, hour=hour, **values)
            for (unit_id, hour), values in figures.items()
        ]
    )


def store_days(days: dict[int, set[date]], zones: dict[int, ZoneInfo]) -> None:
    """Each local day as the sum of its hours."""
    for unit_id, chosen in days.items():
        zone = zones[unit_id]
        for first, last in _day_runs(chosen):
            lo = datetime.combine(first, datetime.min.time(), tzinfo=zone)
            hi = datetime.combine(last + timedelta(days=1), datetime.min.time(), tzinfo=zone)
            sums: dict[date, dict[str, int]] = {}
            for row in UnitHour.objects.filter(unit_id=unit_id, hour__gte=lo, hour__lt=hi).values(
                "hour", *FIGURES
            ):
                day = row["hour"].astimezone(zone).date()
                total = sums.setdefault(day, dict.fromkeys(FIGURES, 0))
                for name in FIGURES:
                    total[name] += row[name]
            UnitDay.objects.filter(unit_id=unit_id, day__gte=first, day__lte=last).delete()
            insert_objects(
                [UnitDay(unit_id=unit_id, day=day, **values) for day, values in sums.items()]
            )


def _day_runs(days: set[date]) -> list[tuple[date, date]]:
    runs: list[tuple[date, date]] = []
    for day in sorted(days):
        if runs and runs[-1][1] + timedelta(days=1) == day:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


def _heads() -> dict[int, int]:
    """Each audit lane's committed last ``seq``."""
    return dict(ChainHead.objects.values_list("pk", "seq"))


def sweep_summaries(now: datetime | None = None) -> SweepResult:
    """One pass: the buckets written records touched since the cursor, and every unit's hours
    since the last pass. Several workers may run it: the cursor row is locked for the pass
    (the second worker skips it on PostgreSQL, waits on SQLite's single writer)."""
    now = now or clock.now()
    result = SweepResult("insights summaries")
    with transaction.atomic():
        cursor = SweepCursor.objects.select_for_update(skip_locked=True).filter(pk=1).first()
        if cursor is None:
            if SweepCursor.objects.filter(pk=1).exists():
                return result  # another worker holds this pass
            # Never built: build everything once; later passes go by the cursor.
            rebuild(now=now)
            result.claimed = 1
            return result
        heads = _heads()
        unread = Q()
        for lane, head in heads.items():
            unread |= Q(lane=lane, seq__gt=cursor.read(lane), seq__lte=head)
        events = list(
            AuditEvent.objects.filter(unread, action__in=WRITES)
            .order_by("seq")
            .values_list("seq", "object_type", "object_id")[:BATCH]
            if heads
            else []
        )
        # A full batch read every lane's events up to its last seq, and no further.
        cut = events[-1][0] if len(events) == BATCH else None
        touched = touched_by([(t, i) for _, t, i in events], now)
        active = Unit.objects.filter(is_active=True).values_list("pk", flat=True)
        for unit_id in active:
            touched[unit_id].update(hours_between(cursor.swept_at, now + timedelta(microseconds=1)))
        result.claimed = recompute(touched, now)
        cursor.lanes = {
            str(lane): max(cursor.read(lane), head if cut is None else min(head, cut))
            for lane, head in heads.items()
        }
        cursor.swept_at = now
        cursor.save(update_fields=["lanes", "swept_at"])
    return result


def earliest() -> datetime | None:
    """The first moment any summarised record starts."""
    firsts = [
        Placement.objects.aggregate(m=Min("started_at"))["m"],
        ObservationOrder.objects.aggregate(m=Min("started_at"))["m"],
        Incident.objects.aggregate(m=Min("occurred_at"))["m"],
        RestraintEpisode.objects.aggregate(m=Min("started_at"))["m"],
        Encounter.objects.aggregate(m=Min("started_at"))["m"],
        Referral.objects.aggregate(m=Min("closed_at"))["m"],
        Alert.objects.aggregate(m=Min("due_at"))["m"],
    ]
    on = Assessment.objects.aggregate(m=Min("administered_on"))["m"]
    if on is not None:
        firsts.append(
            datetime.combine(on - timedelta(days=1), datetime.min.time(), tzinfo=ZoneInfo("UTC"))
        )
    found = [f for f in firsts if f is not None]
    return min(found) if found else None


def rebuild(*, since: datetime | None = None, now: datetime | None = None) -> int:
    """Recompute every bucket from ``since`` (default: the first record) to now from the raw
    records, in month-long chunks for all units at once; answers the hour rows stored. The
    cursor moves to the chain head read first, so the sweep then takes only later writes."""
    now = now or clock.now()
    with transaction.atomic():
        heads = {str(lane): seq for lane, seq in _heads().items()}
        cursor, _ = SweepCursor.objects.select_for_update().get_or_create(
            pk=1, defaults={"lanes": heads, "swept_at": now}
        )
        first = earliest()
        start = floor_hour(since or first or now)
        if first is not None and since is None:
            start = floor_hour(first)
        units = list(Unit.objects.values_list("pk", flat=True))
        UnitHour.objects.filter(hour__gte=start).delete()
        end = floor_hour(now) + HOUR
        chunk_start = start
        while chunk_start < end:
            chunk_end = min(chunk_start + CHUNK, end)
            store_hours(units, chunk_start, chunk_end, now)
            chunk_start = chunk_end
        zones = _zones()
        days = {
            unit_id: set(
                _dates(
                    start.astimezone(zones[unit_id]).date(), now.astimezone(zones[unit_id]).date()
                )
            )
            for unit_id in units
        }
        store_days(days, zones)
        cursor.lanes, cursor.swept_at = heads, now
        cursor.save(update_fields=["lanes", "swept_at"])
    return UnitHour.objects.filter(hour__gte=start).count()


def _dates(first: date, last: date) -> Iterable[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)
