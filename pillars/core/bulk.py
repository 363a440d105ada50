"""Many new rows into one table at once, for the writes that come in thousands (a tablet's batch
of checks and their audit events, a sweep's alerts). On PostgreSQL the rows go through ``COPY``,
several times faster than a multi-row INSERT; on SQLite through one prepared INSERT run for
every row; elsewhere through ``bulk_create``. ``insert_rows`` takes rows whose values a caller
has already prepared for the database (an import that builds them straight from a file, with no
model instance per row)."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any
from uuid import UUID

from django.db import DEFAULT_DB_ALIAS, connections, models

from pillars.core import partitions


def insert_objects(
    objects: Sequence[models.Model],
    *,
    skip_conflicts_on: str | None = None,
    skip_conflicts: bool = False,
) -> None:
    """Insert unsaved instances of one model: every concrete column but the automatic key,
    each value prepared by its own field exactly as a save would. With ``skip_conflicts_on``
    (a unique field) a row whose value is already stored is skipped, as
    ``bulk_create(ignore_conflicts=True)`` does; with ``skip_conflicts`` a row that breaks any
    unique constraint (a partial one included) is. Keys are not set on the instances."""
    if not objects:
        return
    model = type(objects[0])
    # What a model fills on its rows before they are written, since no save() runs here (the
    # organization a tenant row takes from its parent: people.tenancy).
    if (prepare := getattr(model, "before_bulk_insert", None)) is not None:
        prepare(objects)
    # The wrapper itself, not the ``django.db.connection`` proxy: every field prepares its value
    # with it, and the proxy's per-attribute lookup costs more than the preparing.
    connection = connections[DEFAULT_DB_ALIAS]
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    if connection.vendor not in ("sqlite", "postgresql"):
        model.objects.bulk_create(  # type: ignore[attr-defined]
            objects,
            batch_size=500,
            ignore_conflicts=skip_conflicts or skip_conflicts_on is not None,
        )
        return
    plain = [_plain_types(f, connection) for f in fields]
    rows = (
        [
            value
            if type(value := getattr(obj, f.attname)) in types
            else f.get_db_prep_save(f.pre_save(obj, add=True), connection)
            for f, types in zip(fields, plain, strict=True)
        ]
        for obj in objects
    )
    _insert(connection, model, fields, rows, skip_conflicts_on, skip_conflicts)


# Fields whose value of the right Python type (str, float, bool, int or None) the database
# takes as it is: preparing it would only call str(), float(), bool() or int() on it again.
AS_IS = (
    models.CharField,
    models.TextField,
    models.FloatField,
    models.BooleanField,
    models.IntegerField,
    models.ForeignKey,
)


def preparers(model: type[models.Model], names: Sequence[str]) -> list[Callable[[Any], Any] | None]:
    """For each named field (attname) of ``model``, what turns a Python value of its type into
    the value the database takes, as a save would (``get_db_prep_save``); None for a field that
    takes its value as it is (``AS_IS``). A field with ``pre_save`` behaviour (auto_now) is the
    caller's to fill."""
    connection = connections[DEFAULT_DB_ALIAS]
    by_name = {f.attname: f for f in model._meta.concrete_fields}

    def prepare(field: Any) -> Callable[[Any], Any] | None:
        if isinstance(field, AS_IS) and not field.choices:
            return None
        fast = _fast_preparer(field, connection)
        if fast is not None:
            return fast
        return lambda value: field.get_db_prep_save(value, connection)

    return [prepare(by_name[name]) for name in names]


def _fast_preparer(field: Any, connection: Any) -> Callable[[Any], Any] | None:
    """The same value ``get_db_prep_save`` gives, without its layers, for the two field types
    a bulk load holds most of where the database has no type of its own for them (SQLite): a
    UUID as its 32 hex digits, a JSON value as its text. Anything else (None, a string in a
    UUID field) goes the ordinary way."""
    if connection.vendor != "sqlite":
        return None
    slow = field.get_db_prep_save
    if isinstance(field, models.UUIDField):
        return lambda value: value.hex if isinstance(value, UUID) else slow(value, connection)
    if isinstance(field, models.JSONField) and not field.choices:
        dumps, encoder = json.dumps, field.encoder

        def as_json(value: Any) -> Any:
            if isinstance(value, (dict, list)):
                return (
                    dumps(value, cls=encoder)
                    if value
                    else ("{}" if isinstance(value, dict) else "[]")
                )
            return slow(value, connection)

        return as_json
    return None


def _plain_types(field: Any, connection: Any) -> frozenset[type]:
    """The value types a save passes to the database unchanged for this field (exactly these,
    not a subclass: an enumeration member is prepared as a save would), so a bulk insert of
    thousands skips preparing them: None and the field's own type, for an ``AS_IS`` field
    without choices whose ``pre_save`` is its plain value (a UUID too, where the database has
    a UUID type); None alone for a date and time set by the caller; nothing for any other."""
    if field.choices:
        return frozenset()
    if isinstance(field, models.DateTimeField) and not (field.auto_now or field.auto_now_add):
        return frozenset({type(None)})
    if type(field).pre_save is not models.Field.pre_save:
        return frozenset()
    if isinstance(field, models.UUIDField) and connection.features.has_native_uuid_field:
        return frozenset({UUID, type(None)})
    for kind, python in PLAIN_TYPES:
        if isinstance(field, kind):
            return frozenset({python, type(None)})
    return frozenset()


# The ``AS_IS`` fields by the one Python type each takes as it is (a key is an int).
PLAIN_TYPES: tuple[tuple[type[models.Field[Any, Any]], type], ...] = (
    (models.ForeignKey, int),
    (models.BooleanField, bool),
    (models.IntegerField, int),
    (models.FloatField, float),
    (models.CharField, str),
    (models.TextField, str),
)


def insert_rows(
    model: type[models.Model], names: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """Insert rows of values already prepared for the database (``preparers``), one value per
    named field (attname), in that order; the automatic key is left to the database."""
    if not rows:
        return
    connection = connections[DEFAULT_DB_ALIAS]
    by_name = {f.attname: f for f in model._meta.concrete_fields}
    _insert(connection, model, [by_name[name] for name in names], rows, None, False)


def _insert(
    connection: Any,
    model: type[models.Model],
    fields: list[Any],
    rows: Any,
    skip_conflicts_on: str | None,
    skip_conflicts: bool,
) -> None:
    quote = connection.ops.quote_name
    columns = ", ".join(quote(str(f.column)) for f in fields)
    table = quote(model._meta.db_table)
    # The conflict clause: on one unique field, or on any unique constraint.
    on_conflict = ""
    if skip_conflicts_on is not None:
        unique = model._meta.get_field(skip_conflicts_on)
        assert isinstance(unique, models.Field)
        on_conflict = f" ON CONFLICT ({quote(str(unique.column))}) DO NOTHING"
    elif skip_conflicts:
        on_conflict = " ON CONFLICT DO NOTHING"
    if connection.vendor != "postgresql":
        _insert_sqlite(connection, rows, fields, table, columns, on_conflict)
        return
    # A partitioned table keeps its unique keys in a side table that ON CONFLICT cannot name:
    # its trigger skips the conflicting rows instead (core.partitions).
    by_trigger = bool(on_conflict) and partitions.skips_conflicts_by_trigger(
        connection, model._meta.db_table
    )
    # Table and column names come from the model, never from input.
    with connection.cursor() as cursor:
        target = table
        if on_conflict:
            # COPY cannot skip a conflicting row: copy into a scratch table, then insert from it.
            target = quote(f"{model._meta.db_table}_incoming")
            cursor.execute(
                f"CREATE TEMPORARY TABLE IF NOT EXISTS {target} ON COMMIT DELETE ROWS "  # noqa: S608
                f"AS SELECT {columns} FROM {table} WITH NO DATA"
            )
        with cursor.cursor.copy(f"COPY {target} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        if on_conflict:
            insert = f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {target}"  # noqa: S608
            if by_trigger:
                partitions.skipping_conflicts(cursor, True)
                try:
                    cursor.execute(insert)
                finally:
                    partitions.skipping_conflicts(cursor, False)
            else:
                cursor.execute(insert + on_conflict)
            cursor.execute(f"DELETE FROM {target}")  # noqa: S608


def _insert_sqlite(
    connection: Any, rows: Any, fields: list[Any], table: str, columns: str, on_conflict: str
) -> None:
    """One prepared INSERT run for every row (``executemany``): the statement is compiled once,
    where ``bulk_create`` builds and compiles a multi-row statement per batch."""
    marks = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {table} ({columns}) VALUES ({marks}){on_conflict}"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.executemany(sql, list(rows))
