"""Reads whose SQL is compiled once per process: for the few reads every request makes.

Django compiles a queryset to SQL each time it runs, and for a read of rows with their
``select_related`` records, compiling (naming and quoting every column, setting up the
converters of every field) costs more than the database takes to answer. ``rows`` compiles a
read's SQL once per call site, database and shape of its WHERE clause, then runs that SQL with
the values of each call's WHERE clause: the rows are the model instances the queryset itself
would give (the same columns, the same ``select_related`` records, the same queryset class).

A call site names its read and keeps everything but the WHERE clause's values the same from
call to call (the columns, annotations, joins, ordering, limit and locking): the name keys the
cache, and a WHERE clause of another shape (an IN list of another length, one more condition)
is compiled and kept apart. Under test (``settings.TESTING``) every run is compiled afresh as
well and compared with the kept SQL and values, so a call site that breaks that promise fails
its tests.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from django.conf import settings
from django.core.exceptions import EmptyResultSet, FullResultSet
from django.db import connections
from django.db.models import Model, QuerySet
from django.db.transaction import TransactionManagementError

_PLACEHOLDER = re.compile(r"(?<!%)%s")


class _Compiled:
    """A read's compiled SQL, its compiler (the columns and the models they fill), the values
    before and after its WHERE clause's, and the converters of its columns per connection (a
    converter belongs to its connection)."""

    def __init__(self, compiler: Any, sql: str, before: tuple[Any, ...], after: tuple[Any, ...]):
        self.compiler, self.sql, self.before, self.after = compiler, sql, before, after
        self.converters: dict[Any, dict[int, Any]] = {}

    def params(self, where_params: Any) -> tuple[Any, ...]:
        return (*self.before, *where_params, *self.after)

    def compiler_for(self, connection: Any, params: tuple[Any, ...]) -> Any:
        converters = self.converters.get(connection)
        if converters is None:
            columns = [column[0] for column in self.compiler.select[: self.compiler.col_count]]
            converters = self.converters[connection] = self.compiler.get_converters(columns)
        run = copy.copy(self.compiler)
        run.connection = connection
        run.as_sql = lambda *args, **kwargs: (self.sql, params)
        run.get_converters = lambda expressions: converters
        return run


# (name, database alias, WHERE clause SQL) -> the compiled read; None: not kept. An IN list
# makes a shape per length, so the reads kept are bounded: past MOST, a new shape is not kept.
_COMPILED: dict[tuple[str, str, str], _Compiled | None] = {}
MOST = 2000


def _compile(compiler: Any, where_sql: str, where_params: Any) -> _Compiled | None:
    """The read compiled, with the values around its WHERE clause's; None when the WHERE
    clause cannot be told apart in the SQL."""
    sql, params = compiler.as_sql()
    params, where_params = tuple(params), tuple(where_params)
    clause = f" WHERE {where_sql}"
    if not where_sql or sql.count(clause) != 1:
        return None
    start = len(_PLACEHOLDER.findall(sql[: sql.index(clause)]))
    end = start + len(where_params)
    if params[start:end] != where_params:
        return None
    return _Compiled(compiler, sql, params[:start], params[end:])


def rows[M: Model, R](name: str, queryset: QuerySet[M, R]) -> list[R]:
    """The rows of ``queryset`` (model instances, or the values of ``values_list``), its SQL
    compiled once for this call site (``name``)."""
    return _rows(name, queryset.all())  # a copy of its own: its query is handed the SQL


def _rows[M: Model, R](name: str, queryset: QuerySet[M, R]) -> list[R]:
    query = queryset.query
    alias = queryset.db
    compiler = query.get_compiler(using=alias)
    try:
        where_sql, where_params = compiler.compile(query.where)
    except (EmptyResultSet, FullResultSet):
        return list(queryset)
    key = (name, alias, where_sql)
    if key not in _COMPILED:
        if len(_COMPILED) < MOST:
            _COMPILED[key] = _compile(compiler, where_sql, where_params)
        return list(queryset)
    compiled = _COMPILED[key]
    if compiled is None:
        return list(queryset)
    params = compiled.params(where_params)
    if settings.TESTING:
        fresh_sql, fresh_params = query.get_compiler(using=alias).as_sql()
        if (fresh_sql, tuple(fresh_params)) != (compiled.sql, params):
            raise AssertionError(f"the read {name!r} changed more than its WHERE clause's values")
    connection = connections[alias]
    features = connection.features
    if (
        query.select_for_update
        and features.has_select_for_update
        and features.supports_transactions
        and connection.get_autocommit()
    ):
        # As Django's compiler would say (it is not asked again).
        raise TransactionManagementError(
            "select_for_update cannot be used outside of a transaction."
        )
    run = compiled.compiler_for(connection, params)

    def kept_sql(*args: Any, **kwargs: Any) -> Any:
        # Once: the read's own iteration asks for its compiler first. A query cloned from this
        # one afterwards (the Part 2 guard reads the records behind the rows it fetched) gets
        # Django's compiler, not this read's SQL.
        del query.get_compiler
        return run

    query.get_compiler = kept_sql  # type: ignore[method-assign]
    return list(queryset)


def one[M: Model](name: str, queryset: QuerySet[M]) -> M | None:
    """The row of a query that names one record (a unique key), or None; no ORDER BY."""
    found = _rows(name, queryset.order_by()[:1])
    return found[0] if found else None


def first[M: Model](name: str, queryset: QuerySet[M]) -> M | None:
    """``queryset.first()`` (by primary key when it has no order), compiled once (``rows``)."""
    if not queryset.ordered:
        queryset = queryset.order_by("pk")
    found = _rows(name, queryset[:1])
    return found[0] if found else None
