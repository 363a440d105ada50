"""The SQL that distributes a Pillars database by organization on Citus (docs/SCALE.md), read
from the models' kinds (``people.tenancy``) and the database's own catalog.

Django cannot declare a primary key of two columns that other tables point at, so the keys
Citus needs are made here, at distribution time: each tenant table's primary key becomes
``(organization_id, id)``, every key unique on its own column gains ``organization_id``, and
every link between tenant tables gains it too (so each row's parent lives on the same node).
Then each table is created as Citus has it: distributed on ``organization_id`` beside the
organizations, or copied to every node as reference data.

``pillars citus-plan`` prints the statements; ``people/tests/test_distribution.py`` runs every
one but the Citus calls on the PostgreSQL test database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.db import models

from pillars.core import partitions
from pillars.people.tenancy import OWN_KEY, ROOT, kind_of

ORG = "organization_id"


@dataclass
class Plan:
    """The statements, in order; ``citus`` are the calls only Citus understands."""

    keys: list[str] = field(default_factory=list)
    citus: list[str] = field(default_factory=list)
    tables: dict[str, str] = field(default_factory=dict)  # each keyed table: its column
    local: list[str] = field(default_factory=list)  # kept on the coordinator, as they are


def tables_of(kind: str) -> list[type[models.Model]]:
    found = []
    for model in apps.get_models(include_auto_created=True):
        if not model._meta.app_label or model._meta.proxy or not model._meta.managed:
            continue
        if _kind(model) == kind:
            found.append(model)
    return sorted(found, key=lambda m: m._meta.db_table)


def _kind(model: type[models.Model]) -> str:
    kind = kind_of(model)
    if kind is not None:
        return kind
    # Django's own tables (sessions, auth, OTP devices, tasks) and the links between shared
    # tables stay off the tenants' nodes, as reference data.
    return "reference"


def plan(connection: Any) -> Plan:
    """The statements that key and distribute this database (PostgreSQL)."""
    q = connection.ops.quote_name
    out = Plan()
    partitioned = partitions.partitioned_tables(connection)
    # Each table keyed, and by what: a tenant table by its organization, the audit log by its
    # lane. A table partitioned by month keeps its unique keys in a side table
    # (core.partitions), which carries the same column: both are keyed and distributed together.
    column_of: dict[str, str] = {}
    for model in tables_of("tenant"):
        if model._meta.label != ROOT:
            column_of[model._meta.db_table] = ORG
    for label, key in OWN_KEY.items():
        column_of[apps.get_model(label)._meta.db_table] = key
    for table, key in list(column_of.items()):
        if table in partitioned:
            column_of[f"{table}_key"] = key
    out.tables = dict(sorted(column_of.items()))
    with connection.cursor() as cursor:
        catalog = {
            table: connection.introspection.get_constraints(cursor, table) for table in column_of
        }
    links: list[tuple[str, str, str, str]] = []  # child, constraint, column, parent
    for table, constraints in sorted(catalog.items()):
        for name, info in sorted(constraints.items()):
            target = info.get("foreign_key")
            if target and column_of.get(target[0]) == ORG and column_of[table] == ORG:
                links.append((table, name, info["columns"][0], target[0]))
    for child, name, _, _ in links:
        out.keys.append(f"ALTER TABLE {q(child)} DROP CONSTRAINT {q(name)}")
    for table, key in sorted(column_of.items()):
        for name, info in sorted(catalog[table].items()):
            columns = info["columns"]
            if (
                key in columns
                or info.get("foreign_key")
                or not (info["primary_key"] or info["unique"])
            ):
                continue
            listed = ", ".join(q(c) for c in [key, *columns])
            if info["primary_key"]:
                out.keys.append(
                    f"ALTER TABLE {q(table)} DROP CONSTRAINT {q(name)}, "
                    f"ADD CONSTRAINT {q(name)} PRIMARY KEY ({listed})"
                )
            elif not _is_constraint(connection, table, name):
                out.keys.append(f"DROP INDEX {q(name)}")
                out.keys.append(_with_column(connection, name, key))
            else:
                out.keys.append(
                    f"ALTER TABLE {q(table)} DROP CONSTRAINT {q(name)}, "
                    f"ADD CONSTRAINT {q(name)} UNIQUE ({listed})"
                )
    for child, name, column, parent in links:
        out.keys.append(
            f"ALTER TABLE {q(child)} ADD CONSTRAINT {q(name)} FOREIGN KEY ({q(ORG)}, {q(column)}) "
            f"REFERENCES {q(parent)} ({q(ORG)}, {q('id')}) DEFERRABLE INITIALLY DEFERRED"
        )
    root = _root_table()
    out.citus.append(f"SELECT create_distributed_table('{root}', 'id')")
    if any(table in partitioned for table in column_of):
        # The side tables' triggers write the shard on the row's own node (colocated below).
        out.citus.append("SET citus.enable_unsafe_triggers TO on")
    for table, key in sorted(column_of.items()):
        if key == ORG:
            colocated = root
        else:
            colocated = table.removesuffix("_key") if table.endswith("_key") else "default"
        out.citus.append(
            f"SELECT create_distributed_table('{table}', '{key}', colocate_with => '{colocated}')"
        )
    for model in tables_of("reference"):
        out.citus.append(f"SELECT create_reference_table('{model._meta.db_table}')")
    out.local = [model._meta.db_table for model in tables_of("local")]
    return out


def _root_table() -> str:
    return str(apps.get_model(ROOT)._meta.db_table)


def _with_column(connection: Any, index: str, column: str) -> str:
    """A unique index's definition with ``column`` first among its columns (its condition, if
    any, kept)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_indexdef(to_regclass(%s))", [index])
        definition = str(cursor.fetchone()[0])
    head, found, tail = definition.partition(" USING btree (")
    if not found:
        raise ValueError(f"not a b-tree index: {definition}")
    return f"{head}{found}{connection.ops.quote_name(column)}, {tail}"


def _is_constraint(connection: Any, table: str, name: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM pg_constraint WHERE conrelid = to_regclass(%s) AND conname = %s",
            [table, name],
        )
        return cursor.fetchone() is not None
