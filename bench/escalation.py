"""The escalation sweep on 10,000 due orders (``escalate_due``: claim by compare-and-set, the
recipients of every step, alerts deduplicated by key, one audit event per order) against a bare
compare-and-set UPDATE of the same rows (raw ``executemany``, no alert, no audit), in time per
order, on SQLite and on PostgreSQL when it answers (goal: at least 0.2 of the bare rate).

Each database gets a throwaway database (``bench_env``) and its own process (Django is set up
once per process). The orders are bulk-inserted on two units, every one overdue by 40 minutes,
so each pass claims all four steps of the default chain.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import timedelta
from typing import Any

from bench.common import ROOT, bench_env, databases, pillars, setup_django

ORDERS = int(os.environ.get("BENCH_ESCALATION_ORDERS", "10000"))


def main() -> None:
    for database in databases():
        with bench_env("pillars-bench-escalation-", database) as (data_dir, env):
            print(f"\nbench escalation ({database}): {ORDERS} due orders in {data_dir} ...")
            pillars(env, "migrate", "--no-input", "-v", "0")
            child = [sys.executable, "-m", "bench.escalation", database]
            subprocess.run(child, env=env, cwd=ROOT, check=True)


def run(database: str) -> None:
    setup_django()
    from django.db import connection, transaction

    from pillars.core import clock
    from pillars.people.models import Alert
    from pillars.rounds.models import ObservationOrder
    from pillars.rounds.services.escalation import escalate_due

    pks = _due_orders(ORDERS)
    now = clock.now()
    passes, claimed, alerts = 0, 0, 0
    started = time.perf_counter()
    while True:
        result = escalate_due(now)
        passes += 1
        if not result.claimed and not result.failed:
            break
        claimed += result.claimed
        alerts += result.alerts
        assert not result.failed, result.failed_rows
    sweep = time.perf_counter() - started
    assert claimed == len(pks), (claimed, len(pks))
    assert Alert.objects.count() == alerts

    # The bare baseline: the same rows, one compare-and-set UPDATE each, in one transaction.
    rows = list(ObservationOrder.objects.filter(pk__in=pks).values_list("pk", "due_at"))
    table = ObservationOrder._meta.db_table
    sql = (
        f"UPDATE {table} SET escalation_step = %s, escalation_retry_at = NULL, "
        "escalation_failures = 0 WHERE id = %s AND escalation_step = %s AND due_at = %s"
    )
    adapt = connection.ops.adapt_datetimefield_value
    params = [(0, pk, 4, adapt(due_at)) for pk, due_at in rows]
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(sql, params)
    bare = time.perf_counter() - started
    assert ObservationOrder.objects.filter(pk__in=pks, escalation_step=0).count() == len(pks)

    per_sweep, per_bare = sweep / len(pks) * 1000, bare / len(pks) * 1000
    print(
        f"[{database}] {len(pks)} due orders, default chain (4 steps each), {alerts} alerts, "
        f"{passes} passes"
    )
    print(f"{'escalate_due (claim, recipients, alerts, audit)':<50} {per_sweep:>8.3f} ms/order")
    print(f"{'bare compare-and-set UPDATE (executemany)':<50} {per_bare:>8.3f} ms/order")
    print(
        f"\n[{database}] ratio sweep/bare UPDATE: {per_bare / per_sweep:.2g} of the bare rate "
        f"({sweep:.1f} s against {bare:.2f} s; goal: at least 0.2)"
    )


def _due_orders(count: int) -> list[int]:
    """``count`` persons placed on the two units of the test world, each with a q15 order whose
    check fell due 40 minutes ago (bulk inserts: the bench times the sweep, not the set-up)."""
    from pillars.core import clock
    from pillars.people.models import Episode, PersonServed, Placement
    from pillars.people.testing import build_world
    from pillars.rounds.models import ObservationLevel, ObservationOrder

    world = build_world()
    nurse = world.staff["nurse"]
    level = ObservationLevel.objects.get(code="q15", is_current=True)
    now = clock.now()
    began = now - timedelta(hours=2)
    PersonServed.objects.bulk_create(
        [
            PersonServed(
                record_number=f"MRN-ESC-{n}",
                legal_given_name="Bench",
                legal_family_name=f"Person{n}",
                date_of_birth=began.date() - timedelta(days=9000 + n % 5000),
                created_at=began,
            )
            for n in range(count)
        ],
        batch_size=1000,
    )
    persons = list(PersonServed.objects.filter(record_number__startswith="MRN-ESC-"))
    Episode.objects.bulk_create(
        [
            Episode(person=p, admitted_at=began, admitted_by=nurse, recorded_at=began)
            for p in persons
        ],
        batch_size=1000,
    )
    episodes = list(Episode.objects.filter(person__in=persons).order_by("pk"))
    units = [world.unit_a, world.unit_b]
    Placement.objects.bulk_create(
        [Placement(episode=e, unit=units[n % 2], started_at=began) for n, e in enumerate(episodes)],
        batch_size=1000,
    )
    orders: list[Any] = [
        ObservationOrder(
            person_id=e.person_id,
            episode=e,
            level=level,
            reason="bench",
            ordered_by=nurse,
            started_at=began,
            recorded_at=began,
            due_at=now - timedelta(minutes=40),
        )
        for e in episodes
    ]
    ObservationOrder.objects.bulk_create(orders, batch_size=1000)
    return list(
        ObservationOrder.objects.filter(reason="bench", ended_at__isnull=True).values_list(
            "pk", flat=True
        )
    )


if __name__ == "__main__":
    if len(sys.argv) > 1:
        run(sys.argv[1])
    else:
        main()
