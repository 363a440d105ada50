"""Django's SQLite backend (``DATABASE_URL=sqlite://...`` selects it), with one change: a query's
``%s`` placeholders are turned into SQLite's ``?`` once per query text, not on every run.

Django rewrites the placeholders with a regular expression each time a query runs; for the
reads a page makes (a few thousand characters of SQL each) that rewrite cost about as much as
SQLite took to answer. The queries a process runs are the same few hundred texts over and over
(their values travel apart), so the rewritten texts are kept, a bounded number of them."""

from __future__ import annotations

import functools
from typing import Any

from django.db.backends.sqlite3 import base


@functools.lru_cache(maxsize=4096)
def _qmark(query: str) -> str:
    return base.FORMAT_QMARK_REGEX.sub("?", query).replace("%%", "%")


class CursorWrapper(base.SQLiteCursorWrapper):
    def convert_query(self, query: str, *, param_names: Any = None) -> str:
        if param_names is None:
            return _qmark(query)
        return str(super().convert_query(query, param_names=param_names))


class DatabaseWrapper(base.DatabaseWrapper):
    def create_cursor(self, name: Any = None) -> CursorWrapper:
        return self.connection.cursor(factory=CursorWrapper)
