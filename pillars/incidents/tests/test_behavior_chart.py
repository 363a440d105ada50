"""The behavior chart's aggregation: counts per local day and per shift in the unit's zone,
across daylight-saving changes, with phase-change lines. Computed here independently from raw
moments."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from pillars.incidents.models import PlanPhase
from pillars.incidents.selectors.behavior import DAYS, SHIFTS, aggregate, svg_geometry

CHICAGO = "America/Chicago"
TZ = ZoneInfo(CHICAGO)


def at(y: int, m: int, d: int, hh: int, mm: int = 0) -> datetime:
    """A local Chicago wall time, stored as UTC."""
    return datetime(y, m, d, hh, mm, tzinfo=TZ).astimezone(UTC)


def test_counts_per_local_day_not_utc_day() -> None:
    rows = [
        (at(2026, 6, 1, 23, 30), 2),  # 04:30 UTC on June 2nd, still June 1st on the unit
        (at(2026, 6, 2, 0, 15), 1),
        (at(2026, 6, 2, 18, 0), 3),
    ]
    chart = aggregate(rows, first=date(2026, 6, 1), last=date(2026, 6, 3), zone=CHICAGO, by=DAYS)
    assert [(b.label, b.total) for b in chart.buckets] == [
        ("2026-06-01", 2),
        ("2026-06-02", 4),
        ("2026-06-03", 0),
    ]
    assert chart.total == 6
    assert chart.peak == 4


def test_night_shift_belongs_to_the_day_it_started() -> None:
    rows = [
        (at(2026, 6, 1, 6, 59), 1),  # night of May 31st
        (at(2026, 6, 1, 7, 0), 1),  # day shift starts
        (at(2026, 6, 1, 18, 59), 1),
        (at(2026, 6, 1, 19, 0), 1),  # night shift of June 1st
        (at(2026, 6, 2, 6, 59), 5),  # still the night of June 1st
    ]
    chart = aggregate(rows, first=date(2026, 6, 1), last=date(2026, 6, 1), zone=CHICAGO, by=SHIFTS)
    assert [(b.label, b.total) for b in chart.buckets] == [
        ("2026-06-01 day", 2),
        ("2026-06-01 night", 6),
    ]


def test_days_and_shifts_across_the_spring_change() -> None:
    # 2026-03-08: clocks go from 02:00 to 03:00 in Chicago; the day is 23 hours long.
    chart = aggregate([], first=date(2026, 3, 8), last=date(2026, 3, 8), zone=CHICAGO, by=DAYS)
    bucket = chart.buckets[0]
    assert (bucket.end - bucket.start).total_seconds() == 23 * 3600
    rows = [(at(2026, 3, 8, 1, 59), 1), (at(2026, 3, 8, 3, 0), 1), (at(2026, 3, 8, 23, 59), 1)]
    chart = aggregate(rows, first=date(2026, 3, 7), last=date(2026, 3, 8), zone=CHICAGO, by=SHIFTS)
    totals = {b.label: b.total for b in chart.buckets}
    # The night of March 7th runs 19:00 to 07:00 local: 11 real hours that night.
    night = next(b for b in chart.buckets if b.label == "2026-03-07 night")
    assert (night.end - night.start).total_seconds() == 11 * 3600
    assert totals["2026-03-07 night"] == 2
    assert totals["2026-03-08 night"] == 1


def test_days_and_shifts_across_the_autumn_change() -> None:
    # 2026-11-01: clocks go back from 02:00 to 01:00; 01:30 happens twice, both on Nov 1st.
    first = datetime(2026, 11, 1, 1, 30, tzinfo=TZ, fold=0).astimezone(UTC)
    second = datetime(2026, 11, 1, 1, 30, tzinfo=TZ, fold=1).astimezone(UTC)
    assert (second - first).total_seconds() == 3600
    chart = aggregate(
        [(first, 1), (second, 1)],
        first=date(2026, 10, 31),
        last=date(2026, 11, 1),
        zone=CHICAGO,
        by=DAYS,
    )
    assert [b.total for b in chart.buckets] == [0, 2]
    assert (chart.buckets[1].end - chart.buckets[1].start).total_seconds() == 25 * 3600
    shifts = aggregate(
        [(first, 1), (second, 1)],
        first=date(2026, 10, 31),
        last=date(2026, 10, 31),
        zone=CHICAGO,
        by=SHIFTS,
    )
    night = shifts.buckets[1]
    assert night.total == 2
    assert (night.end - night.start).total_seconds() == 13 * 3600


def test_phase_lines_and_phase_of_each_bucket() -> None:
    phases = [
        PlanPhase(name="Baseline", started_on=date(2026, 5, 1)),
        PlanPhase(name="Intervention", started_on=date(2026, 6, 3)),
    ]
    chart = aggregate(
        [(at(2026, 6, 4, 12), 1)],
        first=date(2026, 6, 1),
        last=date(2026, 6, 5),
        zone=CHICAGO,
        by=DAYS,
        phases=phases,
    )
    assert chart.phase_lines == [(2, "Intervention", date(2026, 6, 3))]
    assert [b.phase for b in chart.buckets] == ["Baseline"] * 2 + ["Intervention"] * 3
    geometry = svg_geometry(chart)
    assert len(geometry["bars"]) == 5
    assert geometry["phase_lines"][0]["name"] == "Intervention"
    tallest = max(geometry["bars"], key=lambda b: b["h"])
    assert tallest["total"] == 1
