"""Reads whose SQL is compiled once per process: for the few reads every request makes.

Django compiles a queryset to SQL each time it runs, and for a read of one row with its
``select_related`` records, compiling (naming and quoting every column, setting up the
converters of every field) costs more than the database takes to answer. ``rows`` compiles a
read's SQL once per call site, database and shape of its WHERE clause, then runs that SQL with
the values of each call's WHERE clause: the rows are the model instances the queryset itself
would give (the same columns, the same ``select_related`` records, the same queryset class).

A call site names its read and keeps everything but the WHERE clause's values the same from
call to call (the columns, joins, ordering, limit and locking): the name keys the cache, and a
WHERE clause of another shape (an IN list of another length, one more condition) is compiled
and kept apart. A read whose SQL has values outside its WHERE clause is not kept; it runs as
Django compiles it.
"""

from __future__ import annotations

import copy
from typing import Any

from django.core.exceptions import EmptyResultSet, FullResultSet
from django.db import connections
from django.db.models import Model, QuerySet
from django.db.transaction import TransactionManagementError

# (name, database alias, WHERE clause SQL) -> a compiled compiler and its SQL; None: not kept.
_COMPILED: dict[tuple[str, str, str], tuple[Any, str] | None] = {}


def rows[M: Model](name: str, queryset: QuerySet[M]) -> list[M]:
    """The rows of ``queryset``, its SQL compiled once for this call site (``name``)."""
    queryset = queryset.all()  # a copy of its own: its query is handed the compiled SQL
    query = queryset.query
    alias = queryset.db
    compiler = query.get_compiler(using=alias)
    try:
        where_sql, where_params = compiler.compile(query.where)
    except (EmptyResultSet, FullResultSet):
        return list(queryset)
    key = (name, alias, where_sql)
    if key not in _COMPILED:
        sql, params = compiler.as_sql()
        _COMPILED[key] = (compiler, sql) if tuple(params) == tuple(where_params) else None
        return list(queryset)
    kept = _COMPILED[key]
    if kept is None:
        return list(queryset)
    compiled, sql = kept
    connection = connections[alias]
    if query.select_for_update and not connection.in_atomic_block:
        raise TransactionManagementError(
            "select_for_update cannot be used outside of a transaction."
        )
    run = copy.copy(compiled)
    run.connection = connection
    run.as_sql = lambda *args, **kwargs: (sql, tuple(where_params))
    query.get_compiler = lambda *args, **kwargs: run  # type: ignore[method-assign]
    return list(queryset)


def one[M: Model](name: str, queryset: QuerySet[M]) -> M | None:
    """The row of a query that names one record (a unique key), or None; no ORDER BY."""
    found = rows(name, queryset.order_by()[:1])
    return found[0] if found else None
