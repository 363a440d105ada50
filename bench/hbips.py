"""HBIPS-2/3 for a year of the large demo (``--scale large``, 1,000 persons served): the report's
own selector (``incidents.selectors.restraint.hbips``: every unit, twelve months, in each unit's
zone) against one hand-written SQL query computing the same figures, median of each (goal: at
most 3x). The large demo's stays reach back about eight months and its episodes a few; the bench
first fills each bed's earlier months of the year with synthetic stays of the demo's persons
served (so the whole year has a census), then adds a year of synthetic released episodes (on
people placed on the unit at the time), all by bulk insert, and checks that both computations
give the same numbers before timing them. SQLite, like the other benchmarks.
"""

from __future__ import annotations

import os
import random
import statistics
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.common import bench_env, pillars, setup_django

ROUNDS = int(os.environ.get("BENCH_HBIPS_ROUNDS", "15"))
PER_UNIT_PER_DAY = 0.4


def _synthetic_census(year: int) -> int:
    """Stays of 2 to 20 days with gaps of up to 4 days (about the demo's occupancy) on every bed,
    from the year's first day to the bed's first demo stay."""
    from django.db.models import Min

    from pillars.people.models import Bed, Episode, PersonServed, Placement, Staff

    rng = random.Random(11)
    staff = Staff.objects.get(user__username="demo-nurse")
    persons = list(PersonServed.objects.values_list("pk", flat=True))
    start = datetime(year, 1, 1, tzinfo=UTC)
    first_of = dict(
        Placement.objects.values_list("bed_id").annotate(first=Min("started_at")).order_by()
    )
    earliest = min(v for v in first_of.values() if v is not None)
    stays: list[tuple[Episode, int, int, datetime, datetime]] = []
    for bed_id, unit_id in Bed.objects.values_list("pk", "room__unit_id"):
        moment, until = start, first_of.get(bed_id) or earliest
        while True:
            moment += timedelta(hours=rng.uniform(0, 96))
            leaves = moment + timedelta(hours=rng.uniform(48, 480))
            if leaves >= until:
                break
            episode = Episode(
                person_id=rng.choice(persons),
                admitted_at=moment,
                admitted_by=staff,
                discharged_at=leaves,
                discharged_by=staff,
                disposition="home",
                recorded_at=moment,
            )
            stays.append((episode, unit_id, bed_id, moment, leaves))
            moment = leaves
    Episode.objects.bulk_create([s[0] for s in stays], batch_size=1000)
    Placement.objects.bulk_create(
        [
            Placement(episode=e, unit_id=u, bed_id=b, started_at=s, ended_at=t, reason="bench")
            for e, u, b, s, t in stays
        ],
        batch_size=1000,
    )
    return len(stays)


def _synthetic_year(year: int, now: datetime) -> int:
    """Released episodes through the year, on people placed on the unit at the time."""
    from pillars.incidents.models import EpisodeKind, RestraintEpisode, RuleProfile
    from pillars.people.models import Placement, Staff, Unit

    rng = random.Random(7)
    profile = RuleProfile.objects.get(code="cms-hospital", is_current=True)
    staff = Staff.objects.get(user__username="demo-nurse")
    start = datetime(year, 1, 1, tzinfo=UTC)
    days = max((now - start).days, 1)
    rows = []
    kinds = [EpisodeKind.PHYSICAL_HOLD, EpisodeKind.SECLUSION, EpisodeKind.MECHANICAL]
    for unit in Unit.objects.all():
        stays = list(
            Placement.objects.filter(unit=unit).values_list(
                "episode__person_id", "started_at", "ended_at"
            )
        )
        for _ in range(int(days * PER_UNIT_PER_DAY)):
            moment = start + timedelta(minutes=rng.randrange(days * 1440))
            here = [p for p, s, e in stays if s <= moment and (e is None or e > moment)]
            if not here:
                continue
            began = moment
            ended = began + timedelta(minutes=rng.randint(5, 240))
            if ended >= now - timedelta(hours=1):
                continue
            rows.append(
                RestraintEpisode(
                    person_id=rng.choice(here),
                    unit=unit,
                    profile=profile,
                    kind=rng.choice(kinds),
                    started_at=began,
                    started_by=staff,
                    recorded_at=began,
                    reason="bench",
                    release_criteria="bench",
                    released_at=ended,
                    released_by=staff,
                )
            )
    RestraintEpisode.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


SQL = """
WITH bounds(unit_id, month, lo, hi) AS (VALUES {values}),
patients AS (
  SELECT b.unit_id, b.month,
         COALESCE(SUM(MAX(0, julianday(MIN(COALESCE(p.ended_at, %s), b.hi, %s))
                             - julianday(MAX(p.started_at, b.lo))) * 24), 0) AS hours
  FROM bounds b
  LEFT JOIN people_placement p
    ON p.unit_id = b.unit_id AND p.started_at < b.hi
   AND (p.ended_at IS NULL OR p.ended_at > b.lo)
  GROUP BY b.unit_id, b.month
),
spells AS (
  SELECT b.unit_id, b.month,
         COALESCE(SUM(CASE WHEN e.kind IN ('physical_hold', 'mechanical') THEN
           MAX(0, julianday(MIN(COALESCE(e.released_at, %s), b.hi, %s))
                  - julianday(MAX(e.started_at, b.lo))) * 24 ELSE 0 END), 0) AS restraint,
         COALESCE(SUM(CASE WHEN e.kind = 'seclusion' THEN
           MAX(0, julianday(MIN(COALESCE(e.released_at, %s), b.hi, %s))
                  - julianday(MAX(e.started_at, b.lo))) * 24 ELSE 0 END), 0) AS seclusion
  FROM bounds b
  LEFT JOIN incidents_restraintepisode e
    ON e.unit_id = b.unit_id AND e.started_at < b.hi
   AND (e.released_at IS NULL OR e.released_at > b.lo)
  GROUP BY b.unit_id, b.month
)
SELECT p.unit_id, p.month, p.hours, s.restraint, s.seclusion,
       CASE WHEN p.hours > 0 THEN s.restraint * 1000.0 / p.hours END,
       CASE WHEN p.hours > 0 THEN s.seclusion * 1000.0 / p.hours END
FROM patients p JOIN spells s ON s.unit_id = p.unit_id AND s.month = p.month
ORDER BY p.unit_id, p.month
"""


def _stamp(moment: datetime) -> str:
    """How Django stores a moment in SQLite (naive UTC text)."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(" ")


def hand_written(units: list[Any], year: int, now: datetime) -> list[tuple[Any, ...]]:
    from django.db import connection

    from pillars.incidents.selectors.restraint import month_bounds

    values, params = [], []
    for unit in units:
        for month in range(1, 13):
            lo, hi = month_bounds(year, month, unit.time_zone)
            values.append("(%s, %s, %s, %s)")
            params += [unit.pk, month, _stamp(lo), _stamp(hi)]
    stamp = _stamp(now)
    with connection.cursor() as cursor:
        cursor.execute(SQL.format(values=", ".join(values)), [*params] + [stamp] * 6)
        return list(cursor.fetchall())


def main() -> None:
    # SQLite only: the hand-written baseline query is written in SQLite's dialect.
    with bench_env("pillars-bench-hbips-") as (data_dir, env):
        print(f"\nbench hbips: loading the large demo (1,000 persons served) in {data_dir} ...")
        pillars(env, "migrate", "--no-input", "-v", "0")
        pillars(env, "demo", "--seed", "7", "--scale", "large", "--rounds-days", "1")
        measure(env)


def measure(env: dict[str, str]) -> None:
    setup_django(env)
    from pillars.core import clock
    from pillars.incidents.models import RestraintEpisode
    from pillars.incidents.selectors.restraint import hbips
    from pillars.people.models import PersonServed, Placement, Unit

    now = clock.now()
    year = now.year
    stays = _synthetic_census(year)
    added = _synthetic_year(year, now)
    units = list(Unit.objects.order_by("pk"))
    ours = hbips(units, year, range(1, 13), now=now)
    theirs = hand_written(units, year, now)
    assert len(ours) == len(theirs)
    for row, (unit_id, month, hours, restraint, seclusion, _, _) in zip(ours, theirs, strict=True):
        assert (row.unit.pk, row.month) == (unit_id, month)
        for a, b in (
            (row.patient_hours, hours),
            (row.restraint_hours, restraint),
            (row.seclusion_hours, seclusion),
        ):
            assert abs(a - b) < 1e-3 * max(1.0, abs(b)), (row.unit.code, month, a, b)
    timings: dict[str, list[float]] = {"sql": [], "report": []}
    for _ in range(ROUNDS):
        started = time.perf_counter()
        hand_written(units, year, now)
        timings["sql"].append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        hbips(units, year, range(1, 13), now=now)
        timings["report"].append((time.perf_counter() - started) * 1000)
    med = {k: statistics.median(v) for k, v in timings.items()}
    census = Placement.objects.current().count()
    persons = PersonServed.objects.count()
    placements = Placement.objects.count()
    episodes = RestraintEpisode.objects.count()
    hours = sum(row.patient_hours for row in ours)
    print(
        f"{persons} persons served, census today {census} on {len(units)} units; "
        f"{placements} stays ({stays} synthetic), {hours:,.0f} patient hours in {year}; "
        f"{episodes} episodes ({added} synthetic); 12 months; {ROUNDS} runs each; "
        "both give the same figures"
    )
    print(f"{'computation':<44} {'median ms':>10}")
    print(f"{'one hand-written SQL query':<44} {med['sql']:>10.2f}")
    print(f"{'HBIPS report selector':<44} {med['report']:>10.2f}")
    print(f"\nratio report/SQL: median {med['report'] / med['sql']:.2f}x (goal: at most 3x)")


if __name__ == "__main__":
    main()
