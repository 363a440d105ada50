"""Reads compiled once per process (core.prepared): the rows are those of the queryset itself,
whichever values and shapes come after the first call."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any
from uuid import uuid4

import pytest
from django.core.exceptions import EmptyResultSet, FieldError
from django.db import connection, transaction
from django.db.models import FETCH_PEERS, Exists, F, Model, OuterRef, Q, QuerySet, Value
from django.db.transaction import TransactionManagementError
from django.test.utils import CaptureQueriesContext

from pillars.core import clock, prepared
from pillars.people.models import Episode, PersonServed, Placement, Unit
from pillars.people.testing import World

FIELDS = ("pk", "public_id", "code", "name", "time_zone", "is_substance_use_program", "site_id")


def _name() -> str:
    # A name of its own per test: the compiled SQL is kept for the whole process.
    return f"test read {uuid4()}"


def _kept(name: str) -> None:
    kept = [v for k, v in prepared._COMPILED.items() if k[0] == name]
    assert kept
    assert all(v is not None for v in kept)


def _same(found: list[Unit], expected: list[Unit]) -> None:
    assert [[getattr(u, f) for f in FIELDS] for u in found] == [
        [getattr(u, f) for f in FIELDS] for u in expected
    ]


def test_later_calls_read_other_keys_through_the_same_sql(world: World) -> None:
    name = _name()
    for unit in (world.unit_a, world.unit_b, world.unit_a):
        with CaptureQueriesContext(connection) as queries:
            found = prepared.one(name, Unit.objects.filter(public_id=unit.public_id))
        assert found == unit
        _same([found], [Unit.objects.get(pk=unit.pk)])
        assert len(queries) == 1
    assert prepared.one(name, Unit.objects.filter(public_id=uuid4())) is None
    _kept(name)


def test_related_records_come_as_the_queryset_brings_them(world: World) -> None:
    name = _name()
    for person in (world.person_a, world.person_b, world.person_a):
        shape = Placement.objects.filter(episode__person_id=person.pk).select_related("unit")
        with CaptureQueriesContext(connection) as queries:
            found = prepared.rows(name, shape.order_by("-started_at"))
            units = [p.unit for p in found]  # read with the rows: no query more
        assert len(queries) == 1
        expected = list(shape.order_by("-started_at"))
        assert [p.pk for p in found] == [p.pk for p in expected]
        assert [p.episode_id for p in found] == [p.episode_id for p in expected]
        assert [(p.started_at, p.ended_at) for p in found] == [
            (p.started_at, p.ended_at) for p in expected
        ]
        _same(units, [p.unit for p in expected])
    _kept(name)


def test_a_where_clause_of_another_shape_is_compiled_apart(world: World) -> None:
    name = _name()
    one = [world.unit_a.pk]
    both = [world.unit_a.pk, world.unit_b.pk]
    for keys in (one, both, one, both):
        found = prepared.rows(name, Unit.objects.filter(pk__in=keys).order_by("pk"))
        assert [u.pk for u in found] == sorted(keys)
    assert prepared.rows(name, Unit.objects.filter(pk__in=[]).order_by("pk")) == []
    _kept(name)


def test_the_callers_queryset_is_left_as_it_was(world: World) -> None:
    name = _name()
    shape = Unit.objects.filter(pk=world.unit_a.pk)
    prepared.rows(name, shape)
    prepared.rows(name, shape)
    assert list(shape.filter(code=world.unit_b.code)) == []
    assert list(Unit.objects.filter(pk=world.unit_b.pk)) == [world.unit_b]


def test_values_outside_the_where_clause_are_kept_when_they_stay_the_same(world: World) -> None:
    name = _name()
    for unit in (world.unit_a, world.unit_b):
        found = prepared.rows(name, Unit.objects.filter(pk=unit.pk).annotate(word=Value("fixed")))
        assert [(u.pk, u.word) for u in found] == [(unit.pk, "fixed")]
    _kept(name)


def test_a_read_that_changes_more_than_its_where_values_fails_under_test(world: World) -> None:
    name = _name()
    prepared.rows(name, Unit.objects.filter(pk=world.unit_a.pk).annotate(word=Value("first")))
    with pytest.raises(AssertionError, match="changed more than"):
        prepared.rows(name, Unit.objects.filter(pk=world.unit_a.pk).annotate(word=Value("other")))


def _refused(read: Callable[[], object]) -> bool:
    try:
        read()
    except TransactionManagementError:
        return True
    return False


@pytest.mark.django_db(transaction=True)
def test_a_locking_read_outside_a_transaction_is_refused_as_django_refuses_it(
    world: World,
) -> None:
    name = _name()
    shape = Unit.objects.select_for_update().filter(public_id=world.unit_a.public_id)
    with transaction.atomic():
        assert prepared.one(name, shape) == world.unit_a
    with transaction.atomic():
        assert prepared.one(name, shape) == world.unit_a
    # PostgreSQL refuses it; SQLite, which has no row locks, reads.
    refused = _refused(lambda: list(shape))
    assert refused == connection.features.has_select_for_update
    assert _refused(lambda: prepared.one(name, shape)) == refused


def test_past_its_bound_a_new_shape_is_read_as_django_reads_it(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = _name()
    monkeypatch.setattr(prepared, "MOST", len(prepared._COMPILED))
    for unit in (world.unit_a, world.unit_b):
        assert prepared.one(name, Unit.objects.filter(pk=unit.pk)) == unit
    assert not [k for k in prepared._COMPILED if k[0] == name]


def test_a_kept_condition_filters_as_django_does_and_is_resolved_once(world: World) -> None:
    condition = Q(code=world.unit_a.code) | Q(is_substance_use_program=True)
    first = prepared.filtered(Unit.objects.all(), condition)
    kept, _ = prepared._CONDITIONS[(Unit, condition)]
    again = prepared.filtered(Unit.objects.exclude(pk=world.unit_b.pk), condition)
    assert prepared._CONDITIONS[(Unit, condition)][0] is kept
    assert set(first) == set(Unit.objects.filter(condition))
    assert kept.compiled  # its SQL, compiled once for the database and kept
    assert list(again.order_by("pk")) == list(
        Unit.objects.exclude(pk=world.unit_b.pk).filter(condition).order_by("pk")
    )
    # Another value is another condition, resolved apart.
    other = Q(code=world.unit_b.code) | Q(is_substance_use_program=True)
    assert set(prepared.filtered(Unit.objects.all(), other)) == set(Unit.objects.filter(other))


def test_a_kept_condition_inside_a_subquery_leaves_the_kept_one_as_it_was(world: World) -> None:
    # Compiled first as a read of its own, then inside a subquery that renames its table.
    condition = Q(code=world.unit_a.code) | Q(code="no such unit")
    direct = str(prepared.filtered(Unit.objects.all(), condition).query)
    inner = prepared.filtered(Unit.objects.all(), condition).values("pk")
    placements = Placement.objects.filter(unit_id__in=inner)
    assert set(placements) == set(Placement.objects.filter(unit__code=world.unit_a.code))
    assert str(prepared.filtered(Unit.objects.all(), condition).query) == direct


def test_a_condition_that_joins_is_refused_and_the_kept_conditions_are_bounded(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(FieldError):
        prepared.filtered(Unit.objects.all(), Q(site__name="x"))
    sliced = Unit.objects.order_by("pk")[:1]
    with pytest.raises(TypeError):
        prepared.filtered(sliced, Q(code=world.unit_a.code))
    # Past its bound the cache starts again: the new condition is kept, the older ones are not.
    older = Q(code=world.unit_a.code)
    prepared.filtered(Unit.objects.all(), older)
    monkeypatch.setattr(prepared, "MOST", len(prepared._CONDITIONS))
    condition = Q(code=world.unit_b.code)
    assert list(prepared.filtered(Unit.objects.all(), condition)) == [world.unit_b]
    assert list(prepared._CONDITIONS) == [(Unit, condition)]


def test_a_condition_with_a_correlated_subquery_is_kept_under_its_key(world: World) -> None:
    def condition(unit: Unit) -> Q:
        on_unit = Placement.objects.filter(episode__person=OuterRef("person"), unit=unit)
        return Q(Exists(on_unit)) | Q(person_id__in=[])

    key = ("on unit", world.unit_a.pk)
    kept = prepared.filtered(Episode.objects.all(), condition(world.unit_a), key=key)
    assert set(kept) == set(Episode.objects.filter(condition(world.unit_a)))
    assert set(kept)
    assert set(kept) != set(Episode.objects.all())
    node = prepared._CONDITIONS[(Episode, key)][0]
    again = prepared.filtered(Episode.objects.all(), condition(world.unit_a), key=key)
    assert prepared._CONDITIONS[(Episode, key)][0] is node
    assert str(again.query) == str(Episode.objects.filter(condition(world.unit_a)).query)
    # Made a subquery, and a subquery of a subquery: its own subquery keeps apart from the
    # aliases the enclosing reads take.
    persons = PersonServed.objects.filter(pk__in=again.values("person_id"))
    plain = Episode.objects.filter(condition(world.unit_a))
    assert set(persons) == set(PersonServed.objects.filter(pk__in=plain.values("person_id")))
    deeper = Placement.objects.filter(episode__person__in=persons.values("pk"))
    assert set(deeper) == set(
        Placement.objects.filter(
            episode__person__in=PersonServed.objects.filter(
                pk__in=plain.values("person_id")
            ).values("pk")
        )
    )
    # Another unit is another key, resolved apart.
    other = prepared.filtered(Episode.objects.all(), condition(world.unit_b), key=("on unit", 0))
    assert set(other) == set(Episode.objects.filter(condition(world.unit_b)))


def test_a_condition_given_by_its_builder_is_built_only_when_not_kept(
    world: World, settings: Any
) -> None:
    built: list[int] = []

    def build() -> Q:
        built.append(1)
        return Q(code=world.unit_a.code)

    settings.TESTING = False  # under test every call builds it again, to compare
    key = ("unit by code", world.unit_a.code)
    assert list(prepared.filtered(Unit.objects.all(), build, key=key)) == [world.unit_a]
    assert list(prepared.filtered(Unit.objects.all(), build, key=key)) == [world.unit_a]
    assert built == [1]
    with pytest.raises(TypeError):
        prepared.filtered(Unit.objects.all(), build)


def _count(name: str, queryset: Any) -> int:
    sql, params = prepared.count_sql(name, queryset, "default")
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return int(cursor.fetchone()[0])


def test_a_count_is_compiled_once_per_shape_and_counts_as_django_counts(world: World) -> None:
    name = _name()
    for keys in ([world.unit_a.pk], [world.unit_a.pk, world.unit_b.pk], [world.unit_b.pk]):
        for shape in (Unit.objects.filter(pk__in=keys), Unit.objects.filter(pk__in=keys, code="")):
            assert _count(name, shape.order_by("name")) == shape.count()
    assert [k for k in prepared._COMPILED if k[0] == ("count", name)]
    assert all(v is not None for k, v in prepared._COMPILED.items() if k[0] == ("count", name))
    # A count with no condition (nothing to key its values by) is compiled every time.
    assert _count(name, Unit.objects.all()) == Unit.objects.count()
    with pytest.raises(EmptyResultSet):
        prepared.count_sql(name, Unit.objects.filter(pk__in=[]), "default")


def test_a_count_that_changes_more_than_its_where_values_fails_under_test(world: World) -> None:
    name = _name()
    _count(name, Unit.objects.filter(pk=world.unit_a.pk))
    joined = Unit.objects.filter(pk=world.unit_a.pk).annotate(n=Value(1)).distinct()
    with pytest.raises(AssertionError, match="changed more than its WHERE clause"):
        _count(name, joined)


def test_a_built_read_is_copied_for_its_key_and_a_key_missing_a_value_fails(world: World) -> None:
    name = _name()

    def placed(unit: Unit) -> QuerySet[PersonServed]:
        return (
            PersonServed.objects.filter(
                episodes__placements__unit_id=unit.pk, episodes__placements__ended_at__isnull=True
            )
            .annotate(placed=Exists(Placement.objects.filter(episode__person=OuterRef("pk"))))
            .order_by("pk")
        )

    for unit in (world.unit_a, world.unit_b, world.unit_a):
        found = prepared.built(name, unit.pk, functools.partial(placed, unit))
        assert [p.pk for p in found] == [p.pk for p in placed(unit)]
        # A copy: what the caller adds (the reader's scope) stays out of the kept read.
        assert list(found.filter(pk=-1)) == []
        again = prepared.built(name, unit.pk, functools.partial(placed, unit))
        assert [p.pk for p in again] == [p.pk for p in placed(unit)]
    assert {k for k in prepared._BUILT if k[0] == name} == {
        (name, world.unit_a.pk),
        (name, world.unit_b.pk),
    }
    # A key that leaves out a value the read holds gives another unit's read: refused under test.
    with pytest.raises(AssertionError, match="other SQL"):
        prepared.built(name, world.unit_a.pk, lambda: placed(world.unit_b))


def test_a_kept_read_is_built_once_and_run_with_each_calls_values(world: World) -> None:
    """Ids, public ids, texts and days go in as the call's own values, on either database."""
    name = _name()

    def build(pk: int, public_id: Any, code: str, born: Any) -> QuerySet[PersonServed]:
        return (
            PersonServed.objects.filter(pk=pk, public_id=public_id)
            .filter(Q(record_number=code) | Q(date_of_birth=born) | Q(pk__gt=0))
            .only("pk", "public_id", "legal_given_name")
            .order_by("pk")
        )

    for person in (world.person_a, world.person_b, world.person_a):
        values = (person.pk, person.public_id, person.record_number, person.date_of_birth)
        with CaptureQueriesContext(connection) as queries:
            found = prepared.read(name, "", build, *values)
        assert [(p.pk, p.legal_given_name) for p in found] == [(person.pk, person.legal_given_name)]
        assert len(queries) == 1
    assert prepared.read(name, "", build, -1, uuid4(), "none", world.person_a.date_of_birth) == []
    (kept,) = [v for k, v in prepared._READS.items() if k[0] == name]
    assert all(compiled is not None for compiled in kept.compiled.values())
    # The read kept was built once, with stand-ins: no real person's values.
    assert world.person_a.pk not in kept.compiled[connection.alias][0].before  # type: ignore[index]


def test_a_kept_reads_runs_leave_its_queryset_as_it_was(world: World) -> None:
    """Each run copies the kept queryset without cloning its query: the runs change nothing
    of it, and a queryset made from a run's copy afterwards (as the Part 2 guard makes one)
    compiles its own SQL."""
    name = _name()

    def build(pk: int) -> QuerySet[Placement]:
        return Placement.objects.filter(episode__person_id=pk).select_related("unit").order_by("pk")

    prepared.read(name, "", build, world.person_a.pk)
    (kept,) = [v for k, v in prepared._READS.items() if k[0] == name]
    query = kept.queryset.query
    before = (dict(query.__dict__), dict(query.alias_map), str(query.where))
    for person in (world.person_a, world.person_b, world.person_a):
        read = prepared.read_later(name, "", build, person.pk)
        assert read.queryset.query is not query
        assert read.queryset.query.where is query.where
        found = read.rows()
        assert [(p.pk, p.unit.code) for p in found] == [
            (p.pk, p.unit.code) for p in build(person.pk)
        ]
        # Made from the kept read (its stand-in values), compiled by Django afresh.
        after = read.queryset.filter(unit=world.unit_b).values_list("pk", flat=True)
        fresh = kept.queryset.filter(unit=world.unit_b).values_list("pk", flat=True)
        assert after.query.sql_with_params() == fresh.query.sql_with_params()
        assert list(after) == list(fresh) == []
    assert (dict(query.__dict__), dict(query.alias_map), str(query.where)) == before
    assert kept.queryset._result_cache is None


def test_a_kept_read_whose_key_misses_what_it_reads_fails_under_test(world: World) -> None:
    name = _name()
    for unit in (world.unit_a, world.unit_b):
        read = functools.partial(
            prepared.read,
            name,
            "the same key for both units",
            lambda pk, unit=unit: Unit.objects.filter(pk=pk, code=unit.code),
        )
        if unit == world.unit_a:
            assert read(unit.pk) == [unit]
        else:
            with pytest.raises(AssertionError, match="other SQL"):
                read(unit.pk)


def test_a_value_the_read_does_not_hold_leaves_it_built_each_call(world: World) -> None:
    """A value that never reaches the SQL cannot be told apart: nothing is kept compiled, and
    the rows are Django's own."""
    name = _name()
    for unit in (world.unit_a, world.unit_b):

        def build(code: str, unit: Unit = unit) -> QuerySet[Unit]:
            return Unit.objects.filter(pk=unit.pk)

        assert prepared.read(name, "", build, unit.code) == [unit]
    (kept,) = [v for k, v in prepared._READS.items() if k[0] == name]
    assert set(kept.compiled.values()) == {None}
    with pytest.raises(TypeError, match="cannot be"):
        prepared.read(_name(), "", lambda flag: Unit.objects.filter(is_active=flag), True)


def test_a_kept_read_takes_lists_and_keeps_one_read_per_length(world: World) -> None:
    name = _name()

    def build(pks: list[int], unit_id: int) -> QuerySet[Unit]:
        return Unit.objects.filter(pk__in=pks).exclude(pk=unit_id).order_by("pk")

    a, b = world.unit_a, world.unit_b
    assert prepared.read(name, "", build, [a.pk, b.pk], -1) == [a, b]
    assert prepared.read(name, "", build, [b.pk, a.pk], a.pk) == [b]
    assert prepared.read(name, "", build, [b.pk], -1) == [b]
    assert prepared.read(name, "", build, [], -1) == []
    shapes = sorted((k[2] for k in prepared._READS if k[0] == name), key=str)
    assert shapes == [(0, None), (1, None), (2, None)]


def _counted(kept: prepared.KeptCount) -> int:
    if kept.sql is None:
        return 0
    with connection.cursor() as cursor:
        cursor.execute(kept.sql, kept.params)
        return int(cursor.fetchone()[0])


def test_a_kept_count_is_built_once_and_counts_with_each_calls_values(world: World) -> None:
    """Ids, lists of them, days and moments go in as the call's own values, on either database;
    an empty list or a refused read counts 0 without asking."""
    name = _name()

    def build(pks: list[int], born: Any, now: Any) -> QuerySet[PersonServed]:
        return PersonServed.objects.filter(
            Q(pk__in=pks), Q(date_of_birth__lte=born) | Q(created_at__lt=now)
        ).order_by("legal_family_name")

    a, b = world.person_a, world.person_b
    later = clock.now() + timedelta(days=1)
    for pks, born, now in (
        ([a.pk, b.pk], a.date_of_birth, later),
        ([b.pk], b.date_of_birth, later),
        ([a.pk, b.pk], date(1900, 1, 1), clock.now() - timedelta(days=3650)),
        ([a.pk, b.pk], date(2200, 1, 1), clock.now() - timedelta(days=3650)),
    ):
        expected = build(pks, born, now).count()
        for _ in range(2):  # built the first time, kept the second
            assert _counted(prepared.count_kept(name, "", build, pks, born, now)) == expected
    assert _counted(prepared.count_kept(name, "", build, [], a.date_of_birth, later)) == 0
    shapes = {k[2]: v for k, v in prepared._READS.items() if k[0] == ("count", name)}
    assert sorted(shapes, key=str) == [(0, None, None), (1, None, None), (2, None, None)]
    # Kept compiled but for the empty list (it can have no row: counted 0 without asking).
    assert [shape for shape, v in shapes.items() if v.compiled[connection.alias] is None] == [
        (0, None, None)
    ]
    none = prepared.count_kept(_name(), "", lambda pk: Unit.objects.none(), a.pk)
    assert none.sql is None
    with pytest.raises(TypeError, match="cannot be kept"):
        prepared.count_kept(_name(), "", lambda pk: Unit.objects.filter(pk=pk).distinct(), a.pk)


def test_a_kept_count_whose_key_misses_what_it_reads_fails_under_test(world: World) -> None:
    name = _name()
    prepared.count_kept(name, "one key", lambda pk: Unit.objects.filter(pk=pk, code="a"), 1)
    with pytest.raises(AssertionError, match="other SQL"):
        prepared.count_kept(name, "one key", lambda pk: Unit.objects.filter(pk=pk, code="b"), 1)


# --- Reads run together (pipelined on PostgreSQL) and functions that read in steps ----------


def _units(name: str) -> Callable[..., QuerySet[Unit]]:
    return lambda pk: Unit.objects.filter(pk=pk).only("pk", "name").order_by()


def _pipelines(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the pipelines opened on PostgreSQL (none are opened on SQLite)."""
    opened: list[int] = []
    if connection.vendor == "postgresql":
        import psycopg

        pipeline = psycopg.Connection.pipeline

        def counted(self: Any) -> Any:
            opened.append(1)
            return pipeline(self)

        monkeypatch.setattr(psycopg.Connection, "pipeline", counted)
    return opened


def test_reads_run_together_give_the_rows_each_gives_alone(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    name, other = _name(), _name()
    units = _units(name)
    persons = lambda pk: PersonServed.objects.filter(pk=pk).only("pk", "public_id").order_by()  # noqa: E731
    # Kept on the first call of each shape: the second call's reads are the kept ones.
    for _ in range(2):
        reads: list[prepared.Pending[Any]] = [
            prepared.read_later(name, "", units, world.unit_a.pk),
            prepared.read_later(other, "", persons, world.person_b.pk),
            prepared.read_later(name, "", units, -5),
            prepared.rows_later(_name(), Unit.objects.filter(pk=world.unit_b.pk).order_by()),
        ]
        opened = _pipelines(monkeypatch)
        with CaptureQueriesContext(connection) as queries:
            found = prepared.together(reads)
        monkeypatch.undo()
        assert [[u.pk for u in found[0]], [p.public_id for p in found[1]], found[2]] == [
            [world.unit_a.pk],
            [world.person_b.public_id],
            [],
        ]
        assert [u.pk for u in found[3]] == [world.unit_b.pk]
        assert len(queries) == 4  # each read logged as Django logs a query
    # The second time the three kept reads went in one pipeline (PostgreSQL); the fourth,
    # not kept yet (a name of its own), ran alone.
    assert opened == ([1] if connection.vendor == "postgresql" else [])


def test_functions_that_read_in_steps_wait_for_one_round_per_step(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = _name()
    units = _units(name)
    prepared.read(name, "", units, world.unit_a.pk)  # kept

    @prepared.stepwise
    def two_steps(first: int, second: int) -> prepared.Steps[tuple[str, str]]:
        [a] = yield prepared.read_later(name, "", units, first)
        [[b], none] = yield [
            prepared.read_later(name, "", units, second),
            prepared.read_later(name, "", units, -1),
        ]
        assert none == []
        return a.name, b.name

    @prepared.stepwise
    def first_of_three(first: int) -> prepared.Steps[str]:
        [found], none, other = yield [
            prepared.read_later(name, "", units, first),
            prepared.read_later(name, "", units, -2),
            prepared.read_later(name, "", units, -3),
        ]
        assert none == other == []
        return str(found.name)

    a, b = world.unit_a, world.unit_b
    # Alone: its reads, step by step.
    assert two_steps(a.pk, b.pk) == (a.name, b.name)
    opened = _pipelines(monkeypatch)
    found = prepared.gather(
        {
            "one": two_steps.steps(a.pk, b.pk),
            "known": 7,
            "two": two_steps.steps(b.pk, a.pk),
            "three": first_of_three.steps(a.pk),
        }
    )
    assert found == {"one": (a.name, b.name), "known": 7, "two": (b.name, a.name), "three": a.name}
    assert list(found) == ["one", "known", "two", "three"]
    # Two rounds for the functions' steps, not one round trip per read: the first asks
    # a, b, a, -2, -3 (four reads, a once), the second b, -1, a, -1 (three).
    assert opened == ([1, 1] if connection.vendor == "postgresql" else [])
    # all_of nests: the two together are one function of two steps.
    both = prepared.run(prepared.all_of(two_steps.steps(a.pk, a.pk), two_steps.steps(b.pk, b.pk)))
    assert both == ((a.name, a.name), (b.name, b.name))


@pytest.mark.django_db(transaction=True)
def test_a_read_that_fails_in_a_pipeline_fails_alone_and_the_others_are_read(
    world: World,
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite runs reads one after the other: no pipeline")
    from django.db import ProgrammingError

    name = _name()
    units = _units(name)
    prepared.read(name, "", units, world.unit_a.pk)  # kept
    good = prepared.read_later(name, "", units, world.unit_a.pk)
    broken = prepared.read_later(name, "", units, world.unit_b.pk)
    assert broken.compiled is not None
    broken.compiled = prepared._Compiled(
        broken.compiled.compiler, "SELECT * FROM no_such_table WHERE id = %s", (), ()
    )
    with pytest.raises(ProgrammingError, match="no_such_table"):
        prepared.together([good, broken])
    # The connection is usable, and the good read alone answers.
    assert [u.pk for u in prepared.together([good])[0]] == [world.unit_a.pk]
    with transaction.atomic(), pytest.raises(ProgrammingError):
        # Inside a transaction the failure stands, as one failed read's would.
        prepared.together([good, broken])


def test_a_read_asked_twice_together_runs_once_and_each_gets_its_own_rows(
    world: World,
) -> None:
    name = _name()
    units = _units(name)
    prepared.read(name, "", units, world.unit_a.pk)  # kept
    twice = [prepared.read_later(name, "", units, world.unit_a.pk) for _ in range(2)]
    with CaptureQueriesContext(connection) as queries:
        first, second = prepared.together(twice)
    assert len(queries) == 1
    assert [u.pk for u in first] == [u.pk for u in second] == [world.unit_a.pk]
    assert first[0] is not second[0]  # each read's own instances
    # With another read beside them: two reads on the database, three answers.
    other = prepared.read_later(name, "", units, world.unit_b.pk)
    with CaptureQueriesContext(connection) as queries:
        found = prepared.together([*twice, other])
    assert len(queries) == 2
    assert [[u.pk for u in rows] for rows in found] == [
        [world.unit_a.pk],
        [world.unit_a.pk],
        [world.unit_b.pk],
    ]


# --- A kept read's rows are made as Django's iterables make them ------------------------------


def _made(obj: Any, seen: frozenset[int] = frozenset()) -> Any:
    """What Django's iterable makes of a row, to compare: the instance's class, its values
    (deferred ones left out), annotations, ``_state`` and the related records read with it."""
    if not isinstance(obj, Model):
        return obj
    if id(obj) in seen:
        return ("seen", type(obj), obj.pk)
    seen = seen | {id(obj)}
    state = obj._state
    return (
        type(obj),
        {name: value for name, value in obj.__dict__.items() if name != "_state"},
        sorted(obj.get_deferred_fields()),
        (state.db, state.adding, state.fetch_mode),
        {name: _made(related, seen) for name, related in sorted(state.fields_cache.items())},
    )


def _placements(person_id: int) -> QuerySet[Placement]:
    return (
        Placement.objects.filter(episode__person_id=person_id)
        .select_related("unit", "bed__room__unit", "episode__person")
        .only(
            "started_at",
            "ended_at",
            "unit__code",
            "unit__time_zone",
            "bed__label",
            "bed__room__name",
            "bed__room__unit__name",
            "episode__person__public_id",
            "episode__person__date_of_birth",
        )
        .annotate(unit_word=F("unit__name"), fixed=Value("x"))
        .order_by("pk")
    )


@pytest.mark.parametrize("together", [False, True])
def test_a_kept_reads_instances_are_those_djangos_iterable_makes(
    world: World, together: bool
) -> None:
    """The instances, their ``select_related`` records (nested, and none for an empty link),
    annotations, deferred fields and ``_state``, read alone or with other reads."""
    Placement.objects.filter(episode__person=world.person_b).update(bed=None)
    name = _name()
    for person in (world.person_a, world.person_b, world.person_a, world.person_b):
        read = prepared.read_later(name, "", _placements, person.pk)
        found = prepared.together([read, read])[0] if together else read.rows()
        expected = list(_placements(person.pk))
        assert expected
        assert [_made(p) for p in found] == [_made(p) for p in expected]
    assert expected[0].bed is None
    (kept,) = [v for k, v in prepared._READS.items() if k[0] == name]
    assert kept.compiled[connection.alias] is not None


def test_a_kept_reads_tuples_and_values_are_those_django_gives(world: World) -> None:
    """Values converted from the database's (a public id, a moment, a flag) as Django's
    ``values_list`` gives them, as tuples or single values."""
    name, flat = _name(), _name()

    def build(pk: int) -> QuerySet[Placement, tuple[Any, ...]]:
        return (
            Placement.objects.filter(episode__person_id=pk)
            .values_list("public_id", "started_at", "unit__is_substance_use_program", "bed_id")
            .order_by("pk")
        )

    def build_flat(pk: int) -> QuerySet[Placement, Any]:
        return build(pk).values_list("public_id", flat=True)

    for person in (world.person_a, world.person_b, world.person_a):
        found = prepared.read(name, "", build, person.pk)
        assert found == list(build(person.pk))
        assert all(type(row) is tuple for row in found)
        assert prepared.read(flat, "", build_flat, person.pk) == list(build_flat(person.pk))


def test_a_kept_read_tracks_peers_per_run_as_django_does(world: World) -> None:
    """A fetch mode that tracks the instances read together (``FETCH_PEERS``): each run's
    instances, and their ``select_related`` records, are peers of that run's alone."""
    name = _name()

    def build(pks: list[int]) -> QuerySet[Placement]:
        return (
            Placement.objects.filter(episode__person_id__in=pks)
            .select_related("unit")
            .fetch_mode(FETCH_PEERS)
            .order_by("pk")
        )

    both = [world.person_a.pk, world.person_b.pk]
    runs = [prepared.read(name, "", build, both) for _ in range(3)]
    expected = list(build(both))
    for found in runs:
        assert [_made(p) for p in found] == [_made(p) for p in expected]
        assert [len(p._state.peers) for p in found] == [2, 2]
        assert [len(p.unit._state.peers) for p in found] == [2, 2]
        assert [peer() for peer in found[0]._state.peers] == found
        assert [peer() for peer in found[0].unit._state.peers] == [p.unit for p in found]
    assert runs[1][0]._state.peers is not runs[2][0]._state.peers
    assert runs[1][0].unit._state.peers is not runs[2][0].unit._state.peers


def test_a_read_of_a_records_related_rows_knows_the_record_as_django_does(world: World) -> None:
    name = _name()
    unit = Unit.objects.get(pk=world.unit_a.pk)
    for _ in range(2):
        found = prepared.rows(name, unit.placements.order_by("pk"))
        assert found
        assert all(p.unit is unit for p in found)
        assert [_made(p) for p in found] == [_made(p) for p in unit.placements.order_by("pk")]
