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
from pillars.audit.testing import lift_append_only
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
    seqs = [e.seq for e in events]
    assert seqs == sorted(set(seqs))
    if connection.vendor == "sqlite":
        assert seqs == [1, 2, 3, 4, 5]
    # One transaction (the test's) appends to one lane, each event linked to the one before.
    assert len({e.lane for e in events}) == 1
    assert all(b.prev_hmac == a.hmac for a, b in itertools.pairwise(events))
    assert verify_database() == (None, 5)


def test_triggers_refuse_update_and_delete() -> None:
    first, second = _events(2)
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(seq=first.seq).update(action="export")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(seq=second.seq).delete()
    assert AuditEvent.objects.count() == 2


_COLUMNS = (
    "seq, occurred_at, actor_label, action, object_type, object_id, outcome, category, "
    "purpose, user_agent, request_id, detail, prev_hmac, hmac"
)
_RAW_TAMPER = {
    "update": "UPDATE audit_auditevent SET action = 'export' WHERE seq = {first}",
    "delete": "DELETE FROM audit_auditevent WHERE seq = {second}",
    # The row keeps its id and seq; only the action and hmac are forged.
    "replace": (
        f"INSERT OR REPLACE INTO audit_auditevent (id, {_COLUMNS}) SELECT id, "
        + _COLUMNS.replace("action", "'export'").replace(" hmac", " 'forged'")
        + " FROM audit_auditevent WHERE seq = {second}"
    ),
    "duplicate": (
        f"INSERT INTO audit_auditevent ({_COLUMNS}) SELECT {_COLUMNS} "
        "FROM audit_auditevent WHERE seq = {second}"
    ),
}


@pytest.mark.parametrize("kind", sorted(_RAW_TAMPER))
def test_raw_sql_tampering_is_refused(kind: str) -> None:
    """Raw SQL cannot rewrite, remove or replace a row, on SQLite or PostgreSQL."""
    events = _events(2)
    sql = _RAW_TAMPER[kind]
    if kind == "replace" and connection.vendor == "postgresql":
        sql = (
            f"INSERT INTO audit_auditevent (id, {_COLUMNS}) SELECT id, {_COLUMNS} "
            "FROM audit_auditevent WHERE seq = {second} "
            "ON CONFLICT (id) DO UPDATE SET action = 'export', hmac = 'forged'"
        )
    sql = sql.format(first=events[0].seq, second=events[1].seq)
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql)
    after = list(AuditEvent.objects.order_by("seq"))
    assert [(e.seq, e.action, e.hmac) for e in after] == [(e.seq, e.action, e.hmac) for e in events]
    assert verify_database() == (None, 2)


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
    lift_append_only()
    with connection.cursor() as cursor:
        third = AuditEvent.objects.order_by("seq")[2]
        cursor.execute("UPDATE audit_auditevent SET action = 'export' WHERE seq = %s", [third.seq])
    with pytest.raises(SystemExit) as exit_info:
        call_command("audit", "verify")
    assert exit_info.value.code == 1
    err = capsys.readouterr().err
    assert f"#{third.seq}" in err
    assert "edited" in err
