"""The audit chain: every write links to the one before, and the verifier finds any tampering."""

from __future__ import annotations

import copy
import itertools
import random
from typing import Any

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from pillars.audit import log
from pillars.audit.models import AuditEvent, compute_hmac
from pillars.audit.verify import first_break, verify_database

pytestmark = pytest.mark.django_db


def _events(n: int) -> list[AuditEvent]:
    for i in range(n):
        log.record(
            actor=None,
            action="view",
            object_type="test",
            object_id=str(i),
            detail={"i": i, "note": f"event {i}"},
        )
    return list(AuditEvent.objects.order_by("seq"))


def test_events_chain_and_verify() -> None:
    events = _events(5)
    assert [e.seq for e in events] == [1, 2, 3, 4, 5]
    assert all(b.prev_hmac == a.hmac for a, b in itertools.pairwise(events))
    assert verify_database() == (None, 5)


def test_triggers_refuse_update_and_delete() -> None:
    _events(2)
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(seq=1).update(action="export")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(seq=2).delete()
    assert AuditEvent.objects.count() == 2


def _raw(sql: str, params: list[Any]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


COLUMNS = (
    "id, seq, occurred_at, actor_label, action, object_type, object_id, outcome, category, "
    "purpose, user_agent, request_id, detail, prev_hmac, hmac"
)


@pytest.mark.parametrize(
    "attempt",
    ["update", "delete", "replace", "duplicate", "upsert", "truncate"],
)
def test_raw_sql_tampering_is_refused(attempt: str) -> None:
    """Whoever reaches the database with SQL (not through Pillars) cannot edit, delete or
    replace an audit event, on either database."""
    _events(3)
    before = [(e.seq, e.hmac, e.action) for e in AuditEvent.objects.order_by("seq")]
    row = AuditEvent.objects.get(seq=2)
    values = [
        row.pk,
        row.seq,
        row.occurred_at,
        "forger",
        "export",
        "test",
        "x",
        "success",
        "general",
        "",
        "",
        "",
        "{}",
        row.prev_hmac,
        row.hmac,
    ]
    marks = ", ".join(["%s"] * len(values))
    sqlite = connection.vendor == "sqlite"
    statements = {
        "update": ("UPDATE audit_auditevent SET action = 'export' WHERE seq = 2", []),
        "delete": ("DELETE FROM audit_auditevent WHERE seq = 3", []),
        "replace": (
            f"INSERT OR REPLACE INTO audit_auditevent ({COLUMNS}) VALUES ({marks})"
            if sqlite
            else f"INSERT INTO audit_auditevent ({COLUMNS}) VALUES ({marks}) "
            "ON CONFLICT (id) DO UPDATE SET action = EXCLUDED.action",
            values,
        ),
        "duplicate": (
            f"INSERT INTO audit_auditevent ({COLUMNS}) VALUES ({marks})",
            [row.pk + 1000, *values[1:]],
        ),
        "upsert": (
            f"INSERT INTO audit_auditevent ({COLUMNS}) VALUES ({marks}) "
            "ON CONFLICT (seq) DO UPDATE SET action = 'export'",
            [row.pk + 1000, *values[1:]],
        ),
        "truncate": (
            "DELETE FROM audit_auditevent" if sqlite else "TRUNCATE audit_auditevent",
            [],
        ),
    }
    sql, params = statements[attempt]
    with pytest.raises(DatabaseError), transaction.atomic():
        _raw(sql, params)
    after = [(e.seq, e.hmac, e.action) for e in AuditEvent.objects.order_by("seq")]
    assert after == before
    assert verify_database() == (None, 3)


@pytest.mark.django_db(transaction=True)
def test_a_hand_opened_sqlite_connection_cannot_replace_either() -> None:
    """The sqlite3 shell has no recursive_triggers: the BEFORE INSERT guard still refuses."""
    import sqlite3

    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    _events(2)
    row = AuditEvent.objects.get(seq=1)
    name = connection.settings_dict["NAME"]
    if name == ":memory:" or "mode=memory" in str(name):
        pytest.skip("needs a file database")
    raw = sqlite3.connect(name, timeout=20)
    assert raw.execute("PRAGMA recursive_triggers").fetchone() == (0,)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        raw.execute(
            f"INSERT OR REPLACE INTO audit_auditevent ({COLUMNS}) VALUES "
            "(?, ?, ?, 'forger', 'export', 'test', 'x', 'success', 'general', '', '', '', '{}', "
            "?, ?)",
            [row.pk, row.seq, row.occurred_at.isoformat(), row.prev_hmac, row.hmac],
        )
    raw.close()
    assert AuditEvent.objects.get(seq=1).action == row.action


def _mutate(events: list[AuditEvent], rng: random.Random) -> tuple[str, list[AuditEvent]]:
    rows = [copy.copy(e) for e in events]
    kind = rng.choice(["edit", "delete", "insert", "reorder", "replay", "truncate", "relink"])
    i = rng.randrange(len(rows))
    if kind == "edit":
        field = rng.choice(
            [
                "action",
                "object_id",
                "actor_label",
                "detail",
                "outcome",
                "category",
                "occurred_at",
                "ip",
            ]
        )
        row = rows[i]
        if field == "detail":
            row.detail = {**row.detail, "tampered": rng.random()}
        elif field == "occurred_at":
            from datetime import timedelta

            row.occurred_at = row.occurred_at + timedelta(microseconds=rng.randrange(1, 10**9))
        elif field == "ip":
            row.ip = f"10.0.{rng.randrange(255)}.{rng.randrange(255)}"
        else:
            setattr(row, field, str(getattr(row, field)) + "x")
    elif kind == "delete":
        del rows[i]
    elif kind == "insert":
        forged = copy.copy(rows[i])
        forged.detail = {"forged": True}
        # A forger without the key can only guess the HMAC.
        forged.hmac = compute_hmac(forged.chained_values(), key="not-the-key")
        rows.insert(i, forged)
    elif kind == "reorder":
        j = rng.randrange(len(rows))
        while j == i:
            j = rng.randrange(len(rows))
        rows[i], rows[j] = rows[j], rows[i]
    elif kind == "replay":
        rows.insert(rng.randrange(len(rows) + 1), copy.copy(rows[i]))
    elif kind == "truncate":
        rows = rows[:i]
    elif kind == "relink":
        rows[i].prev_hmac = "f" * 64
    return kind, rows


def test_verifier_catches_a_thousand_random_tamperings() -> None:
    events = _events(30)
    head = (events[-1].seq, events[-1].hmac)
    assert first_break(events, head=head)[0] is None
    rng = random.Random(20261123)
    caught: dict[str, int] = {}
    for _ in range(1000):
        kind, rows = _mutate(events, rng)
        broken, _ = first_break(rows, head=head)
        assert broken is not None, f"{kind} went unnoticed"
        caught[kind] = caught.get(kind, 0) + 1
    assert set(caught) == {"edit", "delete", "insert", "reorder", "replay", "truncate", "relink"}


def test_verify_command_reports_first_broken_link(capsys: Any) -> None:
    _events(4)
    call_command("audit", "verify")
    assert "4 events" in capsys.readouterr().out
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_event_no_update")
        else:
            cursor.execute("DROP TRIGGER audit_event_no_update")
        cursor.execute("UPDATE audit_auditevent SET action = 'export' WHERE seq = 3")
    with pytest.raises(SystemExit) as exit_info:
        call_command("audit", "verify")
    assert exit_info.value.code == 1
    err = capsys.readouterr().err
    assert "#3" in err
    assert "edited" in err
