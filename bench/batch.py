"""Batch sync of 1,000 checks through ``record_checks`` against raw psycopg ``executemany`` of
the same rows into rounds_check, on PostgreSQL (goal: at least 0.15 of the raw rate).

Runs in-process on its own throwaway database (``BENCH_POSTGRES_URL``, by default
postgres://postgres@127.0.0.1:5432/pillars_bench_sync), made and dropped here.
"""

from __future__ import annotations

import os
import statistics
import time
import uuid
from datetime import timedelta
from typing import Any

import psycopg

from bench.common import in_scratch_postgres

URL = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/pillars_bench_sync")
ROUNDS = int(os.environ.get("BENCH_BATCH_ROUNDS", "5"))
BATCH = 1000
PERSONS = 20  # a unit's worth of orders in one sync


def main() -> None:
    in_scratch_postgres(URL, "batch", run)


def run() -> None:
    from django.core.management import call_command
    from django.db import connection

    from pillars.core import clock
    from pillars.people.testing import build_world, make_person, place
    from pillars.rounds import services
    from pillars.rounds.models import ObservationLevel
    from pillars.rounds.services.sync import CheckItem, record_checks

    call_command("migrate", "--no-input", verbosity=0)
    world = build_world()
    nurse = world.user("nurse")
    level = ObservationLevel.objects.get(code="q15", is_current=True)
    orders = []
    for n in range(PERSONS):
        person = make_person(f"MRN-BENCH-{n}", f"Bench{n}")
        place(person, world.unit_a, None, world.staff["nurse"])
        orders.append(
            services.order_observation(
                person,
                actor=nurse,
                level=level,
                reason="bench",
                started_at=clock.now() - timedelta(hours=1),
            )
        )
    staff_pk = world.staff["nurse"].pk

    def items() -> list[CheckItem]:
        start = clock.now() - timedelta(minutes=9)
        return [
            CheckItem(
                order=orders[n % PERSONS].public_id,
                client_id=uuid.uuid4(),
                observed_at=start + timedelta(milliseconds=n),
                location="dayroom",
                activity="sitting",
                safety_status="safe",
            )
            for n in range(BATCH)
        ]

    service: list[float] = []
    raw: list[float] = []
    dsn = connection.get_connection_params()
    for _ in range(ROUNDS + 1):  # the first round warms up and is not counted
        batch = items()
        started = time.perf_counter()
        results = record_checks(batch, actor=nurse)
        service.append(time.perf_counter() - started)
        assert all(r.status == "created" for r in results)
        rows = _raw_rows(
            items(),
            {o.public_id: o.pk for o in orders},
            staff_pk,
            clock.now(),
            world.unit_a.pk,
            world.org.pk,
        )
        with psycopg.connect(**_psycopg_params(dsn)) as conn:
            started = time.perf_counter()
            with conn.cursor() as cursor:
                cursor.executemany(INSERT, rows)
            conn.commit()
            raw.append(time.perf_counter() - started)
    service_s, raw_s = statistics.median(service[1:]), statistics.median(raw[1:])
    print(f"\nbatch of {BATCH} checks ({PERSONS} orders), median of {ROUNDS}, PostgreSQL")
    print(f"{'record_checks (rules, audit chain)':<40} {service_s * 1000:>10.1f} ms")
    print(f"{'raw psycopg executemany':<40} {raw_s * 1000:>10.1f} ms")
    print(
        f"\nratio record_checks/raw executemany: {raw_s / service_s:.2f} "
        "of the raw rate (goal: at least 0.15)"
    )


INSERT = (
    "INSERT INTO rounds_check (public_id, order_id, observed_by_id, observed_at, recorded_at, "
    "location, activity, safety_status, note, device_id, client_id, is_late_entry, "
    "late_reason, proof, no_code_reason, is_part2, made_in_unit_id, organization_id) "
    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
)


def _raw_rows(
    items: list[Any],
    order_pks: dict[Any, int],
    staff_pk: int,
    now: Any,
    unit_pk: int,
    org_pk: int,
) -> list[Any]:
    """The rows the sync writes, label and organization columns included (not Part 2, the
    unit's)."""
    return [
        (
            uuid.uuid4(),
            order_pks[i.order],
            staff_pk,
            i.observed_at,
            now,
            i.location,
            i.activity,
            i.safety_status,
            "",
            None,
            i.client_id,
            False,
            "",
            "tap",
            "",
            False,
            unit_pk,
            org_pk,
        )
        for i in items
    ]


def _psycopg_params(params: dict[str, Any]) -> dict[str, Any]:
    keep = ("dbname", "user", "password", "host", "port")
    return {k: v for k, v in params.items() if k in keep and v not in (None, "")}


if __name__ == "__main__":
    main()
