"""Back-fill detection: pure functions over plain check rows (no database).

DESIGN.md: back-filled (falsified) observation records are what coroners and regulators find
after an inpatient death; Pillars must make a back-filled check visible. Each detector below
looks for one pattern that honest rounding rarely makes and returns ``Flag`` values that name the
staff member, the checks behind the flag and a plain explanation. A flag is a reason to look,
not a finding of wrongdoing: an offline tablet syncing its queue, for example, also arrives in a
burst. Nothing here hides, scores away or dismisses anything; leaders see every flag.

The selector (``pillars.rounds.selectors.integrity``) loads the rows in a bounded number of
queries and calls ``detect_all``. The same module holds ``rounds_gaps``, the pure rule the shift
handoff uses to find late and missed checks in a check sequence.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from itertools import pairwise
from typing import Any

# --- Thresholds (module constants so the rules can be read, tested and argued with) ----------

# Bursts: a staff member walking the unit records checks seconds apart AND sees people seconds
# apart. When at least BURST_MIN_CHECKS reach the server within BURST_RECORDED_WITHIN while the
# times they claim to describe spread over BURST_OBSERVED_SPAN or more, the checks were entered
# together after the fact (or queued on an offline tablet: the explanation says so).
BURST_MIN_CHECKS = 4
BURST_RECORDED_WITHIN = timedelta(seconds=60)
BURST_OBSERVED_SPAN = timedelta(minutes=20)

# Even spacing: real rounds drift by seconds (a door takes longer, a person is in the bathroom),
# so gaps between one staff member's checks are almost never equal to the second. A run of
# EVEN_MIN_CHECKS checks (three equal gaps in a row) is what typed-in times look like:
# 10:00, 10:15, 10:30, 10:45.
EVEN_MIN_CHECKS = 4
# Two people sitting together can be seen in the same second; three or more different persons
# at exactly the same instant means the times were typed in, not tapped at each door.
SAME_TIME_MIN_PERSONS = 3

# Large gaps: the record rule calls an entry more than 10 minutes after the observation a late
# entry (services.orders.LATE_ENTRY_AFTER, shown on every check). Beyond LARGE_GAP the entry
# is written from memory of a whole round or more, so the report shows it again here.
LARGE_GAP = timedelta(minutes=30)
# Past this the entry is hours late: treat as high severity.
LARGE_GAP_HIGH = timedelta(hours=2)

# Impossible travel: two checks by one staff member observed less than TRAVEL_WITHIN apart,
# in rooms of different units, or in rooms more than TRAVEL_MAX_ROOMS apart in the unit's room
# order (rooms sorted by name, which on most units follows the corridor). A brisk walk passes
# one door every few seconds; a dozen doors or a locked unit door in under 20 seconds is not a
# round. Rooms are known only when the person was in their bedroom or bathroom; other
# locations are skipped rather than guessed.
TRAVEL_WITHIN = timedelta(seconds=20)
TRAVEL_MAX_ROOMS = 10


class Kind:
    BURST = "burst"
    EVEN_SPACING = "even_spacing"
    SAME_TIME = "same_time"
    LARGE_GAP = "large_gap"
    TRAVEL = "impossible_travel"
    ONE_TO_ONE = "one_to_one_elsewhere"

    LABELS = {
        BURST: "Entered in a burst",
        EVEN_SPACING: "Evenly spaced times",
        SAME_TIME: "Same time for several persons",
        LARGE_GAP: "Entered long after the observation",
        TRAVEL: "Impossible travel between rooms",
        ONE_TO_ONE: "Recorded while on 1:1 elsewhere",
    }
    ORDER = [BURST, EVEN_SPACING, SAME_TIME, LARGE_GAP, TRAVEL, ONE_TO_ONE]


class Severity:
    HIGH = "high"
    MEDIUM = "medium"

    LABELS = {HIGH: "High", MEDIUM: "Medium"}


@dataclass(frozen=True)
class CheckRow:
    """One check as the detectors see it. ``room_rank`` is the room's position in its unit's
    room order, ``None`` when the room is unknown (no bed, or the person was not in their room)."""

    id: Hashable
    staff: Hashable
    person: Hashable
    order: Hashable
    observed_at: datetime
    recorded_at: datetime
    unit: Hashable | None = None
    room: str = ""
    room_rank: int | None = None


@dataclass(frozen=True)
class CoverageRow:
    """A stretch of 1:1 (or 2:1) coverage; ``ended_at`` is None while still open."""

    staff: Hashable
    order: Hashable
    started_at: datetime
    ended_at: datetime | None


@dataclass(frozen=True)
class Flag:
    kind: str
    staff: Hashable
    check_ids: tuple[Hashable, ...]
    explanation: str
    severity: str

    @property
    def label(self) -> str:
        return Kind.LABELS[self.kind]


def _t(moment: datetime, zone: tzinfo) -> str:
    return moment.astimezone(zone).strftime("%H:%M:%S")


def _minutes(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    return "1 minute" if minutes == 1 else f"{minutes} minutes"


def _duration(delta: timedelta) -> str:
    minutes, seconds = divmod(int(delta.total_seconds()), 60)
    parts = []
    if minutes:
        parts.append("1 minute" if minutes == 1 else f"{minutes} minutes")
    if seconds or not minutes:
        parts.append("1 second" if seconds == 1 else f"{seconds} seconds")
    return " ".join(parts)


def _by_staff(rows: Iterable[CheckRow]) -> dict[Hashable, list[CheckRow]]:
    groups: dict[Hashable, list[CheckRow]] = defaultdict(list)
    for row in rows:
        groups[row.staff].append(row)
    return groups


# --- Detectors ---------------------------------------------------------------------------------


def bursts(
    rows: Iterable[CheckRow],
    *,
    min_checks: int = BURST_MIN_CHECKS,
    recorded_within: timedelta = BURST_RECORDED_WITHIN,
    observed_span: timedelta = BURST_OBSERVED_SPAN,
    zone: tzinfo = UTC,
) -> list[Flag]:
    """Checks that reached the server together but claim to describe a long stretch of time.
    Overlapping windows of one staff member merge into one flag."""
    flags = []
    for staff, own in _by_staff(rows).items():
        own.sort(key=lambda r: (r.recorded_at, r.observed_at))
        clusters: list[set[int]] = []
        j = 0
        for i in range(len(own)):
            j = max(j, i)
            while (
                j + 1 < len(own) and own[j + 1].recorded_at - own[i].recorded_at <= recorded_within
            ):
                j += 1
            window = own[i : j + 1]
            if len(window) < min_checks:
                continue
            observed = [r.observed_at for r in window]
            if max(observed) - min(observed) < observed_span:
                continue
            members = set(range(i, j + 1))
            if clusters and clusters[-1] & members:
                clusters[-1] |= members
            else:
                clusters.append(members)
        for members in clusters:
            chosen = [own[k] for k in sorted(members)]
            observed = sorted(r.observed_at for r in chosen)
            recorded = sorted(r.recorded_at for r in chosen)
            seconds = int((recorded[-1] - recorded[0]).total_seconds())
            flags.append(
                Flag(
                    Kind.BURST,
                    staff,
                    tuple(r.id for r in chosen),
                    f"{len(chosen)} checks were entered within {seconds} seconds "
                    f"({_t(recorded[0], zone)} to {_t(recorded[-1], zone)}) but say they were "
                    f"observed over {_minutes(observed[-1] - observed[0])} "
                    f"({_t(observed[0], zone)} to {_t(observed[-1], zone)}). Rounds entered at "
                    "each door arrive spread out; these arrived together. A tablet that was "
                    "offline also sends its queue at once: ask before concluding.",
                    Severity.HIGH,
                )
            )
    return flags


def _even_runs(seq: Sequence[CheckRow], min_checks: int) -> list[list[CheckRow]]:
    """Maximal runs of consecutive rows whose gaps are equal to the second (and not zero)."""
    gaps = [
        int((seq[k + 1].observed_at - seq[k].observed_at).total_seconds())
        for k in range(len(seq) - 1)
    ]
    runs: list[list[CheckRow]] = []
    k = 0
    while k < len(gaps):
        m = k
        while m + 1 < len(gaps) and gaps[m + 1] == gaps[k]:
            m += 1
        # gaps k..m are equal: they join rows k..m+1.
        if gaps[k] != 0 and m - k + 2 >= min_checks:
            runs.append(list(seq[k : m + 2]))
        k = m + 1
    return runs


def even_spacing(
    rows: Iterable[CheckRow], *, min_checks: int = EVEN_MIN_CHECKS, zone: tzinfo = UTC
) -> list[Flag]:
    """Runs of a staff member's checks with identical gaps to the second, looked for in each
    person's sequence and in the staff member's whole sequence (10:00 A, 10:05 B, 10:10 C)."""
    flags = []
    seen: set[frozenset[Hashable]] = set()
    for staff, own in _by_staff(rows).items():
        own.sort(key=lambda r: (r.observed_at, str(r.id)))
        per_person: dict[Hashable, list[CheckRow]] = defaultdict(list)
        for row in own:
            per_person[row.person].append(row)
        for seq in [*per_person.values(), own]:
            for run in _even_runs(seq, min_checks):
                ids = frozenset(r.id for r in run)
                if ids in seen:
                    continue
                seen.add(ids)
                gap_text = _duration(run[1].observed_at - run[0].observed_at)
                flags.append(
                    Flag(
                        Kind.EVEN_SPACING,
                        staff,
                        tuple(r.id for r in run),
                        f"{len(run)} checks in a row are exactly {gap_text} apart, to the "
                        f"second ({_t(run[0].observed_at, zone)} to "
                        f"{_t(run[-1].observed_at, zone)}). Real rounds drift by seconds; "
                        "identical gaps usually mean the times were typed in afterwards.",
                        Severity.MEDIUM,
                    )
                )
    return flags


def same_time(
    rows: Iterable[CheckRow], *, min_persons: int = SAME_TIME_MIN_PERSONS, zone: tzinfo = UTC
) -> list[Flag]:
    """One staff member's checks of several different persons at the very same instant."""
    flags = []
    for staff, own in _by_staff(rows).items():
        at: dict[datetime, list[CheckRow]] = defaultdict(list)
        for row in own:
            at[row.observed_at].append(row)
        for moment, group in sorted(at.items(), key=lambda item: item[0]):
            persons = {r.person for r in group}
            if len(persons) < min_persons:
                continue
            flags.append(
                Flag(
                    Kind.SAME_TIME,
                    staff,
                    tuple(r.id for r in sorted(group, key=lambda r: str(r.id))),
                    f"{len(persons)} different persons served are recorded as seen at exactly "
                    f"{_t(moment, zone)}. A check is tapped at each person's door, so times "
                    "this identical usually mean they were typed in together.",
                    Severity.MEDIUM,
                )
            )
    return flags


def large_gaps(
    rows: Iterable[CheckRow],
    *,
    gap: timedelta = LARGE_GAP,
    high: timedelta = LARGE_GAP_HIGH,
    zone: tzinfo = UTC,
) -> list[Flag]:
    """Checks entered more than ``gap`` after the moment they describe (one flag per check)."""
    flags = []
    for row in sorted(rows, key=lambda r: (r.observed_at, str(r.id))):
        delay = row.recorded_at - row.observed_at
        if delay <= gap:
            continue
        flags.append(
            Flag(
                Kind.LARGE_GAP,
                row.staff,
                (row.id,),
                f"Observed at {_t(row.observed_at, zone)} but entered at "
                f"{_t(row.recorded_at, zone)}, {_minutes(delay)} later (late entries are "
                f"flagged after 10 minutes; this is over {_minutes(gap)}).",
                Severity.HIGH if delay > high else Severity.MEDIUM,
            )
        )
    return flags


def impossible_travel(
    rows: Iterable[CheckRow],
    *,
    within: timedelta = TRAVEL_WITHIN,
    max_rooms: int = TRAVEL_MAX_ROOMS,
    zone: tzinfo = UTC,
) -> list[Flag]:
    """Consecutive checks by one staff member, observed less than ``within`` apart, in rooms on
    different units or more than ``max_rooms`` rooms apart."""
    flags = []
    for staff, own in _by_staff(rows).items():
        placed = sorted(
            (r for r in own if r.unit is not None), key=lambda r: (r.observed_at, str(r.id))
        )
        for a, b in pairwise(placed):
            apart = b.observed_at - a.observed_at
            if apart >= within:
                continue
            seconds = int(apart.total_seconds())
            if a.unit != b.unit:
                why = "on different units"
            elif (
                a.room_rank is not None
                and b.room_rank is not None
                and abs(a.room_rank - b.room_rank) > max_rooms
            ):
                why = f"{abs(a.room_rank - b.room_rank)} rooms apart on the unit"
            else:
                continue
            where = f" ({a.room} and {b.room})" if a.room and b.room else ""
            flags.append(
                Flag(
                    Kind.TRAVEL,
                    staff,
                    (a.id, b.id),
                    f"Two checks observed {seconds} seconds apart ({_t(a.observed_at, zone)} and "
                    f"{_t(b.observed_at, zone)}) in rooms {why}{where}. The rule: less than "
                    f"{int(within.total_seconds())} seconds between rooms on different units or "
                    f"more than {max_rooms} rooms apart cannot be walked.",
                    Severity.HIGH,
                )
            )
    return flags


def on_one_to_one_elsewhere(
    rows: Iterable[CheckRow], coverage: Iterable[CoverageRow], *, zone: tzinfo = UTC
) -> list[Flag]:
    """Checks observed by a staff member who was, at that moment, on 1:1 with someone else."""
    stretches: dict[Hashable, list[CoverageRow]] = defaultdict(list)
    for stretch in coverage:
        stretches[stretch.staff].append(stretch)
    flags = []
    for row in sorted(rows, key=lambda r: (r.observed_at, str(r.id))):
        for stretch in stretches.get(row.staff, ()):
            if stretch.order == row.order:
                continue
            ended = stretch.ended_at
            if stretch.started_at <= row.observed_at and (ended is None or row.observed_at < ended):
                until = f"until {_t(ended, zone)}" if ended else "still open"
                flags.append(
                    Flag(
                        Kind.ONE_TO_ONE,
                        row.staff,
                        (row.id,),
                        f"Observed at {_t(row.observed_at, zone)} while this staff member was on "
                        f"1:1 with another person served (from {_t(stretch.started_at, zone)}, "
                        f"{until}). Someone on 1:1 stays with that person, so either this check "
                        "or the 1:1 was not as recorded.",
                        Severity.HIGH,
                    )
                )
                break
    return flags


def detect_all(
    rows: Sequence[CheckRow], coverage: Sequence[CoverageRow] = (), *, zone: tzinfo = UTC
) -> list[Flag]:
    """Every detector with its default thresholds, flags in the order of ``Kind.ORDER``."""
    return [
        *bursts(rows, zone=zone),
        *even_spacing(rows, zone=zone),
        *same_time(rows, zone=zone),
        *large_gaps(rows, zone=zone),
        *impossible_travel(rows, zone=zone),
        *on_one_to_one_elsewhere(rows, coverage, zone=zone),
    ]


def summary_by_staff(flags: Iterable[Flag]) -> dict[Hashable, dict[str, Any]]:
    """Per staff member: count of flags of each kind, total, and distinct checks flagged."""
    table: dict[Hashable, dict[str, Any]] = {}
    for flag in flags:
        entry = table.setdefault(
            flag.staff, {"kinds": dict.fromkeys(Kind.ORDER, 0), "total": 0, "checks": set()}
        )
        entry["kinds"][flag.kind] += 1
        entry["total"] += 1
        entry["checks"].update(flag.check_ids)
    return table


# --- Late and missed checks in a sequence (for the shift handoff) -----------------------------


@dataclass(frozen=True)
class Gap:
    """A stretch between observations longer than the interval: ``late`` when within the grace,
    ``missed`` beyond it. ``minutes`` excludes time the clock was paused."""

    starts_at: datetime
    ends_at: datetime
    minutes: int
    status: str  # "late" or "missed"
    is_open: bool  # no observation ended it (the window ran out first)


def _paused(start: datetime, end: datetime, pauses: Iterable[tuple[datetime, datetime]]) -> float:
    total = 0.0
    for p_start, p_end in pauses:
        lo, hi = max(start, p_start), min(end, p_end)
        if hi > lo:
            total += (hi - lo).total_seconds()
    return total


def rounds_gaps(
    anchor: datetime,
    observations: Iterable[datetime],
    until: datetime,
    *,
    interval: timedelta,
    missed_after: timedelta,
    pauses: Iterable[tuple[datetime, datetime]] = (),
    starts_due: bool = False,
) -> list[Gap]:
    """Gaps in a check sequence from ``anchor`` (the order's start or the last check before the
    window) to ``until`` (the window's end, the order's end or now). A gap longer than the
    interval is a late check; longer than ``missed_after`` (the level's grace, 1.5 x q15 =
    22.5 min) a missed one. Paused time (monitoring exceptions) does not count.

    As on the board (``ObservationOrder.next_due_at``), a check is due at once when the clock
    starts without one: at the order's start (``starts_due``: the anchor is the start, not a
    check) and when a pause ends. From such a point any wait is late and the grace left is
    ``missed_after`` less one interval (7.5 min at q15), so the handoff and the board agree."""
    pause_list = sorted(pauses)
    seen = {o for o in observations if anchor <= o <= until}
    points = sorted({anchor, *seen, *(p[1] for p in pause_list)})
    points = [p for p in points if anchor <= p <= until]
    due_at_once = {p[1] for p in pause_list} | ({anchor} if starts_due else set())
    gaps = []
    for i, start in enumerate(points):
        end = points[i + 1] if i + 1 < len(points) else until
        is_open = i + 1 >= len(points)
        seconds = (end - start).total_seconds() - _paused(start, end, pause_list)
        # A check at the very moment the clock starts is an observation like any other.
        waited = 0.0 if start in due_at_once and start not in seen else interval.total_seconds()
        if seconds <= waited:
            continue
        missed = missed_after.total_seconds() - interval.total_seconds() + waited
        status = "missed" if seconds > missed else "late"
        gaps.append(Gap(start, end, int(seconds // 60), status, is_open))
    return gaps
