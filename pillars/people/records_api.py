"""The one read route every area has of a person's own records (their consents, plan versions,
goals, assessments, observation orders) or of a unit's (its handoffs, inspections, open orders,
shift): the person or unit found for the caller (404 out of scope, 403 not allowed; a person's
read audited by ``get_person_for``), the rows the area's selector gives, each read by the area's
output schema at one moment."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any
from uuid import UUID

from ninja import Router

from pillars.core import clock
from pillars.core.api_routes import read_route
from pillars.people import selectors
from pillars.people.models import PersonServed, Unit


def owner_records[O](
    router: Router,
    path: str,
    out: Any,
    find: Callable[[Any, UUID], O],
    rows: Callable[[O, Any], Iterable[Any]],
    *,
    name: str,
    summary: str,
    audit: str,
) -> None:
    """Add ``GET path`` to ``router``: the records' owner ``find(user, public_id)`` gives, its
    ``rows(owner, user)`` as a list of ``out`` (an ``Out`` schema, given ``now``), named
    ``name`` in ``out``'s module."""

    def answer(user: Any, public_id: UUID) -> list[Any]:
        owner = find(user, public_id)
        now = clock.now()
        return [out.of(row, now=now) for row in rows(owner, user)]

    read_route(
        router,
        path,
        list[out],
        answer,
        name=name,
        module=out.__module__,
        summary=summary,
        audit=audit,
    )


def person_records(
    router: Router,
    path: str,
    out: Any,
    rows: Callable[[PersonServed, Any], Iterable[Any]],
    *,
    name: str,
    action: str,
    what: str,
    summary: str,
    audit: str,
) -> None:
    """``owner_records`` of the person ``get_person_for`` finds for ``action`` (and audits)."""

    def find(user: Any, public_id: UUID) -> PersonServed:
        return selectors.get_person_for(user, public_id, action, what=what)

    owner_records(router, path, out, find, rows, name=name, summary=summary, audit=audit)


def unit_records(
    router: Router,
    path: str,
    out: Any,
    rows: Callable[[Any, Unit], Iterable[Any]],
    *,
    name: str,
    action: str,
    summary: str,
    audit: str,
) -> None:
    """``owner_records`` of the unit ``get_unit_for`` finds for ``action``; ``rows(user, unit)``
    in the order of the areas' ``*_on(user, unit)`` selectors."""

    def find(user: Any, public_id: UUID) -> Unit:
        return selectors.get_unit_for(user, public_id, action)

    def unit_rows(unit: Unit, user: Any) -> Iterable[Any]:
        return rows(user, unit)

    owner_records(router, path, out, find, unit_rows, name=name, summary=summary, audit=audit)
