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

Kept reads that do not wait on one another can run together: ``read_later`` and ``rows_later``
make a read ready (a ``Pending``) and ``together`` runs several, in one psycopg pipeline on
PostgreSQL (one round trip for all). A function that reads in steps is a generator
(``Steps``) that yields the reads it waits for and gets their rows back; ``gather`` and
``all_of`` advance several at once, and ``stepwise`` lets one still be called plainly.
"""

from __future__ import annotations

import functools
import re
import weakref
from collections.abc import Callable, Generator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from types import GeneratorType
from typing import Any, cast
from uuid import UUID

from django.conf import settings
from django.core.exceptions import EmptyResultSet, FullResultSet
from django.db import DatabaseError, connections
from django.db.models import Func, Model, Q, QuerySet, Value
from django.db.models.query import (  # type: ignore[attr-defined]  # _get_from_db: ModelIterable's own
    FlatValuesListIterable,
    ModelIterable,
    ValuesListIterable,
    _get_from_db,
    get_related_populators,
)
from django.db.models.sql import Query
from django.db.models.sql.where import AND, WhereNode
from django.db.transaction import TransactionManagementError

_PLACEHOLDER = re.compile(r"(?<!%)%s")


class _Compiled:
    """A read's compiled SQL, its compiler (the columns and the models they fill), the values
    before and after its WHERE clause's, and the converters of its columns per connection (a
    converter belongs to its connection)."""

    def __init__(self, compiler: Any, sql: str, before: tuple[Any, ...], after: tuple[Any, ...]):
        self.compiler, self.sql, self.before, self.after = compiler, sql, before, after
        self.converters: dict[Any, dict[int, Any]] = {}
        self.columns = [column[0] for column in compiler.select[: compiler.col_count]]
        # Whether a column is a composite key's pair of columns: its rows are reshaped then.
        self.composite = compiler.has_composite_fields(self.columns)
        # A row's columns past these are the extra ones the compiler selected (cut off).
        self.width = compiler.col_count if compiler.has_extra_select else None
        # For a read of model instances, where the model's columns are in a row and the fields
        # they fill, and where each annotation is (``ModelIterable``'s facts, found once).
        info = compiler.klass_info
        self.model_columns: tuple[int, int] | None = None
        self.init_list: list[str] = []
        if info is not None:
            fields = info["select_fields"]
            self.model_columns = (fields[0], fields[-1] + 1)
            self.init_list = [
                column[0].target.attname for column in compiler.select[fields[0] : fields[-1] + 1]
            ]
        self.annotations = list((compiler.annotation_col_map or {}).items())
        # (database alias, fetch mode) -> how an instance and its ``select_related`` records are
        # made, for a fetch mode that tracks no peers (one whose makers keep no per-run list).
        self.makers: dict[tuple[str, Any], tuple[Callable[..., Any], list[Any]]] = {}

    def params(self, where_params: Any) -> tuple[Any, ...]:
        return (*self.before, *where_params, *self.after)

    def converters_for(self, connection: Any) -> dict[int, Any]:
        converters = self.converters.get(connection)
        if converters is None:
            converters = self.converters[connection] = self.compiler.get_converters(self.columns)
        return converters

    def compiler_for(self, connection: Any, params: tuple[Any, ...]) -> Any:
        converters = self.converters_for(connection)
        composite = self.composite
        # A shallow copy (as ``copy.copy`` makes, without its pickling protocol's round trip):
        # the run's own connection, SQL and values over the compiler's columns and models, and
        # what those columns need (their converters, their shape) as found once.
        run = object.__new__(type(self.compiler))
        run.__dict__.update(self.compiler.__dict__)
        run.connection = connection
        run.as_sql = lambda *args, **kwargs: (self.sql, params)
        run.get_converters = lambda expressions: converters
        run.has_composite_fields = lambda expressions: composite
        return run

    def makes(self, iterable: type) -> bool:
        """Whether ``answer`` makes the rows of a queryset of this iterable class: model
        instances, tuples or single values, from a row shape it need not reshape."""
        if self.composite:
            return False
        if iterable is ModelIterable:
            return self.model_columns is not None
        return iterable is ValuesListIterable or iterable is FlatValuesListIterable

    def answer(
        self, iterable: type, queryset: QuerySet[Any, Any], fetched: list[Any], connection: Any
    ) -> list[Any]:
        """What Django's ``iterable`` gives for the database's rows ``fetched`` on
        ``connection`` (``makes`` said it can): each column converted as its compiler converts
        it (``SQLCompiler.results_iter``), then the instances ``ModelIterable`` makes (their
        ``select_related`` records, annotations, ``_state``), the tuples or the single values."""
        rows: list[Any] = fetched
        if self.width is not None:
            rows = [row[: self.width] for row in rows]
        converters = self.converters_for(connection)
        if converters:
            rows = _converted(rows, list(converters.items()), connection)
        if iterable is ValuesListIterable:
            return [tuple(row) for row in rows]
        if iterable is FlatValuesListIterable:
            return [row[0] for row in rows]
        return self.instances(queryset, rows, connection.alias)

    def instances(self, queryset: QuerySet[Any, Any], rows: list[Any], db: str) -> list[Model]:
        """The model instances ``ModelIterable`` makes of converted rows read from ``db``."""
        fetch_mode = queryset._fetch_mode  # type: ignore[attr-defined]
        peers: list[Any] | None = [] if fetch_mode.track_peers else None
        if peers is None:
            makers = self.makers.get((db, fetch_mode))
            if makers is None:
                makers = self.makers[(db, fetch_mode)] = self.made_for(db, fetch_mode)
        else:
            makers = self.made_for(db, fetch_mode)  # each populator keeps this run's peers
        from_db, populators = makers
        start, end = cast(tuple[int, int], self.model_columns)
        init_list, annotations = self.init_list, self.annotations
        found = []
        for row in rows:
            obj = from_db(db, init_list, row[start:end])
            if peers is not None:
                peers.append(weakref.ref(obj))
                obj._state.peers = peers
            for populator in populators:
                populator.populate(row, obj)
            for name, at in annotations:
                setattr(obj, name, row[at])
            found.append(obj)
        return found

    def made_for(self, db: str, fetch_mode: Any) -> tuple[Callable[..., Any], list[Any]]:
        """How ``ModelIterable`` makes an instance (``from_db``, with the fetch mode) and the
        populators of its ``select_related`` records, for reads from ``db``."""
        info = self.compiler.klass_info
        return (
            _get_from_db(info["model"], fetch_mode),
            get_related_populators(info, self.compiler.select, db, fetch_mode),
        )


def _converted(
    rows: list[Any], converters: list[tuple[int, Any]], connection: Any
) -> list[list[Any]]:
    """The rows with each column's converters applied (``SQLCompiler.apply_converters``)."""
    found = []
    for row in map(list, rows):
        for at, (functions, expression) in converters:
            value = row[at]
            for convert in functions:
                value = convert(value, expression, connection)
            row[at] = value
        found.append(row)
    return found


# (name, database alias, WHERE clause SQL) -> the compiled read; None: not kept. An IN list
# makes a shape per length, so the reads kept are bounded: past MOST, a new shape is not kept.
_COMPILED: dict[tuple[Any, str, str], _Compiled | None] = {}
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
    return _rows_later(name, queryset).rows()


def rows_later[M: Model, R](name: str, queryset: QuerySet[M, R]) -> Pending[R]:
    """``rows``, made ready but not run: for ``together`` (or ``Pending.rows``)."""
    return _rows_later(name, queryset.all())


def rows_steps[M: Model, R](name: str, queryset: QuerySet[M, R]) -> Steps[list[R]]:
    """``rows`` as a function that reads in one step (for ``all_of``)."""
    return (yield from waited(rows_later(name, queryset)))


def waited[R](read: Pending[R]) -> Steps[list[R]]:
    """A read made ready, as a function that reads in one step (for ``all_of``)."""
    return (yield read)


def _rows_later[M: Model, R](name: str, queryset: QuerySet[M, R]) -> Pending[R]:
    query = queryset.query
    alias = queryset.db
    compiler = query.get_compiler(using=alias)
    try:
        where_sql, where_params = compiler.compile(query.where)
    except (EmptyResultSet, FullResultSet):
        return Pending(queryset)
    key = (name, alias, where_sql)
    if key not in _COMPILED:
        if len(_COMPILED) < MOST:
            _COMPILED[key] = _compile(compiler, where_sql, where_params)
        return Pending(queryset)
    compiled = _COMPILED[key]
    if compiled is None:
        return Pending(queryset)
    params = compiled.params(where_params)
    if settings.TESTING:
        fresh_sql, fresh_params = query.get_compiler(using=alias).as_sql()
        if (fresh_sql, tuple(fresh_params)) != (compiled.sql, params):
            raise AssertionError(f"the read {name!r} changed more than its WHERE clause's values")
    return Pending(queryset, compiled, params, alias)


def _run[M: Model, R](
    queryset: QuerySet[M, R],
    compiled: _Compiled,
    params: tuple[Any, ...],
    connection: Any,
    fetched: list[tuple[Any, ...]] | None = None,
) -> list[R]:
    """The rows of ``queryset``, fetched on ``connection`` with the kept SQL and these values,
    or made from the database's rows ``together`` already fetched with them."""
    query = queryset.query
    if query.select_for_update:
        features = connection.features
        if (
            features.has_select_for_update
            and features.supports_transactions
            and connection.get_autocommit()
        ):
            # As Django's compiler would say (it is not asked again).
            raise TransactionManagementError(
                "select_for_update cannot be used outside of a transaction."
            )
    kind = queryset._iterable_class
    if compiled.makes(kind) and not queryset._known_related_objects:  # type: ignore[attr-defined]

        def kept_rows(this: QuerySet[M, R]) -> list[Any]:
            # Once: a queryset cloned from this one afterwards (the Part 2 guard reads the
            # records behind the rows it fetched) iterates as Django's own.
            this._iterable_class = kind
            rows = fetched
            if rows is None:
                rows = _one_after_another(connection, [(compiled.sql, params)])[0]
            return compiled.answer(kind, this, rows, connection)

        # The rows made from the kept compiler's facts: Django's iterable would ask for the
        # database, the compiler and the fetched rows' makers again, for every read.
        queryset._iterable_class = kept_rows  # type: ignore[assignment]
    else:
        run = compiled.compiler_for(connection, params)
        if fetched is not None:
            # The rows as the compiler's own fetch would hand them on: all in one chunk, cut to
            # its columns when it selected more (``SQLCompiler.execute_sql``).
            chunk = [row[: run.col_count] for row in fetched] if run.has_extra_select else fetched
            run.execute_sql = lambda *args, **kwargs: [chunk]

        def kept_sql(*args: Any, **kwargs: Any) -> Any:
            # Once: the read's own iteration asks for its compiler first. A query cloned from
            # this one afterwards (the Part 2 guard reads the records behind the rows it
            # fetched) gets Django's compiler, not this read's SQL.
            del query.get_compiler
            return run

        query.get_compiler = kept_sql  # type: ignore[method-assign]
    # Fetched once: ``list(queryset)`` would ask its length first, then iterate it.
    return list(iter(queryset))


class Pending[R]:
    """A read made ready (its SQL, values and database) but not yet run: ``rows`` runs it
    alone, and ``together`` runs many at once. A read whose SQL is not kept yet runs alone
    either way."""

    __slots__ = ("alias", "compiled", "params", "queryset")

    def __init__(
        self,
        queryset: QuerySet[Any, R],
        compiled: _Compiled | None = None,
        params: tuple[Any, ...] = (),
        alias: str = "",
    ) -> None:
        self.queryset, self.compiled, self.params, self.alias = queryset, compiled, params, alias

    def rows(self) -> list[R]:
        """The rows, the read run alone."""
        return self._answer(None, None)

    def _answer(self, fetched: list[tuple[Any, ...]] | None, connection: Any) -> list[R]:
        """The rows, made from ``fetched`` (the database's rows ``together`` fetched on
        ``connection``, the connection of the kept reads' database), else fetched now."""
        if self.compiled is None:
            return list(self.queryset)
        if connection is None or connection.alias != self.alias:
            connection = connections[self.alias]
        return _run(self.queryset, self.compiled, self.params, connection, fetched)


def together(reads: Sequence[Pending[Any]]) -> list[list[Any]]:
    """The rows of each read, in order: on PostgreSQL the kept reads of one database are sent
    in one pipeline and answered in one round trip, instead of one round trip each; on SQLite
    (it answers in-process) they run one after the other on one cursor. Two reads of the same
    SQL and values (two parts of a page asking the same thing) are run once. Each read's rows
    are the ones it gives alone: its own queryset makes its instances (and the Part 2 guard
    logs what it opened) from the database's rows."""
    fetched, connection = _fetched(reads)
    return [read._answer(rows, connection) for read, rows in zip(reads, fetched, strict=True)]


# Entering and leaving psycopg's pipeline costs about one round trip of its own (measured on
# 127.0.0.1: one read 147 µs alone, 265 µs in a pipeline; two 311 and 390; three 531 and 503;
# six 832 and 598): fewer reads than this go one after the other.
PIPELINE_FROM = 3


def _fetched(reads: Sequence[Pending[Any]]) -> tuple[list[list[tuple[Any, ...]] | None], Any]:
    """The database rows of the kept reads fetched together, and the connection of their
    database (None when no read is kept); None for the rest (a read not kept, one that locks
    rows, one of another database), which run alone, and for all of them when fetching them
    together would gain nothing (fewer than ``PIPELINE_FROM`` reads on PostgreSQL with none
    asked twice). On SQLite, which has no round trip to save, they are fetched together all
    the same: one cursor for all, where each read alone takes a cursor of its own and Django's
    chunked fetch, which cost more than SQLite takes to answer."""
    found: list[list[tuple[Any, ...]] | None] = [None] * len(reads)
    ready = [
        at
        for at, read in enumerate(reads)
        if read.compiled is not None and not read.queryset.query.select_for_update
    ]
    alias = reads[ready[0]].alias if ready else ""
    # (SQL, values) -> the statement and the reads that ask it.
    asked: dict[Any, tuple[tuple[str, tuple[Any, ...]], list[int]]] = {}
    for at in ready:
        read = reads[at]
        compiled = read.compiled
        if compiled is None or read.alias != alias:
            continue
        statement = (compiled.sql, read.params)
        key: Any = statement
        try:
            hash(key)
        except TypeError:  # a value with no hash (a list bound as an array): asked on its own
            key = (at,)
        asked.setdefault(key, (statement, []))[1].append(at)
    if not alias:
        return found, None
    connection = connections[alias]
    pipelined = connection.vendor == "postgresql" and len(asked) >= PIPELINE_FROM
    if not (pipelined or connection.vendor == "sqlite" or len(asked) < len(ready)):
        return found, connection
    statements = [statement for statement, _ in asked.values()]
    try:
        # A database error is Django's (as a read alone raises it), wherever the pipeline
        # reports it: at a read, or when it is synced.
        with connection.wrap_database_errors:
            answers = (_pipelined if pipelined else _one_after_another)(connection, statements)
    except DatabaseError:
        if connection.in_atomic_block:
            raise  # the transaction is aborted as one failed read would abort it
        # Outside a transaction each read runs alone again and says what went wrong itself.
        return [None] * len(reads), connection
    for (_, places), rows in zip(asked.values(), answers, strict=True):
        for at in places:
            found[at] = rows
    return found, connection


def _one_after_another(
    connection: Any, statements: list[tuple[str, tuple[Any, ...]]]
) -> list[list[tuple[Any, ...]]]:
    """The rows of each statement, run one after the other on one cursor."""
    with connection.cursor() as cursor:
        answers = []
        for sql, params in statements:
            cursor.execute(sql, params)
            answers.append(cursor.fetchall())
        return answers


def _pipelined(
    connection: Any, statements: list[tuple[str, tuple[Any, ...]]]
) -> list[list[tuple[Any, ...]]]:
    """The rows of each statement, all sent in one psycopg pipeline (a cursor each, fetched once
    the pipeline is synced)."""
    connection.cursor().close()  # connected, and its health checked, outside a pipeline
    cursors: list[Any] = []
    try:
        with connection.connection.pipeline():
            for sql, params in statements:
                cursor = connection.cursor()
                cursors.append(cursor)
                cursor.execute(sql, params)
        return [cursor.fetchall() for cursor in cursors]
    finally:
        for cursor in cursors:
            cursor.close()


# A function that reads in steps: each ``yield`` hands over the reads it waits for (one
# ``Pending``, or a list) and gets their rows back (one list of rows, or a list of them); its
# ``return`` is its answer.
type Steps[R] = Generator[Pending[Any] | list[Pending[Any]], Any, R]


def all_of(*steps: Steps[Any]) -> Steps[tuple[Any, ...]]:
    """Several functions that read in steps, as one: each of its steps asks for every read they
    wait for at once, and it answers with their answers, in order."""
    answers: list[Any] = [None] * len(steps)
    waiting: dict[int, tuple[Steps[Any], Pending[Any] | list[Pending[Any]]]] = {}

    def advance(at: int, step: Steps[Any], rows: Any) -> None:
        try:
            waiting[at] = (step, step.send(rows))
        except StopIteration as done:
            answers[at] = done.value

    for at, step in enumerate(steps):
        advance(at, step, None)
    while waiting:
        asking = list(waiting.items())
        waiting.clear()
        answered = iter(
            (
                yield [
                    read
                    for _, (_, wanted) in asking
                    for read in ([wanted] if isinstance(wanted, Pending) else wanted)
                ]
            )
        )
        for at, (step, wanted) in asking:
            if isinstance(wanted, Pending):
                advance(at, step, next(answered))
            else:
                advance(at, step, [next(answered) for _ in wanted])
    return tuple(answers)


def answered[R](value: R) -> Steps[R]:
    """An answer already known, as a function that reads in steps (and reads nothing)."""
    return value
    yield  # a generator: it hands over no read


def gather[K, R](steps: Mapping[K, Steps[R] | R]) -> dict[K, R]:
    """The answers of several functions that read in steps (``Steps``; any other value is an
    answer already), keyed as given: each round runs every read they wait for ``together``, so
    a page whose parts each make a few reads waits for a round trip per step, not per read."""
    reading = {key: step for key, step in steps.items() if isinstance(step, GeneratorType)}
    found = dict(steps)  # in the order given, with the answers of those that read put in
    found.update(zip(reading, run(all_of(*reading.values())), strict=True))
    return cast(dict[K, R], found)


def run[R](steps: Steps[R]) -> R:
    """The answer of one function that reads in steps, each step's reads run together."""
    rows: Any = None
    while True:
        try:
            wanted = steps.send(rows)
        except StopIteration as done:
            return cast(R, done.value)
        rows = together([wanted])[0] if isinstance(wanted, Pending) else together(wanted)


class Stepwise[**P, R]:
    """A function that reads in steps (``Steps``), called as a plain function (its reads run
    one step after another) or, through ``steps``, gathered with others (``gather``)."""

    def __init__(self, steps: Callable[P, Steps[R]]) -> None:
        self.steps = steps
        functools.update_wrapper(self, steps)

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        return run(self.steps(*args, **kwargs))


def stepwise[**P, R](steps: Callable[P, Steps[R]]) -> Stepwise[P, R]:
    return Stepwise(steps)


def one[M: Model](name: str, queryset: QuerySet[M]) -> M | None:
    """The row of a query that names one record (a unique key), or None; no ORDER BY."""
    found = _rows(name, queryset.order_by()[:1])
    return found[0] if found else None


# The values a kept read is built with before its real ones are known, one per place in the
# call's values (one per item of a list), chosen so that no real value equals one: a person's id
# is never negative, a public id is random, no text holds a NUL.
def _slot(value: Any, index: int) -> Any:
    if isinstance(value, bool) or value is None:
        raise TypeError(f"a kept read's value cannot be {value!r}")
    if isinstance(value, int):
        return -(1 << 53) - index
    if isinstance(value, UUID):
        return UUID(int=(0x5107 << 112) + index)
    if isinstance(value, str):
        return f"\x00slot {index}\x00"
    if isinstance(value, datetime):
        return datetime(1, 1, 1, tzinfo=UTC) + timedelta(seconds=index)
    if isinstance(value, date):
        return date(1, 1, 1 + index)
    raise TypeError(f"a kept read's value cannot be a {type(value).__name__}")


# How a database holds a value among a query's parameters: as it is, or (SQLite) a public id
# as its hex digits, a day as its ISO text and a moment as its UTC text (as Django's
# ``adapt_datetimefield_value`` writes it).
_FORMS: tuple[Callable[[Any], Any], ...] = (
    lambda value: value,
    lambda value: value.hex if isinstance(value, UUID) else None,
    lambda value: value.isoformat() if isinstance(value, date) else None,
    lambda value: (
        str(value.astimezone(UTC).replace(tzinfo=None)) if isinstance(value, datetime) else None
    ),
)


class _Read:
    """A read built once with stand-in values (``_slot``), its SQL compiled once per database,
    and where each of the call's values goes among its parameters."""

    def __init__(
        self, queryset: QuerySet[Any, Any], slots: tuple[Any, ...], *, counting: bool = False
    ) -> None:
        self.queryset, self.slots, self.counting = queryset, slots, counting
        # alias -> (compiled, ((parameter index, value index, form), ...)); None: not kept (the
        # stand-ins cannot all be found among the parameters: the read is built each call)
        self.compiled: dict[str, tuple[_Compiled, tuple[tuple[int, int, int], ...]] | None] = {}

    def compiled_for(self, alias: str) -> tuple[_Compiled, tuple[tuple[int, int, int], ...]] | None:
        if alias not in self.compiled:
            self.compiled[alias] = self.compile(alias)
        return self.compiled[alias]

    def compile(self, alias: str) -> tuple[_Compiled, tuple[tuple[int, int, int], ...]] | None:
        read = _counting(self.queryset) if self.counting else self.queryset
        compiler = read.query.get_compiler(using=alias)
        try:
            sql, params = compiler.as_sql()
        except (EmptyResultSet, FullResultSet):
            return None
        places = tuple(
            (at, index, form)
            for at, param in enumerate(params)
            for index, slot in enumerate(self.slots)
            for form, to_db in enumerate(_FORMS)
            if to_db(slot) is not None and type(param) is type(to_db(slot)) and param == to_db(slot)
        )
        if {index for _, index, _ in places} != set(range(len(self.slots))):
            return None
        return _Compiled(compiler, sql, tuple(params), ()), places


# (name, key, the length of each list among the values) -> the kept read. Its keys follow the
# readers (their units) and the lists' lengths (a board's census): past MOST it starts again.
_READS: dict[tuple[str, Any, tuple[int | None, ...]], _Read] = {}


def _shaped(flat: tuple[Any, ...], shape: tuple[int | None, ...]) -> list[Any]:
    """The call's values again from their flat list (a list where ``shape`` has a length)."""
    out, at = [], 0
    for length in shape:
        if length is None:
            out.append(flat[at])
            at += 1
        else:
            out.append(list(flat[at : at + length]))
            at += length
    return out


def read[M: Model, R](
    name: str,
    key: Any,
    build: Callable[..., QuerySet[M, R]],
    *values: Any,
    bind: Callable[[QuerySet[M, R]], QuerySet[M, R]] | None = None,
) -> list[R]:
    """The rows of ``build(*values)``, the queryset built and its SQL compiled once per process
    for ``name`` and ``key``, then run with each call's ``values``: for the reads a page makes
    on every view (a person's plan, their phase), where building the queryset (its filters,
    columns, annotations, the reader's label condition) costs several times what the database
    takes to answer. ``values`` are the call's own (ids, public ids, texts, days, or lists of
    distinct ones: a list of another length is built apart), each used in the query as given;
    ``key`` holds everything else ``build`` reads (for a read filtered by the reader's labels,
    what their condition is built from: ``policy.readable_rows``). ``bind`` hands the kept
    queryset's copy to this call's reader (the label guard logs what it opened to them).

    Under test every call builds the read afresh as well and compares its SQL and values, so a
    key that misses what the build reads fails its tests."""
    return read_later(name, key, build, *values, bind=bind).rows()


def read_later[M: Model, R](
    name: str,
    key: Any,
    build: Callable[..., QuerySet[M, R]],
    *values: Any,
    bind: Callable[[QuerySet[M, R]], QuerySet[M, R]] | None = None,
) -> Pending[R]:
    """``read``, made ready but not run: for ``together`` (or ``Pending.rows``)."""
    kept, flat = _kept_read(name, key, build, values)
    queryset = _for_one_run(kept.queryset)
    if bind is not None:
        queryset = bind(queryset)
    alias = queryset.db
    compiled = kept.compiled_for(alias)
    if compiled is None:
        return _rows_later(name, build(*values).all())
    sql, params = _filled(compiled, flat)
    if settings.TESTING:
        _same_build(name, build(*values), alias, sql.sql, params)
    return Pending(queryset, sql, params, alias)


def _for_one_run[S: QuerySet[Any, Any]](kept: S) -> S:
    """A copy of a kept read's queryset to run once (``_run`` hands its query the kept SQL),
    made without ``all()``'s clone of the whole query: the copy's query is a shallow one, whose
    parts (its tables, conditions, columns) stay the kept query's own. Nothing changes those in
    place: running the copy uses the kept compiler and changes nothing, and a queryset made
    from the copy afterwards (the Part 2 guard's read of the records behind its rows) clones
    the query before changing it, as Django always does."""
    query = kept.query  # a deferred filter, if any, applied to the kept queryset itself first
    shallow = object.__new__(type(query))
    shallow.__dict__.update(query.__dict__)
    run = object.__new__(type(kept))
    run.__dict__.update(kept.__dict__, _query=shallow, _result_cache=None, _prefetch_done=False)
    return run


def _kept_read(
    name: Any,
    key: Any,
    build: Callable[..., QuerySet[Any, Any]],
    values: tuple[Any, ...],
    *,
    counting: bool = False,
) -> tuple[_Read, tuple[Any, ...]]:
    """The read kept for ``name``, ``key`` and the lengths of the lists among ``values`` (built
    with stand-ins now when it is not kept yet), and ``values`` as one flat tuple."""
    lengths: list[int | None] = []
    items: list[Any] = []
    for value in values:
        if isinstance(value, list | tuple):
            lengths.append(len(value))
            items.extend(value)
        else:
            lengths.append(None)
            items.append(value)
    shape, flat = tuple(lengths), tuple(items)
    kept = _READS.get((name, key, shape))
    if kept is None:
        if len(_READS) >= MOST:
            _READS.clear()
        slots = tuple(_slot(value, index) for index, value in enumerate(flat))
        built_read = build(*_shaped(slots, shape))
        kept = _READS[(name, key, shape)] = _Read(built_read, slots, counting=counting)
    return kept, flat


def _filled(
    compiled: tuple[_Compiled, tuple[tuple[int, int, int], ...]], flat: tuple[Any, ...]
) -> tuple[_Compiled, tuple[Any, ...]]:
    """The kept SQL and its values with this call's values in their places."""
    sql, places = compiled
    params = list(sql.before)
    for at, index, form in places:
        params[at] = _FORMS[form](flat[index])
    return sql, tuple(params)


def _same_build(
    name: Any, fresh: QuerySet[Any, Any], alias: str, sql: str, params: tuple[Any, ...]
) -> None:
    """Under test: a read built afresh must give the kept SQL and values."""
    found = fresh.query.get_compiler(using=alias).as_sql()
    if (found[0], tuple(found[1])) != (sql, params):
        raise AssertionError(f"the kept read {name!r} gave other SQL than a fresh build")


@dataclass(frozen=True)
class KeptCount:
    """A count made ready (``count_kept``): the SQL of ``SELECT COUNT(1)`` of a kept read with
    this call's values (``sql`` None: the read can have no row, its count is 0); the kept
    read's queryset (whether counting it discloses anything is marked on it: the Part 2 guard's
    hint); and ``fresh``, the read built afresh with this call's values, to log what a count
    disclosed as the read's own count would."""

    sql: str | None
    params: tuple[Any, ...]
    queryset: QuerySet[Any, Any]
    fresh: Callable[[], QuerySet[Any, Any]]


def count_kept(
    name: str, key: Any, build: Callable[..., QuerySet[Any, Any]], *values: Any
) -> KeptCount:
    """``read`` for a count: ``SELECT COUNT(1)`` of ``build(*values)``'s rows, the queryset
    built and its count compiled once per process for ``name`` and ``key``, then run with each
    call's ``values`` (see ``read``: ``key`` holds everything else ``build`` reads). For the
    counts a page makes on every refresh (the board's panels), where building them through the
    policy layer costs several times what the database takes to count. A distinct or sliced
    read is not kept (``TypeError``): count it with Django's ``count()``."""
    kept, flat = _kept_read(("count", name), key, build, values, counting=True)
    query = kept.queryset.query
    if query.distinct or query.is_sliced or query.combinator:
        raise TypeError(f"the count {name!r} cannot be kept: count it with Django's count()")

    def fresh() -> QuerySet[Any, Any]:
        return build(*values)

    if query.is_empty():
        return KeptCount(None, (), kept.queryset, fresh)
    alias = kept.queryset.db
    compiled = kept.compiled_for(alias)
    if compiled is None:
        try:
            sql, found = count_sql(("kept", name), fresh(), alias)
        except EmptyResultSet:
            return KeptCount(None, (), kept.queryset, fresh)
        return KeptCount(sql, tuple(found), kept.queryset, fresh)
    counted, params = _filled(compiled, flat)
    if settings.TESTING:
        _same_build(name, _counting(fresh()), alias, counted.sql, params)
    return KeptCount(counted.sql, params, kept.queryset, fresh)


def _counting(queryset: QuerySet[Any, Any]) -> QuerySet[Any, Any]:
    """The query of ``SELECT COUNT(1)`` of the queryset's rows, with no ordering."""
    return queryset.order_by().annotate(_n=Func(Value(1), function="COUNT")).values("_n")


def count_sql(name: Any, queryset: QuerySet[Any, Any], using: str) -> tuple[str, list[Any]]:
    """The SQL and values of ``SELECT COUNT(1)`` of the queryset's rows (no ordering) on
    database ``using``, compiled once per call site (``name``, any hashable), database and
    shape of its WHERE clause, as ``rows`` keeps a read's; raises ``EmptyResultSet`` when the
    queryset can have no row. For a count made on every refresh of a page (the board's panel
    counts): compiling it costs more than the database takes to count. The caller counts a
    distinct, sliced or combined queryset with Django's own ``count()`` instead."""
    query = queryset.query
    try:
        where_sql, where_params = query.get_compiler(using=using).compile(query.where)
    except FullResultSet:
        where_sql, where_params = "", []
    key = (("count", name), using, where_sql)
    compiled = _COMPILED.get(key)
    if compiled is None or settings.TESTING:
        compiler = _counting(queryset).query.get_compiler(using=using)
        fresh_sql, fresh_params = compiler.as_sql()
        if compiled is None:
            if key not in _COMPILED and len(_COMPILED) < MOST:
                _COMPILED[key] = _compile(compiler, where_sql, where_params)
            return fresh_sql, list(fresh_params)
        if (fresh_sql, tuple(fresh_params)) != (compiled.sql, compiled.params(where_params)):
            raise AssertionError(f"the count {name!r} changed more than its WHERE clause's values")
    return compiled.sql, list(compiled.params(where_params))


class _Kept(WhereNode):
    """A kept condition: resolved once, and its SQL compiled once per database. The copies of
    one share what was compiled until their aliases change (a subquery's ``U0``): a copy
    relabelled compiles its own."""

    compiled: dict[str, Any]

    def clone(self) -> _Kept:
        clone = cast(_Kept, super().clone())  # WhereNode.create keeps the class
        clone.compiled = self.compiled
        return clone

    def relabel_aliases(self, change_map: Any) -> Any:
        if change_map:
            self.compiled = {}
        return super().relabel_aliases(change_map)

    def as_sql(self, compiler: Any, connection: Any) -> Any:
        found = self.compiled.get(connection.alias)
        if found is None:
            try:
                sql, params = super().as_sql(compiler, connection)
                found = (sql, tuple(params))
            except (EmptyResultSet, FullResultSet) as error:
                found = type(error)
            self.compiled[connection.alias] = found
        if isinstance(found, tuple):
            return found[0], list(found[1])
        raise found()


def _kept(model: type[Model], condition: Q) -> tuple[_Kept, frozenset[str]]:
    """The condition resolved for the model's reads (joins refused: ``FieldError``), and the
    alias prefixes its subqueries took."""
    query = Query(model)
    node = query.build_where(condition)
    kept = _Kept(node.children, node.connector, node.negated)
    kept.compiled = {}
    return kept, frozenset(query.subq_aliases)


# (model, condition or the caller's key) -> the condition resolved for that model's reads, and
# its subqueries' alias prefixes. Its keys follow the readers (their units, their grants), which
# change over a server's life: past MOST it starts again rather than stop keeping.
_CONDITIONS: dict[tuple[type[Model], Any], tuple[_Kept, frozenset[str]]] = {}


def filtered[S: QuerySet[Any, Any]](
    queryset: S, condition: Q | Callable[[], Q], *, key: Any = None
) -> S:
    """``queryset.filter(condition)``, the condition resolved once per process for the model:
    for a condition that many reads add (the Part 2 label filter, a reader's scope), where
    resolving it costs several times what running the read does. The condition must need no
    join of the read's own: its subqueries may name the row read by one of its columns
    (``OuterRef("person")``).

    A condition's values make its key (a Q compares and hashes by them); one that holds a
    subquery does not compare by value, so the caller names it by ``key``: every value the
    condition is built from. With a key the condition may be given as the function that builds
    it, called only when the kept one is missing (or under test, to compare).

    Django shares resolved conditions between the copies of a query and copies a condition
    before changing it, so the one kept is added to each read as it is. Under test the SQL is
    compared with Django's own ``filter``, so a condition that breaks the promise fails."""
    build = condition if callable(condition) else lambda: condition
    if callable(condition) and key is None:
        raise TypeError("a condition given by the function that builds it needs a key")
    query = queryset.query
    model = queryset.model
    if query.is_sliced or query.combinator:
        return queryset.filter(build())
    cache_key = (model, condition if key is None else key)
    kept = _CONDITIONS.get(cache_key)
    if kept is None:
        if len(_CONDITIONS) >= MOST:
            _CONDITIONS.clear()
        kept = _CONDITIONS[cache_key] = _kept(model, build())
    node, prefixes = kept
    found = queryset.all()
    # Resolved for a read of the model's own table, under the first alias prefix.
    if (
        found.query.get_initial_alias() != model._meta.db_table
        or found.query.alias_prefix != Query.alias_prefix
    ):
        return queryset.filter(build())
    found.query.where.add(node.clone(), AND)
    # As resolving it here would: the read knows its subqueries' prefixes, so a read that is
    # itself made a subquery later takes another.
    found.query.subq_aliases = found.query.subq_aliases | prefixes
    if settings.TESTING:
        _same_sql(found, queryset.filter(build()))
    return found


# (name, key) -> a queryset built once, copied for each read (``built``). Its keys follow the
# pages read (a unit each): past MOST it starts again.
_BUILT: dict[tuple[str, Any], QuerySet[Any, Any]] = {}


def built[S: QuerySet[Any, Any]](name: str, key: Any, build: Callable[[], S]) -> S:
    """A copy of the queryset ``build`` makes, built once per process for ``name`` and ``key``:
    for a read refreshed over and over (the unit board's orders) whose joins, columns and
    annotated subqueries cost more to set up than the database takes to answer. ``key`` holds
    every value ``build`` reads (the unit's id); nothing of the reader goes in: the caller adds
    the reader's scope to the copy on every call (``policy.restrict``). Under test the copy's
    SQL is compared with a fresh build's, so a key that misses a value fails its tests."""
    kept = _BUILT.get((name, key))
    if kept is None:
        if len(_BUILT) >= MOST:
            _BUILT.clear()
        kept = _BUILT[(name, key)] = build()
    found = cast(S, kept.all())
    if settings.TESTING:
        _same_sql(found, build(), f"the kept read {name!r} gave other SQL than a fresh build")
    return found


def _same_sql(
    kept: QuerySet[Any, Any],
    fresh: QuerySet[Any, Any],
    what: str = "a kept condition gave other SQL than Django's filter",
) -> None:
    def sql(queryset: QuerySet[Any, Any]) -> Any:
        try:
            return queryset.query.sql_with_params()
        except EmptyResultSet:
            return None
        except ValueError:
            # A subquery's own read (it names an outer row): its conditions, compared as such.
            return _shape(queryset.query.where)

    if sql(kept) != sql(fresh):
        raise AssertionError(what)


def _shape(node: Any) -> Any:
    if isinstance(node, WhereNode):
        return (node.connector, node.negated, tuple(_shape(child) for child in node.children))
    return node
