"""Many writers at once: every lane stays linear and verifies, no event is lost or repeated.

Each thread opens its own database connection and appends events in its own transactions, as
request workers do. On PostgreSQL the threads share the test database and the chain head's row
lock orders them. SQLite's test database lives in memory, private to one connection, so the
threads there write to a file copy of it (schema and triggers included) in WAL mode, where the
IMMEDIATE write lock is what orders them: the same code paths as production SQLite.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, connections, transaction

from pillars.audit import log
from pillars.audit.models import AuditEvent
from pillars.audit.verify import verify_database

THREADS = 8
EVENTS_PER_THREAD = 25


@pytest.fixture
def writers_database(tmp_path: Path) -> Iterator[str]:
    """Point connections opened by new threads at a database they can share."""
    if connection.vendor != "sqlite":
        yield connection.vendor
        return
    name = str(connection.settings_dict["NAME"])
    if name != ":memory:" and "mode=memory" not in name:
        yield "sqlite file"  # already shared: a test database named in settings
        return
    path = tmp_path / "audit-concurrency.sqlite3"
    connection.ensure_connection()
    target = sqlite3.connect(path)
    try:
        connection.connection.backup(target)  # schema, triggers and the chain head row
    finally:
        target.close()
    original = connections.settings["default"]
    # Only connections created from now on (the writer threads') read this; the test's own
    # connection keeps the in-memory database it already holds.
    connections.settings["default"] = {**original, "NAME": str(path)}
    try:
        yield "sqlite file copy"
    finally:
        connections.settings["default"] = original


def _in_thread[T](work: Callable[[], T]) -> T:
    """Run work on a fresh thread (so on a fresh connection) and return its result."""
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["value"] = work()
        except BaseException as exc:  # handed back to the test thread
            box["error"] = exc
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=120)
    assert not thread.is_alive(), "worker thread hung"
    if "error" in box:
        raise box["error"]
    return box["value"]


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_keep_the_chain_linear(writers_database: str) -> None:
    before = _in_thread(lambda: AuditEvent.objects.count())
    start = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            start.wait(timeout=30)  # all threads race from the same moment
            for i in range(EVENTS_PER_THREAD):
                with transaction.atomic():
                    log.record(
                        actor=None,
                        action="view",
                        object_type="test",
                        object_id=f"{n}-{i}",
                        detail={"thread": n, "i": i},
                    )
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a writer hung"
    assert errors == [], errors

    total = before + THREADS * EVENTS_PER_THREAD
    rows = _in_thread(lambda: list(AuditEvent.objects.values_list("seq", "lane")))
    seqs = sorted(seq for seq, _ in rows)
    assert len(seqs) == len(set(seqs)) == total, f"lost or repeated events on {writers_database}"
    lanes = {lane for _, lane in rows}
    if connection.vendor == "postgresql":
        # Writers that overlap spread over the lanes instead of queueing on one head row.
        assert len(lanes) > 1
    else:
        # SQLite's single writer appends to one lane, numbered without gaps.
        assert lanes == {1}
        assert seqs == list(range(1, total + 1)), f"gaps on {writers_database}"
    written = _in_thread(
        lambda: set(
            AuditEvent.objects.filter(object_type="test").values_list("object_id", flat=True)
        )
    )
    assert written == {f"{n}-{i}" for n in range(THREADS) for i in range(EVENTS_PER_THREAD)}
    broken, checked = _in_thread(verify_database)
    assert broken is None, str(broken)
    assert checked == total
    if writers_database == "sqlite file copy":
        # The writers really used the shared file, not the test's private database.
        assert AuditEvent.objects.filter(object_type="test").count() == 0
