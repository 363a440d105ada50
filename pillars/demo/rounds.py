"""Live rounds for the demo: an observation order for everyone on a unit, weeks of checks
replayed through the rounds services, a board with a realistic mix of on-time, due, late and
missed persons right after loading, and a few back-fill patterns for the integrity report.

Everything goes through ``pillars.rounds.services`` with the clock replayed to the moment each
thing happened (``clock.replaying_at``), so the data is audited and each check's
``recorded_at`` sits seconds after its ``observed_at``, as on the floor. Only the back-fill
patterns are recorded late, on purpose.
"""

from __future__ import annotations

import random
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pillars.core import clock
from pillars.demo.steps import Step, by_day, no_steps
from pillars.people.choices import UnitKind
from pillars.people.models import Placement, Staff, Unit
from pillars.rounds import services
from pillars.rounds.choices import Activity, ExceptionKind, Location, Precaution, SafetyStatus
from pillars.rounds.models import InspectionTemplate, ObservationLevel, ObservationOrder
from pillars.rounds.services.assignments import assign_shift, shift_bounds
from pillars.rounds.services.coverage import start_coverage
from pillars.rounds.services.exceptions import start_exception
from pillars.rounds.services.inspections import Answer, record_inspection
from pillars.rounds.services.sync import REFUSED, CheckItem, record_checks

# Checks replayed per scale: a month for the small demo; the large one (1,000 persons served,
# for benchmarks) keeps a day so it loads in reasonable time.
HISTORY_DAYS = {"small": 30, "large": 1}

# Levels by unit type (DESIGN.md facts: q15 is the standard on acute units, q5 for the highest
# risk, residential programs q30/q60). Continuous levels are kept short, as in practice.
LEVEL_MIX: dict[str, tuple[tuple[str, int], ...]] = {
    UnitKind.ACUTE_ADULT: (("q15", 78), ("q5", 8), ("line-of-sight", 8), ("one-to-one", 6)),
    UnitKind.ADOLESCENT: (("q15", 80), ("q5", 8), ("line-of-sight", 8), ("one-to-one", 4)),
    UnitKind.CRISIS: (("q15", 85), ("q30", 10), ("q5", 5)),
    UnitKind.RESIDENTIAL: (("q60", 65), ("q30", 35)),
    UnitKind.COMMUNITY: (("q60", 100),),
}
# Short-lived levels: ordered this many hours before now at most (then stepped down before).
SHORT_LEVELS = {"q5": 6, "line-of-sight": 10, "one-to-one": 12, "two-to-one": 6}
PRECAUTION_ODDS: dict[str, tuple[tuple[str, float], ...]] = {
    "acute": (
        (Precaution.SUICIDE, 0.4),
        (Precaution.SELF_HARM, 0.2),
        (Precaution.ASSAULT, 0.1),
        (Precaution.ELOPEMENT, 0.1),
        (Precaution.FALL, 0.08),
        (Precaution.SEXUAL_SAFETY, 0.03),
        (Precaution.SEIZURE, 0.03),
    ),
    "residential": (
        (Precaution.ELOPEMENT, 0.1),
        (Precaution.FALL, 0.05),
        (Precaution.SEIZURE, 0.05),
    ),
}
INSTRUCTIONS = (
    "",
    "",
    "At night, see breathing without the overhead light: use the hall light or a flashlight.",
    "Bathroom door stays ajar; knock and wait for an answer.",
    "Meals on the unit only; plastic utensils, counted back.",
    "Encourage groups; do not leave alone in the courtyard.",
)
REASONS = {
    "q15": "Standard observation on admission.",
    "q30": "Stable for 72 hours; stepped down by the treatment team.",
    "q60": "Residential program standard.",
    "q5": "New statements of intent to self-harm this shift.",
    "line-of-sight": "Agitated, pacing the exits after a phone call.",
    "one-to-one": "Attempted to tie a ligature in the bathroom; arm's-length observation.",
}
# The live board right after loading: share of persons in each state.
# How often the demo tablets sync their checks (well inside the 10-minute late-entry rule).
SYNC_EVERY = timedelta(minutes=8)
LIVE_MIX = (("on_time", 60), ("due", 15), ("late", 15), ("missed", 10))

DAY_ACTIVITIES = (
    (Location.DAYROOM, Activity.TV),
    (Location.DAYROOM, Activity.TALKING),
    (Location.GROUP_ROOM, Activity.GROUP),
    (Location.DINING, Activity.EATING),
    (Location.BEDROOM, Activity.RESTING),
    (Location.BEDROOM, Activity.READING),
    (Location.HALLWAY, Activity.WALKING),
    (Location.DAYROOM, Activity.PHONE),
)


@dataclass(frozen=True)
class Backfill:
    """A back-filled stretch: ``length`` of night not rounded from ``start`` (local) ``days_ago``
    (last night unless told), typed in ``entered_after`` its end at ``step`` spacing (every 15
    minutes, as q15 rounds, the standard level, are due); ``same_times`` puts every person at
    the same minute (a copied round)."""

    start: time
    length: timedelta
    entered_after: timedelta
    reason: str
    days_ago: int = 1
    step: timedelta = timedelta(minutes=15)
    same_times: bool = False


# Realistic patterns found in falsified observation records (DESIGN.md: back-filled records are
# what coroners and regulators find): a night not rounded and typed in at dawn at perfectly even
# times; on another unit a shorter stretch entered in a burst after a busy spell.
BACKFILL_PATTERNS: dict[str, Backfill] = {
    UnitKind.ACUTE_ADULT: Backfill(
        start=time(2, 0),
        length=timedelta(hours=3),
        entered_after=timedelta(minutes=40),
        reason="Documentation catch-up at end of shift.",
    ),
    UnitKind.ADOLESCENT: Backfill(
        start=time(3, 0),
        length=timedelta(hours=1),
        entered_after=timedelta(minutes=25),
        reason="Entered after a busy spell on the unit.",
        same_times=True,
    ),
}


def weighted[T](rng: random.Random, options: tuple[tuple[T, int], ...]) -> T:
    """One of the options, drawn with the weight paired with it (the demo's mixes)."""
    return rng.choices([o for o, _ in options], weights=[w for _, w in options])[0]


@dataclass
class Round:
    """Checks recorded together: one staff member, one unit, recorded when they were made."""

    observer: Any
    items: list[Item] = field(default_factory=list)


@dataclass
class Item:
    order: ObservationOrder
    observed_at: datetime
    location: str
    activity: str
    safety_status: str = SafetyStatus.SAFE
    recorded_at: datetime | None = None  # None: seconds after it was observed
    late_reason: str = ""


@dataclass
class RoundsSummary:
    orders: int = 0
    checks: int = 0
    backfilled: int = 0
    coverage: int = 0
    assignments: int = 0
    exceptions: int = 0
    inspections: int = 0
    live: dict[str, int] = field(default_factory=lambda: defaultdict(int))


class RoundsLoader:
    """Replays rounds on every unit through the services. ``record`` records one batch of
    checks at a moment (defaults to one ``record_check`` per check)."""

    def __init__(
        self,
        *,
        seed: int,
        scale: str,
        days: int | None = None,
        staff_by_unit: dict[str, dict[str, list[Staff]]],
        units: Iterable[Unit],
        demo_bht: Staff | None,
        step: Step = no_steps,
    ) -> None:
        self.rng = random.Random(seed * 31 + 7)
        self.days = days if days is not None else HISTORY_DAYS.get(scale, 1)
        self.staff_by_unit = staff_by_unit
        self.units = list(units)
        self.demo_bht = demo_bht
        self.now = clock.now()
        self.levels = {lv.code: lv for lv in ObservationLevel.objects.filter(is_current=True)}
        self.summary = RoundsSummary()
        self.sitting: set[int] = set()
        self.record: Callable[[Any, list[Item]], None] = self._record_batch
        # A transaction per unit's orders, per unit and day of checks, per unit's floor now.
        self.step = step

    # -- who is on shift --

    def _shift_index(self, unit: Unit, moment: datetime) -> int:
        """Day shift 07:00-19:00, night 19:00-07:00 in the unit's zone: a number per shift."""
        local = moment.astimezone(ZoneInfo(unit.time_zone))
        shifted = local - timedelta(hours=7)
        return shifted.toordinal() * 2 + (1 if shifted.hour >= 12 else 0)

    def _observer(self, unit: Unit, moment: datetime) -> Staff:
        bhts = self.staff_by_unit[unit.code].get("bht") or self.staff_by_unit[unit.code]["nurse"]
        on_now = self._shift_index(unit, moment) == self._shift_index(unit, self.now)
        if on_now and self.demo_bht is not None and self.demo_bht in bhts:
            return self.demo_bht
        return bhts[self._shift_index(unit, moment) % len(bhts)]

    def _orderer(self, unit: Unit, n: int) -> Staff:
        people = self.staff_by_unit[unit.code]
        choices = (people.get("clinician") or []) + (people.get("nurse") or [])
        return choices[n % len(choices)]

    # -- loading --

    def run(self) -> RoundsSummary:
        for unit in self.units:
            self._unit(unit)
        return self.summary

    def _unit(self, unit: Unit) -> None:
        placements = list(
            Placement.objects.current()
            .filter(unit=unit)
            .select_related("episode__person", "bed__room")
            .order_by("bed__room__name", "bed__label", "pk")
        )
        mix = LEVEL_MIX.get(unit.kind, LEVEL_MIX[UnitKind.COMMUNITY])
        timelines = []
        with self.step(f"rounds {unit.code} orders"):
            for n, placement in enumerate(placements):
                timelines.append(self._orders_for(unit, placement, weighted(self.rng, mix), n))
        rounds: dict[tuple[int, int], Round] = {}
        for order_plan in timelines:
            for order, times in order_plan:
                for moment in times:
                    # Tablets sync every few minutes: no late entry by accident.
                    slot = int(moment.timestamp() // SYNC_EVERY.total_seconds())
                    observer = self._observer(unit, moment)
                    key = (slot, observer.pk)
                    rounds.setdefault(key, Round(observer.user))
                    where, doing = self._what(unit, moment)
                    rounds[key].items.append(Item(order, moment, where, doing))
        if unit.kind in BACKFILL_PATTERNS:
            rounds = self._backfill(unit, rounds, BACKFILL_PATTERNS[unit.kind])
        zone = ZoneInfo(unit.time_zone)
        for day, keys in by_day(sorted(rounds), lambda key: _slot_day(key[0], zone)):
            with self.step(f"rounds {unit.code} {day}"):
                for key in keys:
                    batch = rounds[key]
                    self.record(batch.observer, sorted(batch.items, key=lambda i: i.observed_at))
                    self.summary.checks += len(batch.items)
        with self.step(f"rounds {unit.code} now"):
            self._floor_now(unit, placements)

    # -- the floor right now: the shift's assignments, 1:1 coverage, a pause, inspections --

    def _floor_now(self, unit: Unit, placements: list[Placement]) -> None:
        people = self.staff_by_unit[unit.code]
        nurses = people.get("nurse") or []
        bhts = people.get("bht") or []
        if not nurses or not bhts:
            return
        lead = next((n for n in nurses if n.user.username == "demo-nurse"), nurses[0])
        orders = {
            o.person_id: o
            for o in ObservationOrder.objects.filter(
                ended_at__isnull=True, person__in=[p.episode.person_id for p in placements]
            ).select_related("level", "person")
        }
        on_shift = self._observer(unit, self.now)
        continuous = [o for o in orders.values() if o.level.staff_ratio > 0]
        # A staff member covers one person at a time, even when they work on two units.
        sitters = [b for b in bhts if b != on_shift and b.pk not in self.sitting][: len(continuous)]
        self.sitting.update(b.pk for b in sitters)
        for order, sitter in zip(continuous, sitters, strict=False):
            with clock.replaying_at(max(order.started_at, self.now - timedelta(hours=2))):
                start_coverage(order, actor=lead.user, staff=sitter)
            self.summary.coverage += 1
        rounders = [b for b in bhts if b not in sitters][:3] or [on_shift]
        if on_shift in rounders:
            rounders.remove(on_shift)
        rounders.insert(0, on_shift)
        walk = [p.episode.person for p in placements if p.episode.person_id in orders]
        by_staff: dict[Staff, list[Any]] = {}
        for index, person in enumerate(walk):
            by_staff.setdefault(rounders[index * len(rounders) // len(walk)], []).append(person)
        starts, ends = self._shift_bounds(unit)
        assign_shift(
            unit, actor=lead.user, starts_at=starts, ends_at=ends, by_staff=by_staff, lead=lead
        )
        self.summary.assignments += len(walk)
        # One person is off the unit right now (a scan at the main hospital), clock paused.
        checked = [o for o in orders.values() if o.level.staff_ratio == 0 and o.last_observed_at]
        if unit.kind in (UnitKind.ACUTE_ADULT, UnitKind.CRISIS) and checked:
            order = min(checked, key=lambda o: o.last_observed_at or self.now)
            order.refresh_from_db()
            start_exception(
                order,
                actor=lead.user,
                kind=ExceptionKind.OFF_UNIT,
                reason="Imaging appointment ordered by the physician.",
                with_whom="Transport aide and one of our BHTs",
                where="Radiology, main hospital",
            )
            self.summary.exceptions += 1
        self._inspections(unit, placements, orders, lead)

    def _shift_bounds(self, unit: Unit) -> tuple[datetime, datetime]:
        local = clock.local(self.now, unit.time_zone)
        if 7 <= local.hour < 19:
            return shift_bounds(unit, local.date(), time(7), time(19))
        day = local.date() if local.hour >= 19 else local.date() - timedelta(days=1)
        return shift_bounds(unit, day, time(19), time(7))

    def _inspections(
        self,
        unit: Unit,
        placements: list[Placement],
        orders: dict[int, ObservationOrder],
        lead: Staff,
    ) -> None:
        """This morning's bedroom checks: every item passes, except (on acute units) one loose
        closet rod in the room of a person on suicide precautions, which opens a ligature work
        order and puts a warning on the board."""
        template = InspectionTemplate.objects.filter(
            code="bedroom-ligature", is_current=True
        ).first()
        inspector = (self.staff_by_unit[unit.code].get("bht") or [lead])[-1]
        if template is None:
            return
        items = list(template.items.order_by("position"))
        at_risk = next(
            (
                p
                for p in placements
                if p.bed is not None
                and Precaution.SUICIDE
                in getattr(orders.get(p.episode.person_id), "precautions", [])
            ),
            None,
        )
        rooms = {p.bed.room for p in placements if p.bed is not None}
        for room in sorted(rooms, key=lambda r: r.name)[:4]:
            failing = (
                at_risk is not None
                and at_risk.bed is not None
                and room == at_risk.bed.room
                and unit.kind != UnitKind.RESIDENTIAL
            )
            answers = {}
            for item in items:
                if failing and item.category == "ligature" and "closet" in item.text.lower():
                    answers[str(item.public_id)] = Answer(
                        "fail", "Closet rod does not release under load; bracket bent."
                    )
                else:
                    answers[str(item.public_id)] = Answer("pass")
            with clock.replaying_at(self.now - timedelta(hours=2)):
                record_inspection(
                    actor=inspector.user,
                    unit=unit,
                    template=template,
                    answers=answers,
                    room=room,
                    owner=lead,
                )
            self.summary.inspections += 1

    def _backfill(
        self, unit: Unit, rounds: dict[tuple[int, int], Round], pattern: Backfill
    ) -> dict[tuple[int, int], Round]:
        """Replace one night's stretch of honest rounds with what a back-filler enters: the
        stretch was not rounded, and the checks are typed in afterwards in one burst, at tidy
        times. The integrity report must catch it; nothing here hides it."""
        zone = ZoneInfo(unit.time_zone)
        day = (self.now.astimezone(zone) - timedelta(days=pattern.days_ago)).date()
        start = datetime.combine(day, pattern.start, tzinfo=zone)
        end = start + pattern.length
        if start < self.now - timedelta(days=self.days) or end > self.now:
            return rounds
        kept: dict[tuple[int, int], Round] = {}
        removed: list[Item] = []
        for key, batch in rounds.items():
            inside = [i for i in batch.items if start <= i.observed_at < end]
            if inside:
                removed.extend(inside)
                batch = Round(batch.observer, [i for i in batch.items if i not in inside])
            if batch.items:
                kept[key] = batch
        if not removed:
            return kept
        observer = self._observer(unit, start)
        orders = {i.order.pk: i.order for i in removed}
        entered = end + pattern.entered_after
        burst: list[Item] = []
        # Read back: a level change after the order was made ended it in the database.
        ended_at = dict(
            ObservationOrder.objects.filter(pk__in=orders).values_list("pk", "ended_at")
        )
        for index, order in enumerate(orders.values()):
            moment = start
            # Only while this order was in force: its checks before or after belong elsewhere.
            while moment < order.started_at:
                moment += pattern.step
            ended = ended_at.get(order.pk)
            stop = min(end, ended) if ended else end
            while moment < stop:
                # A copied round puts everyone at the same minute; otherwise a minute apart.
                observed = moment + (
                    timedelta(0) if pattern.same_times else timedelta(minutes=index)
                )
                recorded = entered + timedelta(seconds=len(burst) * 4)
                burst.append(
                    Item(
                        order,
                        observed,
                        Location.BEDROOM,
                        Activity.ASLEEP,
                        recorded_at=recorded,
                        late_reason=pattern.reason,
                    )
                )
                moment += pattern.step
        kept[(int(entered.timestamp() // SYNC_EVERY.total_seconds()), observer.pk)] = Round(
            observer.user, burst
        )
        self.summary.backfilled += len(burst)
        return kept

    def _orders_for(
        self, unit: Unit, placement: Placement, code: str, n: int
    ) -> list[tuple[ObservationOrder, list[datetime]]]:
        """The person's orders (a stepped-down standard level, then a short high level when
        ``code`` is one) and the observation times of each."""
        episode = placement.episode
        earliest = max(placement.started_at, self.now - timedelta(days=self.days))
        standard = "q60" if unit.kind == UnitKind.RESIDENTIAL else "q15"
        plan: list[tuple[str, datetime]] = []
        if code in SHORT_LEVELS:
            high_start = self.now - timedelta(
                hours=self.rng.uniform(1, SHORT_LEVELS[code]), minutes=self.rng.uniform(0, 30)
            )
            high_start = max(high_start, earliest + timedelta(minutes=20))
            if high_start < self.now - timedelta(minutes=20):
                plan = [(standard, earliest), (code, high_start)]
            else:
                plan = [(code, earliest)]
        else:
            plan = [(code, earliest)]
        group = "residential" if unit.kind == UnitKind.RESIDENTIAL else "acute"
        precautions = [p for p, odds in PRECAUTION_ODDS[group] if self.rng.random() < odds]
        out = []
        # Whole seconds, as the check times are: a check truncated to its second must never
        # fall before the order it belongs to began.
        plan = [(c, _up_to_second(start)) for c, start in plan]
        for index, (level_code, start) in enumerate(plan):
            level = self.levels[level_code]
            orderer = self._orderer(unit, n + index)
            with clock.replaying_at(start + timedelta(minutes=2)):
                order = services.order_observation(
                    episode.person,
                    actor=orderer.user,
                    level=level,
                    reason=REASONS.get(level_code, REASONS["q15"]),
                    precautions=precautions,
                    instructions=self.rng.choice(INSTRUCTIONS),
                    started_at=start,
                )
            self.summary.orders += 1
            end = plan[index + 1][1] if index + 1 < len(plan) else None
            out.append((order, self._times(order, start, end)))
        return out

    def _times(
        self, order: ObservationOrder, start: datetime, end: datetime | None
    ) -> list[datetime]:
        """Observation times from the order's start; the current order's last check is set
        back from now to give the board its live mix."""
        interval = order.level.interval
        times = []
        if end is None:
            state = weighted(self.rng, LIVE_MIX)
            self.summary.live[state] += 1
            minutes = interval.total_seconds() / 60
            back = {
                "on_time": self.rng.uniform(0.15, 0.75) * minutes,
                "due": minutes - self.rng.uniform(0.2, 1.5),
                "late": minutes + self.rng.uniform(1, 0.4 * minutes),
                "missed": minutes * 1.5 + self.rng.uniform(2, 12),
            }[state]
            last = self.now - timedelta(minutes=back)
            moment = last
            while moment >= start:
                times.append(moment)
                # Rounds run a little early more often than late, never past the interval.
                moment -= interval - timedelta(seconds=self.rng.uniform(0, 120))
            times.reverse()
        else:
            moment = start + timedelta(seconds=self.rng.uniform(30, 240))
            while moment < end:
                times.append(moment)
                moment += interval - timedelta(seconds=self.rng.uniform(0, 120))
        return [t.replace(microsecond=0) for t in times if t <= self.now]

    def _what(self, unit: Unit, moment: datetime) -> tuple[str, str]:
        hour = moment.astimezone(ZoneInfo(unit.time_zone)).hour
        if hour >= 22 or hour < 6:
            if self.rng.random() < 0.9:
                return Location.BEDROOM, Activity.ASLEEP
            return Location.BATHROOM, Activity.HYGIENE
        return self.rng.choice(DAY_ACTIVITIES)

    # -- recording --

    def _record_batch(self, actor: Any, items: list[Item]) -> None:
        """Record one round as the tablet syncs it: one ``record_checks`` call at the moment the
        round was finished (back-filled stretches at the moment they were typed in)."""
        if not items:
            return
        recorded = max(
            i.recorded_at or i.observed_at + timedelta(seconds=self.rng.uniform(5, 30))
            for i in items
        )
        batch = [
            CheckItem(
                order=i.order.public_id,
                client_id=uuid.UUID(int=self.rng.getrandbits(128), version=4),
                observed_at=i.observed_at,
                location=i.location,
                activity=i.activity,
                safety_status=i.safety_status,
                late_reason=i.late_reason,
            )
            for i in items
        ]
        with clock.replaying_at(min(recorded, self.now)):
            results = record_checks(batch, actor=actor)
        refused = [r for r in results if r.status == REFUSED]
        if refused:
            bad = next(i for i, r in zip(items, results, strict=True) if r.status == REFUSED)
            raise RuntimeError(
                f"demo rounds: a check was refused: {refused[0].errors} "
                f"({bad.observed_at} on {bad.order.started_at}..{bad.order.ended_at})"
            )


def _slot_day(slot: int, zone: ZoneInfo) -> date:
    """The unit's local day of a sync slot (``SYNC_EVERY`` periods since the epoch)."""
    return datetime.fromtimestamp(slot * SYNC_EVERY.total_seconds(), zone).date()


def _up_to_second(moment: datetime) -> datetime:
    """The moment, or the next whole second when it has a fraction."""
    if moment.microsecond:
        return moment.replace(microsecond=0) + timedelta(seconds=1)
    return moment
