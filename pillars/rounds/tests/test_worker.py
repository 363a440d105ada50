"""``pillars worker``: the sweeps run each loop, and any number of workers may run at once.

THE TWO-WORKER TEST: two workers (threads, each on its own database connection, as two worker
processes would be) sweep the same database over and over while many checks fall due; every
expected alert must exist exactly once. On PostgreSQL the threads share the test database; the
SQLite test database lives in memory, private to one connection, so there the workers share a
file copy of it in WAL mode (the same code paths as production SQLite), as the audit chain's
concurrency test does.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection, connections

from pillars.audit.models import AuditEvent
from pillars.core import clock
from pillars.core.management.commands.worker import registered_sweeps, run_sweeps
from pillars.people.models import Alert, PersonServed
from pillars.people.testing import World, build_world, make_person, place
from pillars.rounds import services
from pillars.rounds.models import EscalationStep, ObservationLevel, ObservationOrder
from pillars.rounds.services.escalation import SYSTEM_LABEL, SweepResult, escalate_due
from pillars.rounds.sweeps import SWEEPS

ORDERS = 24
WORKERS = 2
MIN = timedelta(minutes=1)


def _reference_data() -> None:
    """A transactional test's flush removes the migrations' rows: put back what we use."""
    ObservationLevel.objects.get_or_create(
        code="q15",
        version=1,
        defaults={
            "name": "Every 15 minutes",
            "interval_minutes": 15,
            "grace_factor": Decimal("1.50"),
            "created_at": clock.now(),
        },
    )
    if not EscalationStep.objects.filter(unit__isnull=True, is_active=True).exists():
        for position, minutes, recipient in [
            (1, 0, "assigned"),
            (2, 5, "lead"),
            (3, 15, "manager"),
            (4, 30, "director"),
        ]:
            EscalationStep.objects.create(
                position=position, after_minutes=minutes, recipient=recipient
            )


def _many_orders(world: World, started_at: datetime) -> list[ObservationOrder]:
    level = ObservationLevel.objects.get(code="q15", is_current=True)
    orders = []
    for n in range(ORDERS):
        person: PersonServed = make_person(f"MRN-W{n}", f"Worker{n}")
        place(person, world.unit_a, None, world.staff["nurse"])
        orders.append(
            services.order_observation(
                person,
                actor=world.user("nurse"),
                level=level,
                reason="Sweep race",
                started_at=started_at,
            )
        )
    return orders


@contextmanager
def shared_database(tmp_path: Path) -> Iterator[str]:
    """From here on, connections opened by new threads reach a database they can share."""
    if connection.vendor != "sqlite":
        yield connection.vendor
        return
    name = str(connection.settings_dict["NAME"])
    if name != ":memory:" and "mode=memory" not in name:
        yield "sqlite file"
        return
    path = tmp_path / "workers.sqlite3"
    connection.ensure_connection()
    target = sqlite3.connect(path)
    try:
        connection.connection.backup(target)  # schema, triggers and every row written so far
    finally:
        target.close()
    original = connections.settings["default"]
    connections.settings["default"] = {**original, "NAME": str(path)}
    try:
        yield "sqlite file copy"
    finally:
        connections.settings["default"] = original


def _in_thread[T](work: Callable[[], T]) -> T:
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["value"] = work()
        except BaseException as exc:
            box["error"] = exc
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=120)
    assert not thread.is_alive(), "thread hung"
    if "error" in box:
        raise box["error"]
    return box["value"]


@pytest.mark.django_db(transaction=True)
def test_two_workers_sweeping_at_once_alert_everyone_exactly_once(tmp_path: Path) -> None:
    _reference_data()
    world = build_world()
    due = clock.now().replace(microsecond=0) - 40 * MIN
    orders = _many_orders(world, started_at=due)
    # Sweep moments across every step boundary, each one several times, small batches: the
    # workers keep meeting on the same rows.
    moments = [due - MIN, due, due + 4 * MIN, due + 5 * MIN, due + 15 * MIN, due + 31 * MIN]
    start = threading.Barrier(WORKERS)
    results: list[list[SweepResult]] = [[] for _ in range(WORKERS)]
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            start.wait(timeout=30)
            for moment in moments:
                for _ in range(3):
                    results[n].append(escalate_due(moment, limit=5))
            # And the worker's own loop, on the real clock: it finishes what small batches left.
            swept = run_sweeps(sweeps=[escalate_due])
            results[n].extend(r for r in swept if isinstance(r, SweepResult))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    with shared_database(tmp_path) as where:
        threads = [threading.Thread(target=worker, args=(n,)) for n in range(WORKERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=180)
        assert not any(t.is_alive() for t in threads), "a worker hung"
        assert errors == [], errors

        keys = _in_thread(
            lambda: list(Alert.objects.values_list("recipient__public_id", "dedupe_key"))
        )
        steps = _in_thread(
            lambda: set(ObservationOrder.objects.values_list("escalation_step", flat=True))
        )
        stamped = _in_thread(
            lambda: sorted({(a.step_position or 0, a.due_at - due) for a in Alert.objects.all()})
        )
        transitions = _in_thread(
            lambda: [
                (e.object_id, e.detail["changes"]["escalation_step"])
                for e in AuditEvent.objects.filter(actor_label=SYSTEM_LABEL).order_by("seq")
            ]
        )
        claims = _in_thread(
            lambda: list(
                ObservationOrder.objects.filter(pk__in=[o.pk for o in orders]).values_list(
                    "public_id", flat=True
                )
            )
        )

    # Each order: the assigned step (nobody assigned: the unit's nurse), the lead (the nurse),
    # the manager (the supervisor) and the director.
    expected = {
        (world.staff[who].public_id, f"esc:{public_id}:{due.isoformat()}:{position}")
        for public_id in claims
        for position, who in [(1, "nurse"), (2, "nurse"), (3, "supervisor"), (4, "director")]
    }
    assert len(keys) == len(set(keys)), "an alert was written twice"
    # What each pass did (claims, failures, rows left to a next loop), to say why if not all.
    passes = [str(r) for worker_results in results for r in worker_results if r.claimed or r.failed]
    assert set(keys) == expected, f"missing or extra alerts on {where}; passes: {passes}"
    assert steps == {4}
    # The claims themselves never overlapped: per order, each audited claim starts where the
    # previous one ended, from step 0 to step 4 (the unique key alone would hide a double claim).
    chains: dict[str, list[int]] = {}
    for object_id, change in transitions:
        chain = chains.setdefault(object_id, [0])
        assert change["old"] == chain[-1], f"two workers claimed the same step of {object_id}"
        chain.append(change["new"])
    assert {k: v[-1] for k, v in chains.items()} == {str(p): 4 for p in claims}
    assert stamped == [(1, 0 * MIN), (2, 5 * MIN), (3, 15 * MIN), (4, 30 * MIN)]
    total = [sum(r.alerts for r in rs) for rs in results]
    assert sum(total) == len(expected)
    assert sum(sum(r.failed for r in rs) for rs in results) == 0
    if where == "sqlite file copy":
        assert not Alert.objects.exists()  # the workers really used the shared file


def test_the_rounds_sweeps_are_registered() -> None:
    assert escalate_due in SWEEPS
    assert escalate_due in registered_sweeps()


@pytest.mark.django_db
def test_a_sweep_that_raises_does_not_stop_the_others(caplog: pytest.LogCaptureFixture) -> None:
    seen: list[datetime] = []

    def broken(now: datetime) -> object:
        raise RuntimeError("sweep blew up")

    def fine(now: datetime) -> object:
        seen.append(now)
        return "ok"

    assert run_sweeps(sweeps=[broken, fine]) == [None, "ok"]
    assert len(seen) == 1
    assert "sweep blew up" in caplog.text


@pytest.mark.django_db(transaction=True)
def test_worker_once_runs_the_sweeps_and_the_queue_then_exits() -> None:
    _reference_data()
    world = build_world()
    order = services.order_observation(
        world.person_a,
        actor=world.user("nurse"),
        level=ObservationLevel.objects.get(code="q15", is_current=True),
        reason="Worker command",
        started_at=clock.now() - 6 * MIN,
    )
    call_command("worker", "--once", verbosity=0)
    order.refresh_from_db()
    assert order.escalation_step == 2
    assert Alert.objects.filter(subject_id=order.public_id).count() == 2
    call_command("worker", "--once", verbosity=0)
    assert Alert.objects.filter(subject_id=order.public_id).count() == 2
