"""The turnover table over ten years of hires and exits, one ratio.

``BENCH_TURNOVER_STAFF`` staff (default 5,000) are hired over ten years across the roles and
four units, about a third of them leaving (voluntary, involuntary, and some internal transfers
named by an exit interview). The annualized turnover of every role and of the whole
organization for each of the 40 quarters is computed by ``workforce.selectors.retention``
(every staff row read once, then bisection over sorted dates) and by one SQL statement written
by hand (a quarters table cross-joined with the staff, counted with CASE). The two must give
the same figures; the median time of each and their ratio are printed (goal: at most 3x).
"""

from __future__ import annotations

import os
import random
import statistics
import time
from datetime import date, timedelta
from typing import Any

from bench.common import measure_migrated, setup_django

STAFF = int(os.environ.get("BENCH_TURNOVER_STAFF", "5000"))
ROUNDS = int(os.environ.get("BENCH_TURNOVER_ROUNDS", "7"))
YEARS = 10
ORG = "The whole organization"


def main() -> None:
    measure_migrated(
        "pillars-bench-turnover-", f"bench turnover: {STAFF} staff over {YEARS} years", measure
    )


def populate(today: date) -> None:
    """Hires spread over ten years; about a third leave, a few by internal transfer."""
    from django.contrib.auth import get_user_model

    from pillars.core import clock
    from pillars.people.models import Role, Staff, StaffHomeUnit, StaffRole, Unit
    from pillars.people.testing import build_world
    from pillars.workforce.models.retention import ExitInterview, ExitReasonKind

    world = build_world()
    units = [world.unit_a, world.unit_b]
    units += list(
        Unit.objects.bulk_create(
            Unit(
                site=world.site,
                name=f"Unit {c.upper()}",
                code=c,
                kind=world.unit_a.kind,
                time_zone="America/Chicago",
                bed_count=20,
            )
            for c in ("c", "d")
        )
    )
    roles = list(Role.objects.all())
    reasons = list(ExitReasonKind.objects.exclude(kind="transfer").values_list("code", flat=True))
    transfer = ExitReasonKind.objects.get(code="internal_transfer")
    rng = random.Random(11)
    start = today - timedelta(days=365 * YEARS)
    users = get_user_model().objects.bulk_create(
        get_user_model()(username=f"bench-{n}") for n in range(STAFF)
    )
    staff = []
    for user in users:
        hired = start + timedelta(days=rng.randrange(365 * YEARS))
        exited = None
        reason = ""
        if rng.random() < 0.35:
            exited = hired + timedelta(days=rng.randrange(1, 900))
            if exited >= today:
                exited = None
            else:
                reason = rng.choice(reasons)
        staff.append(
            Staff(
                user=user,
                display_name=user.username,
                hired_on=hired,
                exited_on=exited,
                exit_reason=reason,
            )
        )
    staff = Staff.objects.bulk_create(staff)
    StaffRole.objects.bulk_create(
        StaffRole(staff_id=s.pk, role_id=rng.choice(roles).pk) for s in staff
    )
    StaffHomeUnit.objects.bulk_create(
        StaffHomeUnit(staff_id=s.pk, unit_id=rng.choice(units).pk) for s in staff
    )
    admin = world.staff["admin"]
    ExitInterview.objects.bulk_create(
        ExitInterview(
            staff=s,
            reason=transfer,
            held_on=s.exited_on,
            recorded_by=admin,
            recorded_at=clock.now(),
        )
        for s in staff
        if s.exited_on is not None and rng.random() < 0.1
    )


def by_hand(quarters: list[Any]) -> dict[tuple[str, str], tuple[int, int, int, int]]:
    """(role or organization, quarter) -> (headcount first day, last day, voluntary,
    involuntary), in one SQL statement."""
    from django.db import connection

    cast = "%s::date" if connection.vendor == "postgresql" else "%s"
    values = ", ".join(f"(%s, {cast}, {cast}, {cast})" for _ in quarters)
    params: list[Any] = []
    for q in quarters:
        params += [q.key, q.start.isoformat(), (q.end - timedelta(days=1)).isoformat()]
        params += [q.end.isoformat()]
    sql = f"""
        WITH q(qkey, qstart, qlast, qend) AS (VALUES {values}),
        kinds AS (
            SELECT s.id AS staff_id, s.hired_on, s.exited_on,
                   CASE WHEN s.exited_on IS NULL THEN ''
                        ELSE COALESCE(ik.kind, rk.kind, 'voluntary') END AS kind
            FROM people_staff s
            LEFT JOIN workforce_exitinterview i ON i.staff_id = s.id
            LEFT JOIN workforce_exitreasonkind ik ON ik.id = i.reason_id
            LEFT JOIN workforce_exitreasonkind rk
                   ON rk.code = s.exit_reason AND rk.is_active
        ),
        members AS (
            SELECT r.name AS grp, k.hired_on, k.exited_on, k.kind
            FROM kinds k
            JOIN people_staff_roles sr ON sr.staff_id = k.staff_id
            JOIN people_role r ON r.id = sr.role_id
            UNION ALL
            SELECT '{ORG}', k.hired_on, k.exited_on, k.kind FROM kinds k
        )
        SELECT grp, qkey,
          SUM(CASE WHEN hired_on <= qstart AND (exited_on IS NULL OR exited_on > qstart)
              THEN 1 ELSE 0 END),
          SUM(CASE WHEN hired_on <= qlast AND (exited_on IS NULL OR exited_on > qlast)
              THEN 1 ELSE 0 END),
          SUM(CASE WHEN kind = 'voluntary' AND exited_on >= qstart AND exited_on < qend
              THEN 1 ELSE 0 END),
          SUM(CASE WHEN kind = 'involuntary' AND exited_on >= qstart AND exited_on < qend
              THEN 1 ELSE 0 END)
        FROM members CROSS JOIN q
        GROUP BY grp, qkey
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {(g, k): (int(a), int(b), int(c), int(d)) for g, k, a, b, c, d in cursor.fetchall()}


def rate(counts: tuple[int, int, int, int], days: int) -> float | None:
    start, end, voluntary, involuntary = counts
    average = (start + end) / 2
    return round(100 * (voluntary + involuntary) / average * 365 / days, 1) if average else None


def measure(env: dict[str, str]) -> None:
    setup_django(env)
    from pillars.core import clock
    from pillars.workforce.selectors import retention

    today = clock.now().date()
    populate(today)
    quarters = retention.quarters_back(today, 4 * YEARS)
    from pillars.people.models import Organization

    organization = Organization.objects.get().pk

    days = {q.key: (q.end - q.start).days for q in quarters}
    ours_times, hand_times = [], []
    ours: list[Any] = []
    hand: dict[tuple[str, str], tuple[int, int, int, int]] = {}
    hand_rates: dict[tuple[str, str], float | None] = {}
    for _ in range(ROUNDS):
        started = time.perf_counter()
        ours = retention.turnover("role", quarters, organization)
        ours_times.append(time.perf_counter() - started)
        started = time.perf_counter()
        hand = by_hand(quarters)
        hand_rates = {key: rate(c, days[key[1]]) for key, c in hand.items()}
        hand_times.append(time.perf_counter() - started)

    # The same figures, row by row, rates included.
    assert len(ours) == len(hand), (len(ours), len(hand))
    for row in ours:
        counts = hand[(row.group, row.quarter.key)]
        got = (row.headcount_start, row.headcount_end, row.voluntary, row.involuntary)
        assert got == counts, (row.group, row.quarter.key, got, counts)
        assert row.rate == hand_rates[(row.group, row.quarter.key)]
    median_ours = statistics.median(ours_times)
    median_hand = statistics.median(hand_times)
    groups = len({row.group for row in ours})
    print(
        f"bench turnover ({STAFF} staff, {groups} groups x {len(quarters)} quarters = "
        f"{len(ours)} rows, identical figures): selector {median_ours * 1000:.1f} ms, "
        f"SQL by hand {median_hand * 1000:.1f} ms, ratio {median_ours / median_hand:.2f}x "
        "(goal: at most 3x)"
    )


if __name__ == "__main__":
    main()
