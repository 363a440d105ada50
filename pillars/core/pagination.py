"""Cursor (keyset) pagination for API lists.

A cursor names the last row of the previous page by its sort values and public id, so a page
costs the same query whatever its depth, and rows added meanwhile neither repeat nor vanish (as
offsets would make them). The cursor is opaque to clients: signed JSON, base64, so a tampered or
foreign cursor is refused as bad input instead of being run. The tie-breaker is the public id
(unique), not the integer key, which never leaves the server.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from django.core import signing
from django.db.models import Model, Q, QuerySet
from ninja import Field, Schema

from pillars.core.errors import invalid

DEFAULT_LIMIT = 50
MAX_LIMIT = 100
_SALT = "pillars.core.pagination"


class PageParams(Schema):
    """``?cursor=&limit=`` on every paginated list."""

    cursor: str | None = Field(None, description="The next_cursor of the previous page.")
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Rows per page (1-100).")


@dataclass(frozen=True)
class Page[M: Model]:
    items: list[M]
    next_cursor: str | None


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    return value


def _salt(queryset: QuerySet[Any], fields: Sequence[str]) -> str:
    """A cursor is signed for its own list (its model and sort fields): another list's cursor of
    the same length would otherwise be read as this one's values (a name as a moment) or start
    this list at a foreign row."""
    return f"{_SALT}:{queryset.model._meta.label}:{','.join(fields)}"


def _encode(values: Sequence[Any], salt: str) -> str:
    return signing.dumps([_plain(v) for v in values], salt=salt, compress=False)


def _decode(cursor: str, arity: int, salt: str) -> list[Any]:
    try:
        values = signing.loads(cursor, salt=salt)
    except signing.BadSignature:
        raise invalid(
            "cursor", "This cursor is not valid; start again from the first page."
        ) from None
    if not isinstance(values, list) or len(values) != arity:
        raise invalid("cursor", "This cursor belongs to another list; start again.")
    return values


def _after(fields: Sequence[str], values: Sequence[Any]) -> Q:
    """Rows strictly after ``values`` in ascending (fields...) order: a lexicographic keyset."""
    condition = Q(pk__in=[])
    for n, name in enumerate(fields):
        step = Q(**{f"{name}__gt": values[n]})
        for earlier, value in zip(fields[:n], values[:n], strict=True):
            step &= Q(**{earlier: value})
        condition |= step
    return condition


def paginate[M: Model](
    queryset: QuerySet[M], params: PageParams, *, order: Sequence[str] = ()
) -> Page[M]:
    """One page of ``queryset`` ordered by ``order`` (ascending, non-null fields) then public id.

    Runs one query: it fetches one row more than the page to learn whether another page follows.
    """
    if any(name.startswith("-") for name in order):
        # The cursor compares "after" the last row: a descending field would page wrongly (and
        # fail on the second page). Say so on the first call.
        raise ValueError(f"paginate orders ascending only, not {list(order)}")
    fields = [*order, "public_id"]
    qs = queryset.order_by(*fields)
    salt = _salt(queryset, fields)
    if params.cursor:
        qs = qs.filter(_after(fields, _decode(params.cursor, len(fields), salt)))
    rows = list(qs[: params.limit + 1])
    items = rows[: params.limit]
    next_cursor = None
    if len(rows) > params.limit:
        last = items[-1]
        next_cursor = _encode([_attr(last, name) for name in fields], salt)
    return Page(items=items, next_cursor=next_cursor)


def _attr(obj: Any, path: str) -> Any:
    for part in path.split("__"):
        obj = getattr(obj, part)
    return obj


__all__ = ["DEFAULT_LIMIT", "MAX_LIMIT", "Page", "PageParams", "paginate"]
