"""The back-fill detectors on crafted rows: each fires on its pattern and stays quiet on honest
rounding with natural jitter. Pure functions: no database."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from pillars.rounds import integrity
from pillars.rounds.integrity import CheckRow, CoverageRow, Kind, Severity

T0 = datetime(2025, 3, 4, 14, 0, tzinfo=UTC)
PERSONS = ["p1", "p2", "p3", "p4", "p5", "p6"]


def row(
    n: int,
    observed: datetime,
    recorded: datetime | None = None,
    *,
    staff: str = "s1",
    person: str = "p1",
    order: str | None = None,
    unit: str | None = "u1",
    rank: int | None = None,
) -> CheckRow:
    return CheckRow(
        id=f"c{n}",
        staff=staff,
        person=person,
        order=order or f"o-{person}",
        observed_at=observed,
        recorded_at=recorded or observed + timedelta(seconds=3),
        unit=unit,
        room=f"R{rank}" if rank is not None else "",
        room_rank=rank,
    )


def honest_shift(seed: int, *, hours: int = 4, staff: str = "s1") -> list[CheckRow]:
    """A staff member rounding on six persons every ~15 minutes for some hours: each round
    walks the corridor (5-40 s per door), rounds start with a minute or two of drift, and
    every check is tapped at the door and reaches the server within a few seconds."""
    rnd = random.Random(seed)
    rows = []
    n = 0
    start = T0
    while start < T0 + timedelta(hours=hours):
        moment = start
        for rank, person in enumerate(PERSONS):
            moment += timedelta(seconds=rnd.randint(5, 40), milliseconds=rnd.randint(0, 999))
            rows.append(
                row(
                    n,
                    moment,
                    moment + timedelta(seconds=rnd.uniform(0.2, 8)),
                    staff=staff,
                    person=person,
                    rank=rank,
                )
            )
            n += 1
        start += timedelta(minutes=15, seconds=rnd.randint(-90, 90))
    return rows


def test_honest_rounding_raises_no_flag_at_all() -> None:
    for seed in range(40):
        rows = honest_shift(seed)
        assert integrity.detect_all(rows) == [], f"seed {seed}"


# --- Bursts -------------------------------------------------------------------------------------


def test_burst_fires_on_checks_entered_together_for_a_long_stretch() -> None:
    typed_at = T0 + timedelta(hours=2)
    rows = [
        row(n, T0 + timedelta(minutes=15 * n), typed_at + timedelta(seconds=8 * n))
        for n in range(5)
    ]
    flags = integrity.bursts(rows)
    assert len(flags) == 1
    flag = flags[0]
    assert flag.kind == Kind.BURST
    assert flag.staff == "s1"
    assert flag.severity == Severity.HIGH
    assert flag.check_ids == ("c0", "c1", "c2", "c3", "c4")
    assert "5 checks were entered within 32 seconds" in flag.explanation
    assert "60 minutes" in flag.explanation


def test_burst_needs_enough_checks_and_enough_spread() -> None:
    typed_at = T0 + timedelta(hours=2)
    three = [row(n, T0 + timedelta(minutes=15 * n), typed_at) for n in range(3)]
    assert integrity.bursts(three) == []
    # Four checks entered together, but observed within 19 minutes: a fast round, not a burst.
    close = [row(n, T0 + timedelta(minutes=6 * n, seconds=n), typed_at) for n in range(4)]
    assert integrity.bursts(close) == []
    # The same four spread over 20 minutes are a burst (the threshold is inclusive).
    spread = [row(n, T0 + timedelta(minutes=20 * n / 3), typed_at) for n in range(4)]
    assert len(integrity.bursts(spread)) == 1


def test_burst_is_per_staff_member() -> None:
    typed_at = T0 + timedelta(hours=2)
    rows = [
        row(n, T0 + timedelta(minutes=15 * n), typed_at, staff="s1" if n % 2 else "s2")
        for n in range(6)
    ]
    assert integrity.bursts(rows) == []


def test_two_separate_bursts_are_two_flags() -> None:
    rows = [row(n, T0 + timedelta(minutes=10 * n), T0 + timedelta(hours=3)) for n in range(4)]
    rows += [row(10 + n, T0 + timedelta(minutes=10 * n), T0 + timedelta(hours=5)) for n in range(4)]
    assert len(integrity.bursts(rows)) == 2


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(min_value=5, max_value=120), st.floats(min_value=0, max_value=30)),
        min_size=1,
        max_size=40,
    )
)
def test_checks_entered_at_the_door_are_never_a_burst_or_a_large_gap(
    steps: list[tuple[int, float]],
) -> None:
    moment = T0
    rows = []
    for n, (walk, delay) in enumerate(steps):
        moment += timedelta(seconds=walk)
        rows.append(row(n, moment, moment + timedelta(seconds=delay), person=PERSONS[n % 6]))
    assert integrity.bursts(rows) == []
    assert integrity.large_gaps(rows) == []


# --- Even spacing and identical times ----------------------------------------------------------


def test_even_spacing_fires_on_typed_quarter_hours() -> None:
    rows = [row(n, T0 + timedelta(minutes=15 * n), T0 + timedelta(hours=3)) for n in range(4)]
    flags = integrity.even_spacing(rows)
    assert [f.kind for f in flags] == [Kind.EVEN_SPACING]
    assert flags[0].check_ids == ("c0", "c1", "c2", "c3")
    assert "exactly 15 minutes apart" in flags[0].explanation


def test_even_spacing_across_persons_in_the_staff_members_sequence() -> None:
    rows = [row(n, T0 + timedelta(minutes=5 * n), person=PERSONS[n], rank=n) for n in range(5)]
    flags = integrity.even_spacing(rows)
    assert len(flags) == 1
    assert len(flags[0].check_ids) == 5


def test_even_spacing_stays_quiet_with_seconds_of_jitter() -> None:
    jitter = [0, 7, -4, 12, 3]
    rows = [row(n, T0 + timedelta(minutes=15 * n, seconds=jitter[n])) for n in range(len(jitter))]
    assert integrity.even_spacing(rows) == []
    # Three equal gaps are needed: four checks with only two equal gaps pass.
    two_equal = [row(n, T0 + timedelta(minutes=m)) for n, m in enumerate([0, 15, 30, 46])]
    assert integrity.even_spacing(two_equal) == []


def test_even_spacing_finds_the_run_inside_a_longer_sequence() -> None:
    minutes = [0, 13, 29, 44, 59, 74, 89, 101]  # 29..89 is a run of five at 15 minutes
    rows = [
        row(n, T0 + timedelta(minutes=m, seconds=7 if n in (0, 7) else 0))
        for n, m in enumerate(minutes)
    ]
    flags = integrity.even_spacing(rows)
    assert len(flags) == 1
    assert flags[0].check_ids == ("c2", "c3", "c4", "c5", "c6")


def test_same_time_for_three_persons() -> None:
    moment = T0 + timedelta(minutes=30)
    rows = [row(n, moment, person=PERSONS[n]) for n in range(3)]
    flags = integrity.same_time(rows)
    assert [f.kind for f in flags] == [Kind.SAME_TIME]
    assert set(flags[0].check_ids) == {"c0", "c1", "c2"}
    # Two persons seen in the same instant (sitting together) is not flagged.
    assert integrity.same_time(rows[:2]) == []
    # Three persons by three different staff members is not one person's pattern.
    spread = [row(n, moment, person=PERSONS[n], staff=f"s{n}") for n in range(3)]
    assert integrity.same_time(spread) == []


# --- Large gaps ----------------------------------------------------------------------------------


def test_large_gap_fires_beyond_thirty_minutes_only() -> None:
    rows = [
        row(0, T0, T0 + timedelta(minutes=30)),  # exactly 30: not beyond
        row(1, T0, T0 + timedelta(minutes=31)),
        row(2, T0, T0 + timedelta(hours=3)),
        row(3, T0, T0 + timedelta(minutes=12)),  # a late entry, already flagged on the check
    ]
    flags = integrity.large_gaps(rows)
    assert [(f.check_ids, f.severity) for f in flags] == [
        (("c1",), Severity.MEDIUM),
        (("c2",), Severity.HIGH),
    ]
    assert "31 minutes later" in flags[0].explanation


# --- Impossible travel ----------------------------------------------------------------------------


def test_travel_between_units_in_seconds() -> None:
    rows = [
        row(0, T0, unit="u1", rank=1, person="p1"),
        row(1, T0 + timedelta(seconds=12), unit="u2", rank=1, person="p2"),
    ]
    flags = integrity.impossible_travel(rows)
    assert [f.check_ids for f in flags] == [("c0", "c1")]
    assert "on different units" in flags[0].explanation


def test_travel_far_down_the_corridor_in_seconds() -> None:
    far = [
        row(0, T0, rank=0, person="p1"),
        row(1, T0 + timedelta(seconds=10), rank=11, person="p2"),
    ]
    assert len(integrity.impossible_travel(far)) == 1
    near = [
        row(0, T0, rank=0, person="p1"),
        row(1, T0 + timedelta(seconds=10), rank=10, person="p2"),
    ]
    assert integrity.impossible_travel(near) == []
    slow = [
        row(0, T0, unit="u1", person="p1"),
        row(1, T0 + timedelta(seconds=20), unit="u2", person="p2"),
    ]
    assert integrity.impossible_travel(slow) == []
    unknown_room = [
        row(0, T0, rank=None, person="p1"),
        row(1, T0 + timedelta(seconds=3), rank=None, person="p2"),
    ]
    assert integrity.impossible_travel(unknown_room) == []


# --- On 1:1 elsewhere ---------------------------------------------------------------------------


def test_check_while_on_one_to_one_with_someone_else() -> None:
    stretch = CoverageRow("s1", "o-p9", T0, T0 + timedelta(hours=1))
    rows = [
        row(0, T0 + timedelta(minutes=10), person="p1"),  # elsewhere: flagged
        row(1, T0 + timedelta(minutes=20), person="p9"),  # the 1:1 person: fine
        row(2, T0 + timedelta(hours=1), person="p1"),  # the stretch had ended: fine
        row(3, T0 + timedelta(minutes=30), person="p1", staff="s2"),  # someone else: fine
    ]
    flags = integrity.on_one_to_one_elsewhere(rows, [stretch])
    assert [f.check_ids for f in flags] == [("c0",)]
    open_stretch = CoverageRow("s1", "o-p9", T0, None)
    flags = integrity.on_one_to_one_elsewhere(rows, [open_stretch])
    assert [f.check_ids for f in flags] == [("c0",), ("c2",)]
    assert "still open" in flags[0].explanation


def test_summary_counts_per_staff_member() -> None:
    typed_at = T0 + timedelta(hours=2)
    rows = [row(n, T0 + timedelta(minutes=15 * n), typed_at) for n in range(4)]
    flags = integrity.detect_all(rows)
    kinds = sorted(f.kind for f in flags)
    assert kinds == sorted([Kind.BURST, Kind.EVEN_SPACING, *[Kind.LARGE_GAP] * 4])
    summary = integrity.summary_by_staff(flags)
    assert summary["s1"]["total"] == 6
    assert summary["s1"]["kinds"][Kind.LARGE_GAP] == 4
    assert summary["s1"]["checks"] == {"c0", "c1", "c2", "c3"}


# --- Late and missed checks for the handoff ------------------------------------------------------


def q15_gaps(
    observations: list[int], until: int, pauses: tuple[tuple[int, int], ...] = ()
) -> list[integrity.Gap]:
    at = [T0 + timedelta(minutes=m) for m in observations]
    return integrity.rounds_gaps(
        T0,
        at,
        T0 + timedelta(minutes=until),
        interval=timedelta(minutes=15),
        missed_after=timedelta(minutes=22, seconds=30),
        pauses=[(T0 + timedelta(minutes=a), T0 + timedelta(minutes=b)) for a, b in pauses],
    )


def test_rounds_gaps_on_time_late_and_missed() -> None:
    assert q15_gaps([15, 30, 45], 60) == []
    gaps = q15_gaps([15, 35, 80], 90)
    assert [(g.status, g.minutes, g.is_open) for g in gaps] == [
        ("late", 20, False),
        ("missed", 45, False),
    ]


def test_rounds_gaps_overdue_at_the_end_of_the_window() -> None:
    gaps = q15_gaps([15], 35)
    assert [(g.status, g.is_open) for g in gaps] == [("late", True)]
    gaps = q15_gaps([15], 60)
    assert [(g.status, g.is_open) for g in gaps] == [("missed", True)]


def test_rounds_gaps_do_not_count_paused_time() -> None:
    # Off the unit from 10 to 50; checked at 50 when back.
    assert q15_gaps([10, 50, 60], 70, pauses=((10, 50),)) == []
    # Back at 50 but not checked until 80: the clock restarted at 50, so that is missed.
    gaps = q15_gaps([10, 80], 85, pauses=((10, 50),))
    assert [(g.starts_at, g.status) for g in gaps] == [(T0 + timedelta(minutes=50), "missed")]
