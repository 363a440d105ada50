"""Writing to the audit log. ``record`` is the only way a row gets in."""

from __future__ import annotations

import contextlib
import contextvars
import functools
import json
import os
import random
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, TypedDict, Unpack
from uuid import UUID

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.db.models.sql import InsertQuery

from pillars.audit.choices import Action, Category, Outcome, Purpose
from pillars.audit.models import LANES, AuditEvent, ChainHead, compute_hmac
from pillars.core import clock, context
from pillars.core.bulk import insert_objects

# The PostgreSQL sequence that numbers events (pillars/audit/migrations/0006_lanes.py).
SEQUENCE = "audit_event_seq"


def _jsonable(value: Any) -> Any:
    """Round-trip through JSON so the stored detail reads back byte-for-byte the same."""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def _label(actor: Any) -> str:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return ""
    return str(actor.get_username())


class EventFields(TypedDict, total=False):
    """What an event says besides who did what to which record, taken by name by ``record``
    and ``record_many``; ``_values`` holds their defaults."""

    object_type: str
    object_id: str
    person_id: UUID | str | None
    outcome: str
    category: str
    purpose: str
    detail: Mapping[str, Any] | None
    actor_label: str


def record(
    actor: Any,
    action: str,
    target: models.Model | None = None,
    *,
    durable: bool = False,
    **fields: Unpack[EventFields],
) -> AuditEvent:
    """Append one event to the chain, inside the caller's transaction if there is one: who
    (``actor``), what (``action``) and to which record (``target``), then the rest by name
    (``EventFields``).

    ``target`` names the record by its type and public id; a write passes its old and new values
    in ``detail["changes"]`` (see ``changes``). A ``durable`` event (a refusal, a lookup) must
    outlive a rollback of the transaction it was written in: inside ``keeping_durable_events``
    it is written again after such a rollback.
    """
    given: dict[str, Any] = {"actor": actor, "action": action, "target": target, **fields}
    values = _values(**given)
    waiting = _together.get()
    connection = transaction.get_connection()
    if waiting is not None and not durable and not connection.in_atomic_block:
        # Written with the block's other events when it ends (``together``).
        waiting.append(values)
        return _event(values)
    [event] = _append([values], bulk=False, connection=connection)
    pending = _durable.get() if durable else None
    if pending is not None and connection.in_atomic_block:
        # Written again naming the record as the first write named it.
        given.update(object_type=values["object_type"], object_id=values["object_id"])
        pending.append({"written": (event.seq, event.hmac), "values": given})
    return event


def _values(
    *,
    actor: Any,
    action: str,
    target: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    person_id: UUID | str | None = None,
    outcome: str = Outcome.SUCCESS,
    category: str = Category.GENERAL,
    purpose: str = "",
    detail: Mapping[str, Any] | None = None,
    actor_label: str = "",
    occurred_at: Any = None,
) -> dict[str, Any]:
    """An event's stored values, without its place in the chain (seq, prev_hmac, hmac)."""
    if target is not None:
        object_type = object_type or target._meta.label_lower
        object_id = object_id or str(getattr(target, "public_id", target.pk))
    ctx = context.current()
    user = actor if getattr(actor, "is_authenticated", False) else None
    return {
        "occurred_at": occurred_at or clock.now(),
        "actor_id": user.pk if user is not None else None,
        "actor_label": (actor_label or _label(actor))[:150],
        "action": str(action),
        "object_type": object_type,
        "object_id": object_id,
        "person_id": UUID(str(person_id)) if person_id else None,
        "outcome": str(outcome),
        "category": str(category),
        "purpose": str(purpose),
        "ip": ctx.ip,
        "user_agent": ctx.user_agent[:200],
        "request_id": ctx.request_id,
        "detail": _jsonable(dict(detail or {}, channel=ctx.channel)),
    }


def _event(values: dict[str, Any]) -> AuditEvent:
    """The event of these stored values, as ``AuditEvent(**values)`` makes it (a field not
    among them takes its default), from its values in the fields' order: the quicker way to
    make a model instance."""
    by_position: list[Any] = [
        values[field.attname] if field.attname in values else field.get_default()
        for field in AuditEvent._meta.concrete_fields
    ]
    # The stubs' plugin takes the starred list for the first field's value.
    return AuditEvent(*by_position)  # type: ignore[misc]


def _append(rows: list[dict[str, Any]], *, bulk: bool, connection: Any = None) -> list[AuditEvent]:
    """Chain and insert events in order in one lane, holding its head row's lock until the
    caller commits; outside a transaction on PostgreSQL, in one statement where this process
    knows the lane's tip (``_append_at_tip``). ``connection`` is the default database's, when
    the caller has it already."""
    if connection is None:
        connection = transaction.get_connection()
    if not bulk:
        written = _append_at_tip(connection, rows)
        if written is not None:
            return written
    # No savepoint of its own inside the caller's transaction: a failure here fails the caller.
    with transaction.atomic(savepoint=False):
        numbered = _take_numbered_lane(connection, len(rows))
        if numbered is None:
            head = _take_lane(connection)
            numbered = head.pk, head.hmac, _next_seqs(connection, head, len(rows))
        lane, prev, seqs = numbered
        events = []
        for values, seq in zip(rows, seqs, strict=True):
            values["seq"] = seq
            values["lane"] = lane
            values["prev_hmac"] = prev
            values["hmac"] = prev = compute_hmac(values)
            events.append(_event(values))
        if connection.vendor == "postgresql":
            # The tip, once committed, is where this process writes next (``_append_at_tip``).
            tip = _Tip(lane, seqs[-1], prev)
            transaction.on_commit(functools.partial(_keep_tip, _tip_key(connection), tip))
        if not bulk and connection.vendor in ("postgresql", "sqlite"):
            _insert_moving_head(connection, events)
            return events
        if bulk:
            insert_objects(events)
        else:
            for event in events:
                event.save(force_insert=True)
        ChainHead.objects.filter(pk=lane).update(seq=seqs[-1], hmac=prev)
    return events


@dataclass(frozen=True)
class _Tip:
    """A lane's tip as this process last wrote it: its last event's ``seq`` and HMAC."""

    lane: int
    seq: int
    hmac: str


# (process, database alias, database name) -> the tip this process last wrote; and how many
# appends to skip the one-statement path for after it found its tip moved (another writer).
_tips: dict[tuple[int, str, str], _Tip] = {}
_skips: dict[tuple[int, str, str], tuple[int, int]] = {}
MOST_SKIPPED = 16
# More events at once than this go the locked way, in one multi-row INSERT: the statement has
# an INSERT of its own per event.
MOST_AT_ONCE = 8


def _tip_key(connection: Any) -> tuple[int, str, str]:
    return os.getpid(), connection.alias, str(connection.settings_dict["NAME"])


def _keep_tip(key: tuple[int, str, str], tip: _Tip) -> None:
    _tips[key] = tip


def _append_at_tip(connection: Any, rows: list[dict[str, Any]]) -> list[AuditEvent] | None:
    """Append events outside any transaction on PostgreSQL in one statement, where the last
    event this process wrote is still the newest of all: the events take the next numbers and
    follow that event in its lane. The statement takes the numbers, moves the head and
    inserts the events only if the lane's head is still that event, no transaction holds it
    and no number was taken since, so the events are numbered and chained as the locked path
    would have done. None where it cannot (another writer came between, or nothing is known
    yet): the caller takes the locked path, which learns the tip again. After a miss the next
    appends skip this path, twice as many after each miss in a row (at most
    ``MOST_SKIPPED``), so busy writers do not pay a wasted statement each time."""
    if connection.vendor != "postgresql" or connection.in_atomic_block or len(rows) > MOST_AT_ONCE:
        return None
    key = _tip_key(connection)
    tip = _tips.pop(key, None)
    skipped, misses = _skips.get(key, (0, 0))
    if skipped:
        _skips[key] = (skipped - 1, misses)
        return None
    if tip is None:
        return None
    prev, events = tip.hmac, []
    for seq, values in enumerate(rows, start=tip.seq + 1):
        values.update(seq=seq, lane=tip.lane, prev_hmac=prev)
        values["hmac"] = prev = compute_hmac(values)
        events.append(_event(values))
    sql, params = _tip_sql(connection, events, tip)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        keys = dict(cursor.fetchall())
    if not keys:
        misses = min(misses + 1, 4)
        _skips[key] = (min(2**misses, MOST_SKIPPED), misses)
        return None
    _skips.pop(key, None)
    for event in events:
        event.pk = keys[event.seq]
        event._state.adding = False
        event._state.db = connection.alias
    _tips[key] = _Tip(tip.lane, events[-1].seq, events[-1].hmac)
    return events


def _tip_sql(connection: Any, events: list[AuditEvent], tip: _Tip) -> tuple[str, list[Any]]:
    """The one statement of ``_append_at_tip``: each event's INSERT (``_insert_sql``) made to
    select its values from the moved head, so that nothing is inserted where the head did not
    move. The numbers are taken only once the head is locked and the sequence is still at the
    tip; where another writer took one in between, the head does not move (a gap in the
    numbers, as a rolled-back append leaves)."""
    table = connection.ops.quote_name(ChainHead._meta.db_table)
    first, last = events[0], events[-1]
    ctes = [
        f"head AS MATERIALIZED (SELECT id FROM {table} "  # noqa: S608
        "WHERE id = %s AND seq = %s AND hmac = %s FOR UPDATE SKIP LOCKED)",
        # How many numbers is part of the text (``_count_rows``), not a value.
        f"taken AS MATERIALIZED (SELECT nextval('{SEQUENCE}') AS n "  # noqa: S608
        f"FROM head CROSS JOIN {_count_rows(len(events))} "
        f"WHERE (SELECT last_value FROM {SEQUENCE}) = %s)",
        f"moved AS (UPDATE {table} AS tip SET seq = %s, hmac = %s FROM head "  # noqa: S608
        "WHERE tip.id = head.id "
        "AND (SELECT min(n) FROM taken) = %s AND (SELECT max(n) FROM taken) = %s "
        "RETURNING tip.id)",
    ]
    params: list[Any] = [tip.lane, tip.seq, tip.hmac, tip.seq]
    params += [last.seq, last.hmac, first.seq, last.seq]
    for i, event in enumerate(events):
        insert, values = _insert_sql(connection, [event])
        columns, placeholders = insert.split(" VALUES ", 1)
        placeholders = placeholders.rsplit(" RETURNING ", 1)[0].strip()[1:-1]
        select = f"{columns} SELECT {placeholders} FROM moved RETURNING id, seq"  # noqa: S608
        ctes.append(f"e{i} AS ({select})")
        params += values
    chosen = " UNION ALL ".join(f"SELECT seq, id FROM e{i}" for i in range(len(events)))  # noqa: S608
    return f"WITH {', '.join(ctes)} {chosen}", params


def _count_rows(count: int) -> str:
    """``count`` rows to take as many numbers with, written into the statement's text: a kept
    (prepared) statement is planned once for the count it names, where a count passed as a
    value would have PostgreSQL guess a thousand rows for its generic plan and plan the
    statement afresh on every run instead."""
    return f"generate_series(1, {int(count)})"


def _take_numbered_lane(connection: Any, count: int) -> tuple[int, str, list[int]] | None:
    """On PostgreSQL, the lane ``_take_lane`` would take, locked, with its previous HMAC and
    ``count`` event numbers from the sequence, in one statement; None where that statement
    finds no lane to lock (no heads yet, or every lane taken), for ``_take_lane`` to settle.
    On SQLite, the same in one statement too (``_take_sqlite_lane``)."""
    if connection.vendor == "sqlite":
        return _take_sqlite_lane(connection, count)
    if connection.vendor != "postgresql":
        return None
    held = _held_lane(connection)
    table = connection.ops.quote_name(ChainHead._meta.db_table)
    if held is not None:
        which, lock, bound = "id = %s", "FOR UPDATE", held
    else:
        which, lock, bound = "id <= %s", "FOR UPDATE SKIP LOCKED", LANES
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH head AS MATERIALIZED (SELECT id, hmac FROM {table} WHERE {which} "  # noqa: S608
            f"ORDER BY id LIMIT 1 {lock}) "
            f"SELECT head.id, head.hmac, nextval('{SEQUENCE}') AS n "
            f"FROM head CROSS JOIN {_count_rows(count)} ORDER BY n",
            [bound],
        )
        found = cursor.fetchall()
    if not found:
        return None
    lane, prev = found[0][0], found[0][1]
    if held is None:
        _hold_lane(connection, lane)
    return lane, prev, [row[2] for row in found]


def _take_sqlite_lane(connection: Any, count: int) -> tuple[int, str, list[int]] | None:
    """SQLite's lane (lane 1: one writer at a time, its IMMEDIATE transaction holding the
    database), its previous HMAC and the next ``count`` numbers after the highest head, in one
    statement; None before the head exists, for ``_take_lane`` to make it."""
    table = connection.ops.quote_name(ChainHead._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, hmac, (SELECT MAX(seq) FROM {table}) FROM {table} WHERE id = 1"  # noqa: S608
        )
        found = cursor.fetchone()
    if found is None:
        return None
    lane, prev, last = found
    return lane, prev, list(range(last + 1, last + count + 1))


def _insert_moving_head(connection: Any, events: list[AuditEvent]) -> None:
    """Insert a lane's next events and move its head to the last: in one statement on
    PostgreSQL (the head's UPDATE rides in a WITH clause of the events' INSERT, which Django's
    compiler writes), in two on SQLite, which has no UPDATE in a WITH clause."""
    insert, params = _insert_sql(connection, events)
    table = connection.ops.quote_name(ChainHead._meta.db_table)
    move = f"UPDATE {table} SET seq = %s, hmac = %s WHERE id = %s"  # noqa: S608
    last = events[-1]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"WITH moved AS ({move}) {insert}", [last.seq, last.hmac, last.lane, *params]
            )
        else:
            cursor.execute(insert, params)
        pks = [row[0] for row in cursor.fetchall()]
        if connection.vendor != "postgresql":
            cursor.execute(move, [last.seq, last.hmac, last.lane])
    for event, pk in zip(events, pks, strict=True):
        event.pk = pk
        event._state.adding = False
        event._state.db = connection.alias


# (database alias, number of events) -> the INSERT of that many events, compiled once: compiling
# it cost several times what preparing its values does, on every audited page and write.
_INSERTS: dict[tuple[str, int], str] = {}


def _insert_sql(connection: Any, events: list[AuditEvent]) -> tuple[str, list[Any]]:
    """The INSERT of ``events`` returning their keys, and its values: each prepared by its own
    field as Django's compiler prepares it, but for a text column's text, which a
    ``CharField`` hands on as it is (its preparation only makes text of what is not text yet).
    Under test the SQL and the values are compared with the compiler's own."""
    fields = [f for f in AuditEvent._meta.concrete_fields if not f.primary_key]
    params = [value for event in events for value in _prepared(fields, event, connection)]
    key = (connection.alias, len(events))
    kept = _INSERTS.get(key)
    if kept is not None and not settings.TESTING:
        return kept, params
    query = InsertQuery(AuditEvent)
    query.insert_values(fields, [*events])
    compiler = query.get_compiler(connection=connection)
    compiler.returning_fields = [AuditEvent._meta.pk]
    [(insert, fresh)] = compiler.as_sql()
    if kept is not None and (kept, [repr(v) for v in params]) != (insert, [repr(v) for v in fresh]):
        raise AssertionError("the kept audit INSERT differs from the compiler's")
    if len(fresh) != len(params):
        # A shape the values above do not follow (several rows in one array each): compiled
        # each time.
        return insert, list(fresh)
    _INSERTS[key] = insert
    return insert, params


def _prepared(fields: list[Any], event: AuditEvent, connection: Any) -> list[Any]:
    """One event's values for ``_insert_sql``, in the order of ``fields``."""
    stored = vars(event)
    return [
        stored[field.attname]
        if type(field) is models.CharField and type(stored[field.attname]) is str
        else field.get_db_prep_save(field.pre_save(event, add=True), connection)
        for field in fields
    ]


def _take_lane(connection: Any) -> ChainHead:
    """The locked head of the lane this transaction appends to.

    A transaction keeps the lane it took first. Otherwise, on PostgreSQL, the first lane no
    other transaction holds (SKIP LOCKED): concurrent writers spread over the lanes instead of
    queueing on one row, and wait only when every lane is taken. SQLite has one writer at a
    time and appends to lane 1.
    """
    held = _held_lane(connection)
    if held is not None:
        return ChainHead.objects.select_for_update().get(pk=held)
    if connection.vendor != "postgresql":
        head, _ = ChainHead.objects.select_for_update().get_or_create(pk=1)
        return head
    lanes = ChainHead.objects.filter(pk__lte=LANES).order_by("pk")
    free = lanes.select_for_update(skip_locked=True).first()
    if free is None and not lanes.exists():
        ChainHead.objects.bulk_create(
            [ChainHead(pk=lane) for lane in range(1, LANES + 1)], ignore_conflicts=True
        )
        free = lanes.select_for_update(skip_locked=True).first()
    if free is None:
        # Every lane is taken: queue on one of them.
        free, _ = ChainHead.objects.select_for_update().get_or_create(pk=random.randint(1, LANES))
    _hold_lane(connection, free.pk)
    return free


def _held_lane(connection: Any) -> int | None:
    """The lane this transaction already holds. The mark is a no-op commit callback: Django
    drops it when the transaction ends (commit or rollback) and when a savepoint it was made
    in rolls back, exactly when PostgreSQL releases the head row's lock."""
    held = getattr(connection, "_pillars_audit_lane", None)
    if held is None:
        return None
    lane, mark = held
    if any(entry[1] is mark for entry in connection.run_on_commit):
        return int(lane)
    return None


def _hold_lane(connection: Any, lane: int) -> None:
    def mark() -> None:
        pass

    transaction.on_commit(mark, using=connection.alias)
    connection._pillars_audit_lane = (lane, mark)


def _next_seqs(connection: Any, head: ChainHead, count: int) -> list[int]:
    """Event numbers: from a sequence on PostgreSQL (lanes never wait on one another for one;
    a rolled-back append leaves a gap), after the highest head on SQLite (one writer at a
    time, numbered without gaps)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT nextval('{SEQUENCE}') FROM {_count_rows(count)} ORDER BY 1"  # noqa: S608
            )
            return [row[0] for row in cursor.fetchall()]
    # SQLite's single writer numbers after the highest head (lane 1's, unless a lane was chosen).
    last = max(ChainHead.objects.values_list("seq", flat=True), default=head.seq)
    return list(range(last + 1, last + count + 1))


def record_many(events: Iterable[Mapping[str, Any]]) -> list[AuditEvent]:
    """Append many events at once, in the given order, exactly as many ``record`` calls would:
    one lock of the chain head, one HMAC per event linked to the previous one, one bulk insert
    and one move of the head. Each mapping takes ``record``'s keyword arguments (not
    ``durable``). All events share the moment of the call."""
    now = clock.now()
    rows = [_values(occurred_at=now, **dict(event)) for event in events]
    if not rows:
        return []
    return _append(rows, bulk=True)


_together: contextvars.ContextVar[list[dict[str, Any]] | None] = contextvars.ContextVar(
    "pillars_audit_events_together", default=None
)


@contextlib.contextmanager
def together() -> Iterator[None]:
    """Write the events a block of reads records outside any transaction at the block's end,
    in order, in one transaction of their own, not one each: a page that reads under a
    consent logs the page's read and the disclosure it made together (one lock of a lane, one
    INSERT). Call it around the reads and before anything is shown: the events are written
    when the block ends, also when it raises. Inside a transaction an event is written at
    once, with the transaction's writes, as always; so is a durable one. ``record`` hands back
    an event not yet numbered for one it holds. A block inside another is written with the
    outer one."""
    if _together.get() is not None:
        yield
        return
    waiting: list[dict[str, Any]] = []
    token = _together.set(waiting)
    try:
        yield
    finally:
        _together.reset(token)
        if waiting:
            _append(waiting, bulk=False)


_durable: contextvars.ContextVar[list[dict[str, Any]] | None] = contextvars.ContextVar(
    "pillars_durable_audit_events", default=None
)


@contextlib.contextmanager
def keeping_durable_events() -> Iterator[None]:
    """Run a block that may roll back a transaction: durable events written inside it (refusals,
    lookups) are written again once the rollback has happened, so they stay on the record."""
    pending: list[dict[str, Any]] = []
    token = _durable.set(pending)
    try:
        yield
    except BaseException:
        _durable.reset(token)
        # Written again only where the rollback left a usable connection (not inside an outer
        # transaction that is itself doomed).
        if not transaction.get_connection().needs_rollback:
            for item in pending:
                seq, mac = item["written"]
                if not AuditEvent.objects.filter(seq=seq, hmac=mac).exists():
                    record(**item["values"])
        raise
    _durable.reset(token)


def changes(before: Mapping[str, Any] | None, after: Mapping[str, Any]) -> dict[str, Any]:
    """Old and new values of the fields that differ (all of ``after`` for a creation)."""
    before = before or {}
    diff = {}
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key), after.get(key)
        if old != new:
            diff[key] = {"old": _jsonable(old), "new": _jsonable(new)}
    return {"changes": diff}


def snapshot(instance: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """The current values of some fields, JSON-ready, for ``changes``."""
    out: dict[str, Any] = {}
    for name in fields:
        value = getattr(instance, name)
        if isinstance(value, models.Model):
            value = str(getattr(value, "public_id", value.pk))
        out[name] = _jsonable(value)
    return out


__all__ = [
    "Action",
    "Category",
    "Outcome",
    "Purpose",
    "changes",
    "record",
    "record_many",
    "snapshot",
]
