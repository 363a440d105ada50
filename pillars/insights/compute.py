"""The one computation of the summary figures from the raw records, per unit and UTC hour.

``compute(unit_ids, start, end, now)`` answers the figures of every (unit, hour) bucket in
``[start, end)``. It is the only place a figure is defined: the sweep calls it for the buckets a
write touched, ``pillars insights rebuild`` for every bucket, and a test proves the two agree.
A bucket's figures depend only on the records and ``now``, never on the window asked for: every
rule below reads what came before the window (the last check before it, a stay that began
earlier) and bins only what falls inside it.

Rounds (the rule of ``rounds.integrity.rounds_gaps`` and ``ObservationOrder.status_at``): the
time between an order's observations, not counting paused time (monitoring exceptions), is on
time up to the level's interval, late up to its grace (``missed_after``, 1.5 x q15 = 22.5 min by
default, DESIGN.md facts) and missed beyond it. A missed gap owes one missed check when the
grace runs out and one more each interval after that, each counted in the hour it fell missed;
a gap still open counts only what has fallen missed by ``now``. Checks due = on time + late +
missed. A check entered more than ``integrity.LARGE_GAP`` (30 min) after the observation is
counted as back-filled, as the integrity report shows it again.

HBIPS strata (The Joint Commission's HBIPS measures): 1-12 (under one counted with them),
13-17, 18-64 and 65+, by the person's age on the hour's local date. Patient, restraint and
seclusion time is counted in whole seconds per hour, so HBIPS-2/3 are computed from minutes and
seconds, not from rounded hours or days.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Collection, Iterator
from datetime import UTC, date, datetime, time, timedelta
from math import floor
from zoneinfo import ZoneInfo

from django.db.models import Exists, Max, OuterRef, Q

from pillars.incidents.models import EpisodeKind, Incident, Injury, RestraintEpisode
from pillars.incidents.models.incidents import IncidentStatus
from pillars.incidents.models.restraint import PHYSICAL_KINDS
from pillars.people.alerts import Alert, AlertKind
from pillars.people.models import Placement, Unit
from pillars.recovery.models import Assessment, Encounter, Referral
from pillars.recovery.models.encounters import EncounterStatus
from pillars.recovery.models.referrals import CLOSED_STATUSES, ReferralStatus
from pillars.rounds import integrity
from pillars.rounds.models import Check, CheckAddendum, ObservationOrder
from pillars.rounds.models.coverage import MonitoringException

HOUR = timedelta(hours=1)
STRATA = ("child", "adolescent", "adult", "older")
STRATUM_LABELS = {"child": "1-12", "adolescent": "13-17", "adult": "18-64", "older": "65+"}
BARC_CODE = "barc-10"

Key = tuple[int, datetime]
Buckets = dict[Key, Counter[str]]


def floor_hour(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def stratum(born: date, day: date) -> str:
    years = day.year - born.year - ((day.month, day.day) < (born.month, born.day))
    if years < 13:
        return "child"
    if years < 18:
        return "adolescent"
    if years < 65:
        return "adult"
    return "older"


def hours_between(start: datetime, end: datetime) -> Iterator[datetime]:
    hour = floor_hour(start)
    while hour < end:
        yield hour
        hour += HOUR


def compute(
    unit_ids: Collection[int], start: datetime, end: datetime, now: datetime
) -> dict[Key, dict[str, int]]:
    """The non-empty buckets of the units for the hours in ``[start, end)`` (hour bounds)."""
    units = sorted(set(unit_ids))
    end = min(end, floor_hour(now) + HOUR)
    if not units or end <= start:
        return {}
    zones = {
        pk: ZoneInfo(tz)
        for pk, tz in Unit.objects.filter(pk__in=units).values_list("pk", "time_zone")
    }
    out: Buckets = defaultdict(Counter)
    window = _Window(start, end, now, zones)
    _rounds(out, units, window)
    _alerts(out, units, window)
    _census(out, units, window)
    _restraint(out, units, window)
    _incidents(out, units, window)
    _recovery(out, units, window)
    return {key: dict(+counter) for key, counter in out.items() if +counter}


class _Window:
    def __init__(self, start: datetime, end: datetime, now: datetime, zones: dict[int, ZoneInfo]):
        self.start, self.end, self.now, self.zones = start, end, now, zones

    def holds(self, moment: datetime) -> bool:
        return self.start <= moment < self.end and moment <= self.now

    def local_day(self, unit_id: int, hour: datetime) -> date:
        return hour.astimezone(self.zones[unit_id]).date()


# --- Rounds ----------------------------------------------------------------------------------


def _after(
    anchor: datetime, seconds: float, pauses: list[tuple[datetime, datetime | None]]
) -> datetime | None:
    """The moment ``seconds`` of unpaused time after ``anchor`` (None: paused for good)."""
    at, left = anchor, timedelta(seconds=seconds)
    for p_start, p_end in pauses:
        if p_end is not None and p_end <= at:
            continue
        if p_start >= at + left:
            break
        if p_start > at:
            left -= p_start - at
        if p_end is None:
            return None
        at = max(at, p_end)
    return at + left


def _unpaused(a: datetime, b: datetime, pauses: list[tuple[datetime, datetime | None]]) -> float:
    seconds = (b - a).total_seconds()
    for p_start, p_end in pauses:
        lo, hi = max(a, p_start), min(b, p_end or b)
        if hi > lo:
            seconds -= (hi - lo).total_seconds()
    return seconds


def _rounds(out: Buckets, units: list[int], w: _Window) -> None:
    orders = ObservationOrder.objects.filter(
        Q(ended_at__isnull=True) | Q(ended_at__gt=w.start),
        made_in_unit_id__in=units,
        started_at__lt=w.end,
    )
    rows = list(
        orders.values_list(
            "pk",
            "made_in_unit_id",
            "started_at",
            "ended_at",
            "level__interval_minutes",
            "level__grace_factor",
        )
    )
    if not rows:
        return
    last_before = dict(
        Check.objects.filter(order__in=orders, observed_at__lt=w.start)
        .values("order_id")
        .annotate(last=Max("observed_at"))
        .values_list("order_id", "last")
        .order_by()
    )
    pauses: dict[int, list[tuple[datetime, datetime | None]]] = defaultdict(list)
    for order_id, p_start, p_end in (
        MonitoringException.objects.filter(order__in=orders, started_at__lt=w.end)
        .values_list("order_id", "started_at", "ended_at")
        .order_by("started_at")
    ):
        pauses[order_id].append((p_start, p_end))
    seen: dict[int, list[tuple[datetime, datetime, bool]]] = defaultdict(list)
    for order_id, observed, recorded, late in (
        Check.objects.filter(order__in=orders, observed_at__gte=w.start, observed_at__lt=w.end)
        .values_list("order_id", "observed_at", "recorded_at", "is_late_entry")
        .order_by("observed_at", "pk")
    ):
        seen[order_id].append((observed, recorded, late))
    unit_of = {row[0]: row[1] for row in rows}
    for order_id, observed in CheckAddendum.objects.filter(
        check_record__order__in=orders,
        check_record__observed_at__gte=w.start,
        check_record__observed_at__lt=w.end,
    ).values_list("check_record__order_id", "check_record__observed_at"):
        if observed <= w.now:
            out[(unit_of[order_id], floor_hour(observed))]["check_addenda"] += 1

    for order_id, unit_id, started, ended, interval_minutes, grace in rows:
        interval = interval_minutes * 60.0
        missed_after = float(grace) * interval
        stop = min(w.end, w.now if ended is None else min(ended, w.now))
        own_pauses = pauses[order_id]
        # Where the clock last restarted before the window: the start, the last check, or the
        # end of a pause (a check is due as soon as a pause ends).
        anchor = max(
            [started, *(t for t in [last_before.get(order_id)] if t and t >= started)]
            + [p_end for _, p_end in own_pauses if p_end is not None and p_end <= w.start]
        )
        points: list[tuple[datetime, tuple[datetime, bool] | None]] = [
            (observed, (recorded, late))
            for observed, recorded, late in seen[order_id]
            if started <= observed <= stop
        ]
        points += [
            (p_end, None)
            for _, p_end in own_pauses
            if p_end is not None and w.start < p_end <= stop
        ]
        points.sort(key=lambda p: (p[0], p[1] is None))
        # As on the board (``ObservationOrder.next_due_at``) and in the handoff
        # (``integrity.rounds_gaps``): a check is due at once when the clock starts without
        # one, at the order's start and when a pause ends; from there any wait is late and the
        # grace left is the level's less one interval (7.5 min at q15).
        at_once = anchor != last_before.get(order_id) and (
            anchor == started or anchor in {p_end for _, p_end in own_pauses}
        )
        a = anchor
        last = len(points)
        for index, (b, check) in enumerate([*points, (stop, None)]):
            is_last = index == last
            waited = 0.0 if at_once else interval
            allowed = missed_after - interval + waited
            # Missed checks: at the end of the grace, then every interval.
            moment = _after(a, allowed, own_pauses)
            while moment is not None and (moment < b or (is_last and moment == b and b == w.now)):
                if moment >= w.start and moment <= w.now:
                    key = (unit_id, floor_hour(moment))
                    out[key]["checks_missed"] += 1
                    out[key]["checks_due"] += 1
                moment = _after(moment, interval, own_pauses)
            if check is not None:
                recorded, late = check
                key = (unit_id, floor_hour(b))
                bucket = out[key]
                bucket["checks_done"] += 1
                gap = _unpaused(a, b, own_pauses)
                if gap <= waited:
                    bucket["checks_on_time"] += 1
                    bucket["checks_due"] += 1
                elif gap <= allowed:
                    bucket["checks_late"] += 1
                    bucket["checks_due"] += 1
                if late:
                    bucket["late_entries"] += 1
                if recorded - b > integrity.LARGE_GAP:
                    bucket["backfilled"] += 1
            # A pause's end restarts the clock, unless a check was made at that very moment.
            at_once = check is None and b != a
            a = b


def _alerts(out: Buckets, units: list[int], w: _Window) -> None:
    for unit_id, due, acknowledged in Alert.objects.filter(
        unit_id__in=units, kind=AlertKind.ESCALATION, due_at__gte=w.start, due_at__lt=w.end
    ).values_list("unit_id", "due_at", "acknowledged_at"):
        if due > w.now:
            continue
        bucket = out[(unit_id, floor_hour(due))]
        bucket["escalations"] += 1
        if acknowledged is not None and acknowledged <= w.now:
            bucket["escalations_answered"] += 1
            bucket["escalation_answer_seconds"] += max(int((acknowledged - due).total_seconds()), 0)


# --- Census, restraint and seclusion ---------------------------------------------------------


def _spread(
    out: Buckets,
    w: _Window,
    unit_id: int,
    born: date,
    begin: datetime,
    until: datetime | None,
    prefix: str,
) -> None:
    """Whole seconds of ``[begin, until)`` in each hour of the window, by the person's stratum."""
    end = min(w.now if until is None else min(until, w.now), w.end)
    begin_at = max(begin, w.start)
    for hour in hours_between(begin_at, end):
        lo, hi = max(begin_at, hour), min(end, hour + HOUR)
        # Floor each end, not each piece: the pieces of one interval add up exactly.
        seconds = floor(hi.timestamp()) - floor(lo.timestamp())
        if seconds > 0:
            group = stratum(born, w.local_day(unit_id, hour))
            out[(unit_id, hour)][f"{prefix}_{group}"] += seconds


def _census(out: Buckets, units: list[int], w: _Window) -> None:
    for unit_id, begin, until, born in Placement.objects.filter(
        Q(ended_at__isnull=True) | Q(ended_at__gt=w.start),
        unit_id__in=units,
        started_at__lt=w.end,
    ).values_list("unit_id", "started_at", "ended_at", "episode__person__date_of_birth"):
        _spread(out, w, unit_id, born, begin, until, "patient_seconds")


def _restraint(out: Buckets, units: list[int], w: _Window) -> None:
    for unit_id, kind, begin, until, born in RestraintEpisode.objects.filter(
        Q(released_at__isnull=True) | Q(released_at__gt=w.start),
        unit_id__in=units,
        started_at__lt=w.end,
        kind__in=[*PHYSICAL_KINDS, EpisodeKind.SECLUSION],
    ).values_list("unit_id", "kind", "started_at", "released_at", "person__date_of_birth"):
        prefix = "seclusion" if kind == EpisodeKind.SECLUSION else "restraint"
        _spread(out, w, unit_id, born, begin, until, f"{prefix}_seconds")
        if w.holds(begin):
            out[(unit_id, floor_hour(begin))][f"{prefix}_starts"] += 1


# --- Incidents and recovery ------------------------------------------------------------------


def _incidents(out: Buckets, units: list[int], w: _Window) -> None:
    injured = Exists(Injury.objects.filter(incident=OuterRef("pk")))
    for unit_id, occurred, kind, has_injury in (
        Incident.objects.filter(unit_id__in=units, occurred_at__gte=w.start, occurred_at__lt=w.end)
        .exclude(status=IncidentStatus.DRAFT)
        .annotate(injured=injured)
        .values_list("unit_id", "occurred_at", "type", "injured")
    ):
        if occurred > w.now:
            continue
        bucket = out[(unit_id, floor_hour(occurred))]
        bucket["incidents"] += 1
        bucket[f"incidents_{kind}"] += 1
        if has_injury:
            bucket["incidents_with_injury"] += 1


def _recovery(out: Buckets, units: list[int], w: _Window) -> None:
    for unit_id, made_in, begin, minutes in Encounter.objects.filter(
        Q(unit_id__in=units) | Q(unit__isnull=True, made_in_unit_id__in=units),
        started_at__gte=w.start,
        started_at__lt=w.end,
        status=EncounterStatus.SIGNED,
        voided_at__isnull=True,
        attended=True,
    ).values_list("unit_id", "made_in_unit_id", "started_at", "minutes"):
        if begin > w.now:
            continue
        bucket = out[(unit_id or made_in, floor_hour(begin))]
        bucket["peer_encounters"] += 1
        bucket["peer_encounter_minutes"] += minutes

    for unit_id, closed, sent, created in Referral.objects.filter(
        made_in_unit_id__in=units,
        closed_at__gte=w.start,
        closed_at__lt=w.end,
        status__in=CLOSED_STATUSES - {ReferralStatus.ENTERED_IN_ERROR},
    ).values_list("made_in_unit_id", "closed_at", "sent_at", "created_at"):
        if closed is None or closed > w.now:
            continue
        bucket = out[(unit_id, floor_hour(closed))]
        bucket["referrals_closed"] += 1
        bucket["referral_close_seconds"] += max(
            int((closed - (sent or created)).total_seconds()), 0
        )

    _barc(out, units, w)


def barc_bucket(administered: date, zone: ZoneInfo) -> datetime:
    """An assessment has a date, not a time: it counts in the first hour of that local day."""
    return floor_hour(datetime.combine(administered, time(0), tzinfo=zone))


def _barc(out: Buckets, units: list[int], w: _Window) -> None:
    lo = (w.start - timedelta(days=2)).date()
    hi = (w.end + timedelta(days=2)).date()
    inside = list(
        Assessment.objects.filter(
            made_in_unit_id__in=units,
            instrument__code=BARC_CODE,
            voided_at__isnull=True,
            administered_on__gte=lo,
            administered_on__lte=hi,
        ).values_list(
            "pk", "person_id", "made_in_unit_id", "administered_on", "recorded_at", "total"
        )
    )
    chosen = [row for row in inside if w.holds(barc_bucket(row[3], w.zones[row[2]]))]
    if not chosen:
        return
    history: dict[int, list[tuple[date, datetime, int, int]]] = defaultdict(list)
    for pk, person_id, on, recorded, total in Assessment.objects.filter(
        person_id__in={row[1] for row in chosen},
        instrument__code=BARC_CODE,
        voided_at__isnull=True,
        administered_on__lte=hi,
    ).values_list("pk", "person_id", "administered_on", "recorded_at", "total"):
        history[person_id].append((on, recorded, pk, round(total * 100)))
    for rows in history.values():
        rows.sort()
    for pk, person_id, unit_id, on, recorded, total in chosen:
        rows = history[person_id]
        i = bisect_left(rows, (on, recorded, pk))
        if i == 0:
            continue
        change = round(total * 100) - rows[i - 1][3]
        bucket = out[(unit_id, barc_bucket(on, w.zones[unit_id]))]
        bucket["barc_changes"] += 1
        bucket["barc_change_hundredths"] += change
