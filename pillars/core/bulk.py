"""Many new rows into one table at once, for the writes that come in thousands (a tablet's batch
of checks and their audit events, a sweep's alerts). On PostgreSQL the rows go through ``COPY``,
several times faster than a multi-row INSERT; on SQLite through one prepared INSERT run for
every row; elsewhere through ``bulk_create``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, models


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
    skipping = skip_conflicts or skip_conflicts_on is not None
    model = type(objects[0])
    # The wrapper itself, not the ``django.db.connection`` proxy: every field prepares its value
    # with it, and the proxy's per-attribute lookup costs more than the preparing.
    connection = connections[DEFAULT_DB_ALIAS]
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(str(f.column)) for f in fields)
    table = quote(model._meta.db_table)
    if connection.vendor == "sqlite":
        _insert_sqlite(
            connection, objects, fields, table, columns, skip_conflicts_on, skip_conflicts
        )
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_create(  # type: ignore[attr-defined]
            objects, batch_size=500, ignore_conflicts=skipping
        )
        return
    # Table and column names come from the model, never from input.
    with connection.cursor() as cursor:
        target = table
        if skipping:
            # COPY cannot skip a conflicting row: copy into a scratch table, then insert from it.
            target = quote(f"{model._meta.db_table}_incoming")
            cursor.execute(
                f"CREATE TEMPORARY TABLE IF NOT EXISTS {target} ON COMMIT DELETE ROWS "  # noqa: S608
                f"AS SELECT {columns} FROM {table} WITH NO DATA"
            )
        with cursor.cursor.copy(f"COPY {target} ({columns}) FROM STDIN") as copy:
            for obj in objects:
                copy.write_row(
                    [f.get_db_prep_save(f.pre_save(obj, add=True), connection) for f in fields]
                )
        if skipping:
            on = ""
            if skip_conflicts_on is not None:
                unique = model._meta.get_field(skip_conflicts_on)
                assert isinstance(unique, models.Field)
                on = f"({quote(str(unique.column))}) "
            cursor.execute(
                f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {target} "  # noqa: S608
                f"ON CONFLICT {on}DO NOTHING"
            )
            cursor.execute(f"DELETE FROM {target}")  # noqa: S608


def _insert_sqlite(
    connection: Any,
    objects: Sequence[models.Model],
    fields: list[Any],
    table: str,
    columns: str,
    skip_conflicts_on: str | None,
    skip_conflicts: bool = False,
) -> None:
    """One prepared INSERT run for every row (``executemany``): the statement is compiled once,
    where ``bulk_create`` builds and compiles a multi-row statement per batch."""
    marks = ", ".join(["%s"] * len(fields))
    conflict = ""
    if skip_conflicts_on is not None:
        unique = objects[0]._meta.get_field(skip_conflicts_on)
        assert isinstance(unique, models.Field)
        conflict = f" ON CONFLICT ({connection.ops.quote_name(str(unique.column))}) DO NOTHING"
    elif skip_conflicts:
        conflict = " ON CONFLICT DO NOTHING"
    sql = f"INSERT INTO {table} ({columns}) VALUES ({marks}){conflict}"  # noqa: S608
    rows = [
        [f.get_db_prep_save(f.pre_save(obj, add=True), connection) for f in fields]
        for obj in objects
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)
