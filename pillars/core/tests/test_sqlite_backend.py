"""The SQLite backend (pillars.core.sqlite): Django's, with each query text's placeholders
rewritten once. What it runs must be exactly what Django's own rewriting gives."""

from __future__ import annotations

import sqlite3

import pytest
from django.db import connection, connections
from django.db.backends.sqlite3.base import SQLiteCursorWrapper

from pillars.core.sqlite import base

QUERIES = [
    "SELECT %s",
    "SELECT 'a%%b' || %s, %s",
    "SELECT '%%s' || %s",
    "SELECT 1 WHERE 'x' LIKE '%%x%%'",
    "SELECT COUNT(*) FROM t WHERE a IN (%s, %s, %s)",
    "",
]


@pytest.mark.parametrize("query", QUERIES)
def test_the_kept_rewrite_is_djangos(query: str) -> None:
    memory = sqlite3.connect(":memory:")
    ours = memory.cursor(factory=base.CursorWrapper)
    django = memory.cursor(factory=SQLiteCursorWrapper)
    for _ in range(2):  # the second is answered from what was kept
        assert ours.convert_query(query) == django.convert_query(query)
    names = ["first", "second"]
    assert ours.convert_query("SELECT %(first)s, %(second)s", param_names=names) == (
        django.convert_query("SELECT %(first)s, %(second)s", param_names=names)
    )


def test_the_same_text_is_rewritten_once() -> None:
    base._qmark.cache_clear()
    memory = sqlite3.connect(":memory:")
    cursor = memory.cursor(factory=base.CursorWrapper)
    for value in range(5):
        cursor.execute("SELECT %s + 1, '%%'", [value])
        assert cursor.fetchone() == (value + 1, "%")
    info = base._qmark.cache_info()
    assert (info.misses, info.hits) == (1, 4)


@pytest.mark.django_db
def test_the_sqlite_database_runs_on_this_backend() -> None:
    if connection.vendor != "sqlite":
        pytest.skip("the suite runs on PostgreSQL here")
    assert isinstance(connections["default"], base.DatabaseWrapper)
    with connection.cursor() as cursor:
        cursor.execute("SELECT %s || '%%'", ["a"])
        assert cursor.fetchone() == ("a%",)
