"""Insert rate of checks into the partitioned ``rounds_check`` (by month, with its side table of
keys and its triggers) against a plain table of the same columns, indexes, unique constraints
and foreign keys (the table as it was before partitioning), on PostgreSQL (goal: at least 0.9).

Both go through the code checks are written with: a tablet's batch through
``core.bulk.insert_objects`` skipping taken client ids (the sync path), and one check at a time
through ``objects.create`` (the single-check path). Rounds alternate between the two tables so
load on the machine falls on both alike.

Runs in-process on its own throwaway database (``BENCH_POSTGRES_URL``, by default
postgres://postgres@127.0.0.1:5432/pillars_bench_partitions), made and dropped here.
"""

from __future__ import annotations

import copy
import os
import statistics
import time
import uuid
from collections.abc import Callable
from typing import Any

from bench.common import in_scratch_postgres

URL = os.environ.get(
    "BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/pillars_bench_partitions"
)
ROUNDS = int(os.environ.get("BENCH_PARTITION_ROUNDS", "7"))
BATCH = 1000
SINGLES = int(os.environ.get("BENCH_PARTITION_SINGLES", "300"))
GOAL = 0.9


def main() -> None:
    in_scratch_postgres(URL, "partitions", run)


def plain_check_model() -> Any:
    """A model with Check's fields, indexes and constraints on a plain table of its own."""
    from django.db import connection, models

    from pillars.rounds.models import Check

    attrs: dict[str, Any] = {"__module__": __name__}
    for field in Check._meta.local_fields:
        clone = field.clone()
        if clone.remote_field is not None:
            clone.remote_field.related_name = "+"
        attrs[field.name] = clone

    def renamed(item: Any) -> Any:
        item = copy.copy(item)
        item.name = f"plain_{item.name}"[:30]
        return item

    attrs["Meta"] = type(
        "Meta",
        (),
        {
            "app_label": "rounds",
            "db_table": "bench_plain_check",
            "indexes": [
                models.Index(fields=["order", "observed_at"], name="bench_plain_order_observed")
            ],
            "constraints": [renamed(c) for c in Check._meta.constraints],
        },
    )
    model = type("BenchPlainCheck", (models.Model,), attrs)
    with connection.schema_editor() as editor:
        editor.create_model(model)
    return model


def run() -> None:
    from django.core.management import call_command
    from django.db import connection, transaction

    from pillars.core import clock, partitions
    from pillars.core.bulk import insert_objects
    from pillars.people.testing import build_world
    from pillars.rounds import services
    from pillars.rounds.models import Check, ObservationLevel

    call_command("migrate", "--no-input", verbosity=0)
    assert "rounds_check" in partitions.partitioned_tables(), "rounds_check is not partitioned"
    plain = plain_check_model()
    world = build_world()
    order = services.order_observation(
        world.person_a,
        actor=world.user("nurse"),
        level=ObservationLevel.objects.get(code="q15", is_current=True),
        reason="bench",
    )
    values = {
        "order_id": order.pk,
        "observed_by_id": world.staff["bht"].pk,
        "location": "dayroom",
        "activity": "sitting",
        "safety_status": "safe",
        "made_in_unit_id": world.unit_a.pk,
        "organization_id": world.org.pk,
    }

    def rows(model: Any, count: int) -> list[Any]:
        now = clock.now()
        return [
            model(observed_at=now, recorded_at=now, client_id=uuid.uuid4(), **values)
            for _ in range(count)
        ]

    def batch(model: Any) -> Callable[[], None]:
        def insert() -> None:
            with transaction.atomic():
                insert_objects(rows(model, BATCH), skip_conflicts_on="client_id")

        return insert

    def singles(model: Any) -> Callable[[], None]:
        def insert() -> None:
            for row in rows(model, SINGLES):
                with transaction.atomic():
                    row.save(force_insert=True)

        return insert

    batch_rates = _alternate(batch(Check), batch(plain), BATCH)
    single_rates = _alternate(singles(Check), singles(plain), SINGLES)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM rounds_check")
        stored = cursor.fetchone()[0]
    print(f"\ninsert rate of checks, median of {ROUNDS} rounds (after one warm-up), PostgreSQL")
    print(f"{'path':<44} {'partitioned':>12} {'plain':>12} {'ratio':>7}")
    for label, (parted, flat) in (
        (f"batch of {BATCH} (insert_objects, sync)", batch_rates),
        (f"{SINGLES} single inserts (objects.create)", single_rates),
    ):
        print(f"{label:<44} {parted:>10.0f}/s {flat:>10.0f}/s {parted / flat:>7.2f}")
    print(f"({stored:,} checks stored in the partitioned table)")
    worst = min(p / f for p, f in (batch_rates, single_rates))
    print(f"\nratio partitioned/plain insert rate: {worst:.2f} at worst (goal: at least {GOAL})")


def _alternate(
    partitioned: Callable[[], None], plain: Callable[[], None], rows: int
) -> tuple[float, float]:
    """Rows per second into each table, median over ROUNDS alternating rounds."""
    spent: dict[str, list[float]] = {"partitioned": [], "plain": []}
    for n in range(ROUNDS + 1):
        pair = [("partitioned", partitioned), ("plain", plain)]
        for name, insert in pair if n % 2 else reversed(pair):
            started = time.perf_counter()
            insert()
            if n:
                spent[name].append(time.perf_counter() - started)
    return (
        rows / statistics.median(spent["partitioned"]),
        rows / statistics.median(spent["plain"]),
    )


if __name__ == "__main__":
    main()
