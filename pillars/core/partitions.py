"""Tables partitioned by month on PostgreSQL (declarative RANGE partitioning; SQLite keeps plain
tables and every function here does nothing there).

A partitioned table ``T`` has one partition per calendar month of its key column, in UTC
(``T_p2026_12`` holds ``[2026-12-01, 2027-01-01)``), and a default partition ``T_default`` for a
row outside every month made so far (a replayed past, a test's pinned clock), so an insert never
fails for want of a partition. ``ensure_months`` makes a month, moving the default partition's
rows of that month into it first; the worker's sweep keeps ``MONTHS_AHEAD`` months made ahead
of the clock, so the default partition stays empty in normal work.

PostgreSQL wants the partition key in every primary key and unique constraint. The primary key
becomes ``(id, key column)`` in the database while Django keeps using ``id``. The id, the
partition column and the columns a spec names (``keys``: those of the table's unique
constraints and unique indexes, and of their conditions) are copied into a side table ``T_key``
that holds every unique constraint and unique index of the original table, under its own name
(the partitioned table keeps a plain ``<name>_lookup`` index on the same columns). Triggers keep
it: an insert adds the rows' keys in one statement (and fails, as a unique constraint would,
when one is taken), an update copies changed key columns (a change of the id or the partition
column is refused), a delete removes the key. So a check's ``client_id`` stays unique across
months for idempotent sync, and an alert's open dedupe key across months. Foreign keys into
``T`` point at ``T_key(id)`` instead, so integrity holds (a referenced row cannot be deleted, a
reference to a missing row cannot be written). A bulk insert that skips conflicts
(``core.bulk``) sets ``pillars.skip_conflicts``: the trigger then deletes the rows whose key was
taken, waiting for a concurrent writer of the same key as ``ON CONFLICT DO NOTHING`` would.

Detaching a month (``detach_month``) leaves its rows in a plain table of the same name, no
longer read by Pillars, for archive; their keys stay in ``T_key``, so a client id is never
taken twice and rows that referred to an archived row stay valid.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Any

from django.db import connection as default_connection
from django.db import transaction

from pillars.core import clock, sweeps

logger = logging.getLogger(__name__)

# Months made ahead of the clock by the worker: a quarter, so a worker that stops for weeks
# still leaves every insert a partition of its month.
MONTHS_AHEAD = 3
# How often the sweep looks (a catalog query per table; months change rarely).
EVERY = timedelta(minutes=10)
MOVE_SETTING = "pillars.partition_move"
SKIP_SETTING = "pillars.skip_conflicts"


@dataclass(frozen=True)
class MonthlyTable:
    """What a migration partitions: the table, its partition column and the columns that stay
    unique across all partitions (kept in the side table with the id)."""

    table: str
    column: str
    keys: tuple[str, ...] = ()

    @property
    def key_table(self) -> str:
        return f"{self.table}_key"

    @property
    def default(self) -> str:
        return f"{self.table}_default"


@dataclass(frozen=True)
class Partition:
    """One month's partition (or the default one) as the database has it."""

    table: str
    name: str
    month: date | None
    # The planner's estimate as of the last ANALYZE; None before the first.
    rows: int | None
    size_bytes: int


def month_of(moment: datetime | date) -> date:
    return date(moment.year, moment.month, 1)


def add_months(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def partition_name(table: str, month: date) -> str:
    return f"{table}_p{month:%Y_%m}"


def parse_month(text: str) -> date:
    """``2026-01`` (or ``2026_01``) as the first of that month; ValueError otherwise."""
    return datetime.strptime(text.replace("_", "-"), "%Y-%m").replace(tzinfo=UTC).date()


def month_bounds(month: date) -> tuple[datetime, datetime]:
    start = datetime(month.year, month.month, 1, tzinfo=UTC)
    following = add_months(month, 1)
    return start, datetime(following.year, following.month, 1, tzinfo=UTC)


def _is_postgres(connection: Any) -> bool:
    return bool(connection.vendor == "postgresql")


# ---------------------------------------------------------------------------------------------
# Reading the catalog


def partitioned_tables(connection: Any = None) -> dict[str, str]:
    """Every RANGE-partitioned table of the current schema and its partition column."""
    connection = connection or default_connection
    if not _is_postgres(connection):
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.relname, a.attname
            FROM pg_partitioned_table p
            JOIN pg_class c ON c.oid = p.partrelid
            JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = p.partattrs[0]
            WHERE p.partstrat = 'r' AND p.partnatts = 1
              AND c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema())
            ORDER BY c.relname
            """
        )
        return dict(cursor.fetchall())


def partitions_of(table: str, connection: Any = None) -> list[Partition]:
    """A table's attached partitions, months in order and the default one last, with row
    estimates (the planner's, as of the last ANALYZE) and sizes."""
    connection = connection or default_connection
    if not _is_postgres(connection):
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.relname, c.reltuples::bigint, pg_total_relation_size(c.oid)
            FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
            WHERE i.inhparent = %s::regclass
            """,
            [table],
        )
        found = [
            Partition(table, name, _month_in(table, name), rows if rows >= 0 else None, size)
            for name, rows, size in cursor.fetchall()
        ]
    return sorted(found, key=lambda p: (p.month is None, p.month or date.min))


def _month_in(table: str, name: str) -> date | None:
    prefix = f"{table}_p"
    if not name.startswith(prefix):
        return None
    try:
        return parse_month(name[len(prefix) :])
    except ValueError:
        return None


def _exists(cursor: Any, name: str) -> bool:
    cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [name])
    return bool(cursor.fetchone()[0])


_keyed: dict[tuple[str, str], bool] = {}


def skips_conflicts_by_trigger(connection: Any, table: str) -> bool:
    """Whether inserts into ``table`` meet its unique keys in its side table (so
    ``ON CONFLICT`` cannot name them): remembered per database and table."""
    if not _is_postgres(connection):
        return False
    cache_key = (str(connection.settings_dict["NAME"]), table)
    if cache_key not in _keyed:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT EXISTS (SELECT 1 FROM pg_partitioned_table WHERE partrelid = "
                "to_regclass(%s)) AND to_regclass(%s) IS NOT NULL",
                [table, f"{table}_key"],
            )
            _keyed[cache_key] = bool(cursor.fetchone()[0])
    return _keyed[cache_key]


def skipping_conflicts(cursor: Any, on: bool) -> None:
    """Tell the side table's trigger to drop a row whose key is taken (for the rest of the
    transaction, until called again with False)."""
    cursor.execute("SELECT set_config(%s, %s, true)", [SKIP_SETTING, "on" if on else "off"])


# ---------------------------------------------------------------------------------------------
# Making months


def ensure_months(
    table: str, column: str, first: date, last: date, connection: Any = None
) -> list[str]:
    """Make every month from ``first`` to ``last`` (inclusive) that the table lacks; the
    names of those made. Rows of such a month already in the default partition move into it."""
    connection = connection or default_connection
    if not _is_postgres(connection):
        return []
    made: list[str] = []
    month = month_of(first)
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        # Two workers making the same month wait for each other; the second finds it made.
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"partitions:{table}"])
        while month <= last:
            if make_month(cursor, connection.ops.quote_name, table, column, month):
                made.append(partition_name(table, month))
            month = add_months(month, 1)
    return made


def make_month(
    cursor: Any, quote: Callable[[str], str], table: str, column: str, month: date
) -> bool:
    """Make one month's partition unless it exists; True when made."""
    name = partition_name(table, month)
    if _exists(cursor, name):
        return False
    start, end = month_bounds(month)
    default = quote(f"{table}_default")
    bounds = f"FOR VALUES FROM ('{start.isoformat()}') TO ('{end.isoformat()}')"
    cursor.execute(
        f"SELECT EXISTS (SELECT 1 FROM {default} WHERE {quote(column)} >= %s "  # noqa: S608
        f"AND {quote(column)} < %s)",
        [start, end],
    )
    if not cursor.fetchone()[0]:
        cursor.execute(f"CREATE TABLE {quote(name)} PARTITION OF {quote(table)} {bounds}")
        return True
    # The default partition holds rows of this month: move them into a table of their own,
    # then attach it (the triggers must not drop and re-add their keys on the way).
    cursor.execute(
        f"CREATE TABLE {quote(name)} (LIKE {quote(table)} INCLUDING DEFAULTS "
        "INCLUDING CONSTRAINTS INCLUDING STORAGE)"
    )
    cursor.execute("SELECT set_config(%s, 'on', true)", [MOVE_SETTING])
    cursor.execute(
        f"WITH moved AS (DELETE FROM {default} WHERE {quote(column)} >= %s "  # noqa: S608
        f"AND {quote(column)} < %s RETURNING *) INSERT INTO {quote(name)} SELECT * FROM moved",
        [start, end],
    )
    cursor.execute("SELECT set_config(%s, 'off', true)", [MOVE_SETTING])
    cursor.execute(f"ALTER TABLE {quote(table)} ATTACH PARTITION {quote(name)} {bounds}")
    return True


def make_ahead(now: datetime, connection: Any = None) -> dict[str, list[str]]:
    """For every partitioned table, make this month and the next ``MONTHS_AHEAD``."""
    this_month = month_of(now.astimezone(UTC))
    return {
        table: ensure_months(
            table, column, this_month, add_months(this_month, MONTHS_AHEAD), connection
        )
        for table, column in partitioned_tables(connection).items()
    }


_last_sweep: list[datetime] = []


def sweep_partitions(now: datetime) -> sweeps.SweepResult | None:
    """The worker's sweep: next months' partitions made ahead (None when not due or not on
    PostgreSQL). Each table is made in its own transaction; a failure is the sweeps' one
    failure policy and the next pass tries again."""
    if not _is_postgres(default_connection):
        return None
    if _last_sweep and now - _last_sweep[-1] < EVERY:
        return None
    _last_sweep[:] = [now]
    result = sweeps.SweepResult("partitions")
    this_month = month_of(now.astimezone(UTC))
    last = add_months(this_month, MONTHS_AHEAD)
    for table, column in partitioned_tables().items():
        made = sweeps.guarded(
            result,
            partial(ensure_months, table, column, this_month, last),
            label="pillars worker",
            object_type="partitioned_table",
            object_id=table,
        )
        result.claimed += len(made or [])
    return result


SWEEPS: list[Callable[[datetime], object]] = [sweep_partitions]


# ---------------------------------------------------------------------------------------------
# Detaching a month for archive


# What must hold before a table's month is detached, by table: a hook raises DetachRefused to
# refuse, or records what the table needs to go on without the month (the audit log's archive
# record). Apps register theirs in ready().
DETACH_HOOKS: dict[str, Callable[[Any, str, date], None]] = {}
# Tables detached only when named (``pillars partitions detach --table``), never with the rest.
DETACH_ONLY_WHEN_NAMED: set[str] = set()


class DetachRefused(Exception):
    """The month cannot be detached; the message says why."""


@dataclass(frozen=True)
class Detached:
    table: str
    name: str
    rows: int
    referring: dict[str, int]


def detach_month(table: str, month: date, connection: Any = None) -> Detached:
    """Detach one month of ``table``: its rows stay in a plain table of the same name, which
    Pillars no longer reads; their keys stay in the side table. ``referring`` counts, per
    table, the rows elsewhere that point at rows of that month (they stay valid)."""
    connection = connection or default_connection
    quote = connection.ops.quote_name
    name = partition_name(table, month)
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM pg_inherits WHERE inhparent = to_regclass(%s) "
            "AND inhrelid = to_regclass(%s)",
            [table, name],
        )
        if cursor.fetchone() is None:
            raise LookupError(f"{table} has no partition {name}.")
        cursor.execute(f"SELECT count(*) FROM {quote(name)}")  # noqa: S608
        rows = int(cursor.fetchone()[0])
        referring = _referring_counts(cursor, connection, table, name)
        hook = DETACH_HOOKS.get(table)
        if hook is not None:
            hook(cursor, name, month)
        cursor.execute(f"ALTER TABLE {quote(table)} DETACH PARTITION {quote(name)}")
    return Detached(table, name, rows, referring)


def _referring_counts(cursor: Any, connection: Any, table: str, name: str) -> dict[str, int]:
    quote = connection.ops.quote_name
    counts: dict[str, int] = {}
    for referrer, column in _foreign_keys_into(cursor, f"{table}_key"):
        cursor.execute(
            f"SELECT count(*) FROM {quote(referrer)} r JOIN {quote(name)} p "  # noqa: S608
            f"ON p.id = r.{quote(column)}"
        )
        if count := int(cursor.fetchone()[0]):
            counts[referrer] = counts.get(referrer, 0) + count
    return counts


def _foreign_keys_into(cursor: Any, table: str) -> list[tuple[str, str]]:
    cursor.execute(
        """
        SELECT c.conrelid::regclass::text, a.attname
        FROM pg_constraint c
        JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
        WHERE c.contype = 'f' AND c.confrelid = to_regclass(%s) AND cardinality(c.conkey) = 1
        ORDER BY 1
        """,
        [table],
    )
    return [(str(r), str(a)) for r, a in cursor.fetchall()]


# ---------------------------------------------------------------------------------------------
# Converting a plain table (a migration's work)


def partition_by_month(spec: MonthlyTable, connection: Any = None) -> None:
    """Turn the plain table ``spec.table`` into one partitioned by month of ``spec.column``,
    with its rows, indexes, foreign keys (those into it re-pointed at the side table) and
    sequence; months from its oldest row to ``MONTHS_AHEAD`` past now. Does nothing on SQLite
    or when the table is partitioned already."""
    connection = connection or default_connection
    if not _is_postgres(connection) or spec.table in partitioned_tables(connection):
        return
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        # A key column a later migration adds is kept only when the table has it already (a
        # database made from today's models).
        present = {
            c.name for c in connection.introspection.get_table_description(cursor, spec.table)
        }
        spec = replace(spec, keys=tuple(k for k in spec.keys if k in present))
        _Conversion(spec, cursor, connection.ops.quote_name).run()
    _keyed.clear()


def add_key(spec: MonthlyTable, column: str, connection: Any = None) -> None:
    """Keep one more column of the partitioned table ``spec.table`` in its side table, copied
    from the rows there already, and have the triggers keep it from then on. ``spec.keys`` are
    the columns the side table keeps today. Does nothing on SQLite, for a table not
    partitioned, or when the side table keeps the column already."""
    connection = connection or default_connection
    if not _is_postgres(connection) or spec.table not in partitioned_tables(connection):
        return
    q = connection.ops.quote_name
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        kept = connection.introspection.get_table_description(cursor, spec.key_table)
        if column in {c.name for c in kept}:
            return
        conversion = _Conversion(replace(spec, keys=(*spec.keys, column)), cursor, q)
        conversion.old = spec.table  # where the column's type and nullability are read
        conversion.sql(
            f"ALTER TABLE {q(spec.key_table)} ADD COLUMN {q(column)} "
            f"{conversion._column_type(column)}"
        )
        conversion.sql(
            f"UPDATE {q(spec.key_table)} k SET {q(column)} = t.{q(column)} "  # noqa: S608
            f"FROM {q(spec.table)} t WHERE t.id = k.id"
        )
        if conversion._not_null(column):
            conversion.sql(f"ALTER TABLE {q(spec.key_table)} ALTER {q(column)} SET NOT NULL")
        conversion._triggers()
    _keyed.clear()


def _lookup(name: str) -> str:
    """The name of the plain index that stands for a unique one on the partitioned table."""
    return f"{name[:56]}_lookup"


class _Conversion:
    """The steps of ``partition_by_month``, in one transaction."""

    def __init__(self, spec: MonthlyTable, cursor: Any, quote: Callable[[str], str]) -> None:
        self.spec, self.cursor, self.q = spec, cursor, quote
        self.old = f"{spec.table}_unpartitioned"

    def run(self) -> None:
        spec, q = self.spec, self.q
        self.cursor.execute(f"LOCK TABLE {q(spec.table)} IN ACCESS EXCLUSIVE MODE")
        referring = self._constraints("confrelid", "f")
        outgoing = self._constraints("conrelid", "f")
        pkey = self._constraints("conrelid", "p")
        uniques = self._constraints("conrelid", "u")
        unique_indexes = self._plain_indexes(unique=True)
        indexes = self._plain_indexes(unique=False)
        for referrer, name, _ in referring:
            self.sql(f"ALTER TABLE {q(referrer)} DROP CONSTRAINT {q(name)}")
        self.sql(f"ALTER TABLE {q(spec.table)} RENAME TO {q(self.old)}")
        self.sql(
            f"CREATE TABLE {q(spec.table)} (LIKE {q(self.old)} INCLUDING DEFAULTS "
            f"INCLUDING CONSTRAINTS INCLUDING STORAGE) PARTITION BY RANGE ({q(spec.column)})"
        )
        self.sql(f"CREATE TABLE {q(spec.default)} PARTITION OF {q(spec.table)} DEFAULT")
        self._months()
        self._key_table()
        self.sql(f"INSERT INTO {q(spec.table)} SELECT * FROM {q(self.old)}")  # noqa: S608
        self.sql(f"DROP TABLE {q(self.old)}")
        self._sequence()
        for _, name, _ in pkey:
            self.sql(
                f"ALTER TABLE {q(spec.table)} ADD CONSTRAINT {q(name)} "
                f"PRIMARY KEY (id, {q(spec.column)})"
            )
        # Every unique constraint and unique index holds in the side table, under its own
        # name; the partitioned table keeps the same columns indexed for lookups.
        for _, name, definition in uniques:
            self.sql(f"ALTER TABLE {q(spec.key_table)} ADD CONSTRAINT {q(name)} {definition}")
            columns = definition.removeprefix("UNIQUE ")
            self.sql(f"CREATE INDEX {q(_lookup(name))} ON {q(spec.table)} {columns}")
        for name, definition in unique_indexes:
            self.sql(self._retarget(definition, spec.key_table))
            lookup = definition.replace("CREATE UNIQUE INDEX", "CREATE INDEX", 1)
            for written in (q(name), name):
                lookup = lookup.replace(f"INDEX {written} ON", f"INDEX {q(_lookup(name))} ON", 1)
            self.sql(lookup)
        for _, definition in indexes:
            self.sql(definition)
        for _, name, definition in outgoing:
            self.sql(f"ALTER TABLE {q(spec.table)} ADD CONSTRAINT {q(name)} {definition}")
        for referrer, name, definition in referring:
            pointed = definition.replace(
                f"REFERENCES {q(spec.table)}(", f"REFERENCES {q(spec.key_table)}("
            ).replace(f"REFERENCES {spec.table}(", f"REFERENCES {spec.key_table}(")
            self.sql(f"ALTER TABLE {q(referrer)} ADD CONSTRAINT {q(name)} {pointed}")
        self._triggers()

    def sql(self, statement: str, params: Sequence[Any] = ()) -> None:
        self.cursor.execute(statement, params)

    def _constraints(self, side: str, kind: str) -> list[tuple[str, str, str]]:
        self.cursor.execute(
            f"SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "  # noqa: S608
            f"FROM pg_constraint WHERE {side} = to_regclass(%s) AND contype = %s "
            "ORDER BY conname",
            [self.spec.table, kind],
        )
        return [(str(r), str(n), str(d)) for r, n, d in self.cursor.fetchall()]

    def _plain_indexes(self, *, unique: bool) -> list[tuple[str, str]]:
        """The table's indexes that back no constraint (unique or not), by name, as CREATE
        INDEX statements."""
        self.cursor.execute(
            """
            SELECT c.relname, pg_get_indexdef(i.indexrelid)
            FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
            WHERE i.indrelid = to_regclass(%s) AND i.indisunique = %s
              AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)
            ORDER BY 1
            """,
            [self.spec.table, unique],
        )
        return [(str(name), str(definition)) for name, definition in self.cursor.fetchall()]

    def _retarget(self, definition: str, table: str) -> str:
        """An index definition of the original table, on another table."""
        q = self.q
        for written in (q(self.spec.table), self.spec.table):
            for schema in ("public.", ""):
                definition = definition.replace(f" ON {schema}{written} ", f" ON {q(table)} ")
        return definition

    def _months(self) -> None:
        """Every month the rows fall in, and up to ``MONTHS_AHEAD`` past now, made before the
        rows are copied (each row is written once, into its month)."""
        column = self.q(self.spec.column)
        self.sql(f"SELECT min({column}), max({column}) FROM {self.q(self.old)}")  # noqa: S608
        oldest, newest = self.cursor.fetchone()
        this_month = month_of(clock.now().astimezone(UTC))
        month = month_of(oldest.astimezone(UTC)) if oldest is not None else this_month
        newest_month = month_of(newest.astimezone(UTC)) if newest is not None else this_month
        last = max(add_months(this_month, MONTHS_AHEAD), newest_month)
        while month <= last:
            make_month(self.cursor, self.q, self.spec.table, self.spec.column, month)
            month = add_months(month, 1)

    def _column_type(self, column: str) -> str:
        self.cursor.execute(
            "SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
            "WHERE attrelid = to_regclass(%s) AND attname = %s",
            [self.old, column],
        )
        return str(self.cursor.fetchone()[0])

    def _key_table(self) -> None:
        spec, q = self.spec, self.q
        columns = ["id", spec.column, *spec.keys]
        described = ", ".join(f"{q(c)} {self._column_type(c)}" for c in columns)
        self.sql(f"CREATE TABLE {q(spec.key_table)} ({described}, PRIMARY KEY (id))")
        for column in columns:
            if self._not_null(column):
                self.sql(f"ALTER TABLE {q(spec.key_table)} ALTER {q(column)} SET NOT NULL")
        listed = ", ".join(q(c) for c in columns)
        self.sql(
            f"INSERT INTO {q(spec.key_table)} ({listed}) "  # noqa: S608
            f"SELECT {listed} FROM {q(self.old)}"
        )

    def _not_null(self, column: str) -> bool:
        self.cursor.execute(
            "SELECT attnotnull FROM pg_attribute WHERE attrelid = to_regclass(%s) AND attname = %s",
            [self.old, column],
        )
        return bool(self.cursor.fetchone()[0])

    def _sequence(self) -> None:
        spec, q = self.spec, self.q
        sequence = f"{spec.table}_id_seq"
        self.sql(f"CREATE SEQUENCE {q(sequence)} AS bigint OWNED BY {q(spec.table)}.id")
        self.sql(
            f"SELECT setval(%s, coalesce((SELECT max(id) FROM {q(spec.key_table)}), 0) + 1, "  # noqa: S608
            "false)",
            [sequence],
        )
        self.sql(f"ALTER TABLE {q(spec.table)} ALTER id SET DEFAULT nextval('{sequence}')")

    def _triggers(self) -> None:
        spec, q = self.spec, self.q
        table, keys = spec.table, spec.key_table
        columns = ["id", spec.column, *spec.keys]
        listed = ", ".join(q(c) for c in columns)
        changed = " OR ".join(f"OLD.{q(c)} IS DISTINCT FROM NEW.{q(c)}" for c in columns)
        fixed = " OR ".join(f"OLD.{q(c)} IS DISTINCT FROM NEW.{q(c)}" for c in columns[:2])
        assignments = ", ".join(f"{q(c)} = NEW.{q(c)}" for c in spec.keys)
        mirror = f"UPDATE {q(keys)} SET {assignments} WHERE id = NEW.id;" if spec.keys else ""  # noqa: S608
        # One statement-level trigger per insert (its rows as a transition table): the keys of
        # a batch go in with one INSERT, not one per row. Asked to skip conflicts, it keeps the
        # keys it could insert and deletes the rows whose key was taken.
        self._function(
            "insert",
            f"""DECLARE
                kept bigint;
            BEGIN
                IF current_setting('{SKIP_SETTING}', true) = 'on' THEN
                    INSERT INTO {q(keys)} ({listed}) SELECT {listed} FROM new_rows
                        ON CONFLICT DO NOTHING;
                    GET DIAGNOSTICS kept = ROW_COUNT;
                    IF kept < (SELECT count(*) FROM new_rows) THEN
                        DELETE FROM {q(table)} t USING new_rows n
                        WHERE t.id = n.id AND t.{q(spec.column)} = n.{q(spec.column)}
                          AND NOT EXISTS (SELECT 1 FROM {q(keys)} k WHERE k.id = n.id);
                    END IF;
                ELSE
                    INSERT INTO {q(keys)} ({listed}) SELECT {listed} FROM new_rows;
                END IF;
                RETURN NULL;""",  # noqa: S608
        )
        self._function(
            "delete",
            f"""BEGIN
                IF current_setting('{MOVE_SETTING}', true) IS DISTINCT FROM 'on' THEN
                    DELETE FROM {q(keys)} WHERE id = OLD.id;
                END IF;
                RETURN OLD;""",  # noqa: S608
        )
        self._function(
            "update",
            f"""BEGIN
                IF {fixed} THEN
                    RAISE EXCEPTION 'the id and the {spec.column} of a row of {table} never change'
                        USING ERRCODE = 'integrity_constraint_violation';
                END IF;
                {mirror}
                RETURN NEW;""",
        )
        self._function(
            "truncate",
            f"""BEGIN
                DELETE FROM {q(keys)};
                RETURN NULL;""",  # noqa: S608
        )
        self._trigger(
            "insert", "AFTER INSERT", "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT"
        )
        self._trigger("delete", "AFTER DELETE", "FOR EACH ROW")
        self._trigger("update", "BEFORE UPDATE", f"FOR EACH ROW WHEN ({changed})")
        self._trigger("truncate", "AFTER TRUNCATE", "FOR EACH STATEMENT")

    def _function(self, event: str, body: str) -> None:
        """(Re)write the trigger function ``<table>_key_<event>``: ``body`` is its PL/pgSQL from
        its DECLARE or BEGIN up to its END."""
        name = self.q(f"{self.spec.table}_key_{event}")
        self.sql(f"""
            CREATE OR REPLACE FUNCTION {name}() RETURNS trigger
            LANGUAGE plpgsql AS $$
            {body}
            END $$""")

    def _trigger(self, event: str, timing: str, fires: str) -> None:
        """(Re)create the trigger ``<table>_key_<event>`` that runs the function of that name:
        ``timing`` (``AFTER INSERT``) on the table, ``fires`` per row or per statement."""
        q, table = self.q, self.spec.table
        name = q(f"{table}_key_{event}")
        self.sql(f"DROP TRIGGER IF EXISTS {name} ON {q(table)}")
        self.sql(f"CREATE TRIGGER {name} {timing} ON {q(table)} {fires} EXECUTE FUNCTION {name}()")
