"""Insights dashboards on the large demo (``--scale large``, 20 units; the demo rebuilds the
summary tables after loading): each dashboard's figures (the same builder its page calls),
median against the raw summary query it rests on (goal: at most 10x), and the same director
figures computed from the raw records (checks, stays, restraint, incidents, recovery) by
``insights.compute``, printed beside them to show what the summary tables save.

The large demo replays ``BENCH_INSIGHTS_DAYS`` days of rounds (default 7, at most 90: a bounded
run) over a history of stays, incidents and recovery work reaching back months. The team and
privacy dashboards do not rest on the summary tables (workforce states, the audit log); their
baselines are the bare queries they start from: the supervisees, and a grouped count of a
year of audit events. SQLite, like the other benchmarks.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from bench.common import bench_env, pillars, setup_django

ROUNDS = int(os.environ.get("BENCH_INSIGHTS_ROUNDS", "9"))
DAYS = os.environ.get("BENCH_INSIGHTS_DAYS", "7")
# "large" (20 units, 1,000 persons served) by default; "small" for a quick look on a busy machine.
SCALE = os.environ.get("BENCH_INSIGHTS_SCALE", "large")
GOAL = 10.0


def median_of(run: Callable[[], Any], rounds: int = ROUNDS) -> float:
    run()  # warm the caches the page would have warm
    found = []
    for _ in range(rounds):
        started = time.perf_counter()
        run()
        found.append(time.perf_counter() - started)
    return statistics.median(found)


def main() -> None:
    with bench_env("pillars-bench-insights-") as (data_dir, env):
        print(f"\nbench insights: loading the {SCALE} demo ({DAYS} days of rounds) in {data_dir}")
        pillars(env, "migrate", "--no-input", "-v", "0")
        print(pillars(env, "demo", "--seed", "7", "--scale", SCALE, "--rounds-days", DAYS))
        measure(env)


def measure(env: dict[str, str]) -> None:
    setup_django(env)
    from django.contrib.auth import get_user_model
    from django.db.models import Count
    from django.db.models.functions import TruncMonth

    from pillars.audit.models import AuditEvent
    from pillars.core import clock
    from pillars.insights import dashboards, measures, privacy, team
    from pillars.insights.compute import compute, floor_hour
    from pillars.insights.models import UnitDay
    from pillars.people.models import Unit
    from pillars.workforce.selectors.supervision import supervisees_of

    users = get_user_model().objects
    director = users.get(username="demo-director")
    supervisor = users.get(username="demo-supervisor")
    privacy_officer = users.get(username="demo-privacy")
    units = list(Unit.objects.filter(is_active=True).order_by("pk"))
    ids = [u.pk for u in units]
    first, last = dashboards.period()
    now = clock.now()
    print(
        f"  {len(units)} units, {UnitDay.objects.count():,} unit-days, "
        f"{AuditEvent.objects.count():,} audit events; period {first} to {last}"
    )

    def director_board() -> None:
        dashboards.build("bench", "organization", ids, unit_rows=units)

    def unit_board() -> None:
        links = dashboards.unit_links(director, units[0])
        dashboards.build("bench", "unit", [units[0].pk], links=links)

    year_start = datetime(first.year, first.month, 1, tzinfo=UTC)
    rows: list[tuple[str, float, float, str]] = [
        (
            f"director ({len(units)} units)",
            median_of(director_board),
            median_of(lambda: measures.by_month(ids, first, last)),
            "summary query by month",
        ),
        (
            "unit",
            median_of(unit_board),
            median_of(lambda: measures.by_month([units[0].pk], first, last)),
            "summary query by month",
        ),
        (
            "director workforce",
            median_of(lambda: dashboards.workforce(director, None), 3),
            median_of(lambda: list(supervisees_of(director, now.date()))),
            "bare query of the staff",
        ),
        (
            "team (supervisor)",
            median_of(lambda: team.build(supervisor, now)),
            median_of(lambda: list(supervisees_of(supervisor, now.date()))),
            "bare query of the supervisees",
        ),
        (
            "privacy",
            median_of(lambda: privacy.build(privacy_officer)),
            median_of(
                lambda: list(
                    AuditEvent.objects.filter(occurred_at__gte=year_start)
                    .annotate(m=TruncMonth("occurred_at"))
                    .values("m", "action")
                    .annotate(n=Count("pk"))
                )
            ),
            "grouped count of the audit log",
        ),
    ]
    print(f"  {'dashboard':<22} {'median ms':>10} {'baseline ms':>12} {'ratio':>7}  baseline")
    for name, ours, base, what in rows:
        ratio = ours / base if base else float("inf")
        verdict = "ok" if ratio <= GOAL else "over the goal"
        print(
            f"  {name:<22} {ours * 1000:>10.1f} {base * 1000:>12.1f} {ratio:>6.1f}x  "
            f"{what} ({verdict})"
        )

    # The same director figures from the raw records: what the summary tables save.
    start = floor_hour(year_start)
    raw = median_of(lambda: compute(ids, start, now, now), 1)
    ours = rows[0][1]
    print(
        f"  director figures from the raw records (insights.compute over the period): "
        f"{raw * 1000:,.0f} ms, {raw / ours:,.0f}x the dashboard from the summary tables"
    )


if __name__ == "__main__":
    main()
