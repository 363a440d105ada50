"""The FHIR bulk export's throughput against a bare build of the same resources, one ratio.

``BENCH_FHIR_PERSONS`` persons served (default 300) each get an episode, an observation order
with two precautions, ``BENCH_FHIR_CHECKS`` checks (default 40), a BARC-10 assessment and a
goal. The export engine (``insights.fhir.export.write_export``: policy-scoped batched reads,
mapping, Part 2 decisions, validation with fhir.resources' R4B models, NDJSON files) runs at
the system level as the demo director; the baseline builds the very same resources from
ready dicts with fhir.resources (``model_validate`` then ``model_dump_json``) and writes them
to NDJSON, with no database, policy or mapping at all. Resources per second of each, their
medians over ``BENCH_FHIR_ROUNDS`` rounds and the ratio are printed (goal: at least 0.5).
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from bench.common import bench_env, pillars, setup_django

PERSONS = int(os.environ.get("BENCH_FHIR_PERSONS", "300"))
CHECKS = int(os.environ.get("BENCH_FHIR_CHECKS", "40"))
ROUNDS = int(os.environ.get("BENCH_FHIR_ROUNDS", "3"))
GOAL = 0.5


def main() -> None:
    database = (
        "postgresql" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "sqlite"
    )
    with bench_env("pillars-bench-fhir-", database) as (data_dir, env):
        print(
            f"\nbench fhir ({database}): {PERSONS} persons, {CHECKS} checks each, in {data_dir}",
            flush=True,
        )
        pillars(env, "migrate", "--no-input", "-v", "0")
        measure(env, Path(data_dir))


def populate() -> Any:
    from pillars.core import clock
    from pillars.people.models import Episode, PersonServed, Placement
    from pillars.people.testing import build_world
    from pillars.recovery.models import Assessment, Goal, Instrument
    from pillars.rounds.models import Check, ObservationLevel, ObservationOrder

    world = build_world()
    now = clock.now()
    nurse = world.staff["nurse"]
    persons = PersonServed.objects.bulk_create(
        PersonServed(
            record_number=f"B-{n}",
            legal_given_name="Sam",
            legal_family_name=f"Bench{n}",
            date_of_birth=date(1980, 1, 1) + timedelta(days=n),
            created_at=now,
        )
        for n in range(PERSONS)
    )
    admitted = now - timedelta(days=3)
    episodes = Episode.objects.bulk_create(
        Episode(person=p, admitted_at=admitted, admitted_by=nurse, recorded_at=admitted)
        for p in persons
    )
    Placement.objects.bulk_create(
        Placement(episode=e, unit=world.unit_a, started_at=admitted) for e in episodes
    )
    level = ObservationLevel.objects.get(code="q15", is_current=True)
    orders = ObservationOrder.objects.bulk_create(
        ObservationOrder(
            person=p,
            episode=e,
            level=level,
            precautions=["suicide", "fall"],
            reason="bench",
            ordered_by=nurse,
            started_at=admitted,
            recorded_at=admitted,
            due_at=now,
            made_in_unit=world.unit_a,
        )
        for p, e in zip(persons, episodes, strict=True)
    )
    for start in range(0, len(orders), 50):
        Check.objects.bulk_create(
            Check(
                order=o,
                observed_by=nurse,
                observed_at=admitted + timedelta(minutes=15 * k),
                recorded_at=admitted + timedelta(minutes=15 * k + 1),
                location="dayroom",
                activity="sitting",
                safety_status="safe",
                client_id=uuid.uuid4(),
                made_in_unit=world.unit_a,
            )
            for o in orders[start : start + 50]
            for k in range(CHECKS)
        )
    barc = Instrument.objects.get(code="barc-10")
    Assessment.objects.bulk_create(
        Assessment(
            person=p,
            instrument=barc,
            administered_on=now.date(),
            answers={},
            total=40,
            recorded_by=world.staff["peer"],
            recorded_at=now,
            made_in_unit=world.unit_a,
        )
        for p in persons
    )
    Goal.objects.bulk_create(
        Goal(
            person=p,
            domain="work",
            statement="Back to work",
            created_by=world.staff["peer"],
            created_at=now,
            made_in_unit=world.unit_a,
        )
        for p in persons
    )
    return world


def ours(actor: Any, out: Path) -> int:
    from pillars.insights.fhir.export import persons_for, write_export

    persons, _ = persons_for(actor)
    written = write_export(actor, out, persons=persons)
    return sum(written.counts().values())


def bare(resources: list[dict[str, Any]], out: Path) -> int:
    """The same resources built and written with fhir.resources alone."""
    from pillars.insights.fhir.export import resource_class

    out.mkdir(parents=True, exist_ok=True)
    handles: dict[str, Any] = {}
    try:
        for resource in resources:
            kind = resource["resourceType"]
            if kind not in handles:
                handles[kind] = (out / f"{kind}.ndjson").open("w", encoding="utf-8")
            model = resource_class(kind).model_validate(resource)
            handles[kind].write(model.model_dump_json(exclude_none=True) + "\n")
    finally:
        for handle in handles.values():
            handle.close()
    return len(resources)


def measure(env: dict[str, str], data_dir: Path) -> None:
    setup_django(env)
    from pillars.core import policy

    world = populate()
    actor = policy.actor_for(world.user("director"))
    scratch = Path(tempfile.mkdtemp(dir=data_dir))
    ours_rates, bare_rates = [], []
    count = 0
    for n in range(ROUNDS):
        target = scratch / f"ours-{n}"
        started = time.perf_counter()
        count = ours(policy.actor_for(world.user("director")), target)
        ours_rates.append(count / (time.perf_counter() - started))
        resources = [
            json.loads(line)
            for path in sorted(target.glob("*.ndjson"))
            if path.stem != "OperationOutcome"
            for line in path.read_text(encoding="utf-8").splitlines()
        ]
        started = time.perf_counter()
        built = bare(resources, scratch / f"bare-{n}")
        bare_rates.append(built / (time.perf_counter() - started))
        assert built == count, (built, count)
        shutil.rmtree(target)
        shutil.rmtree(scratch / f"bare-{n}")
    del actor
    ours_median = statistics.median(ours_rates)
    bare_median = statistics.median(bare_rates)
    ratio = ours_median / bare_median
    print(f"  resources per export: {count}")
    print(f"  export (ours):       {ours_median:10.0f} resources/s (median of {ROUNDS})")
    print(f"  bare fhir.resources: {bare_median:10.0f} resources/s")
    verdict = "meets" if ratio >= GOAL else "MISSES"
    print(f"  ratio ours/bare:     {ratio:10.2f}  ({verdict} the goal of at least {GOAL})")


if __name__ == "__main__":
    main()
