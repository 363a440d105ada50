"""The one read route every area has of a person's own records (their consents, plan versions,
goals, assessments, observation orders): the person found for the caller (404 out of scope,
403 not allowed; the read audited by ``get_person_for``), the rows the area's selector gives,
each read by the area's output schema at one moment."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any
from uuid import UUID

from django.http import HttpRequest
from ninja import Router, Status

from pillars.core import clock
from pillars.core.api_errors import READ_ERRORS
from pillars.core.api_routes import add_route, on_record
from pillars.people import selectors
from pillars.people.models import PersonServed


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
    """Add ``GET path`` to ``router``: the person's ``rows(person, user)`` as a list of ``out``
    (an ``Out`` schema, given ``now``), named ``name`` in ``out``'s module."""

    def handler(request: HttpRequest, public_id: UUID) -> Any:
        person = selectors.get_person_for(request.user, public_id, action, what=what)
        now = clock.now()
        return Status(200, [out.of(row, now=now) for row in rows(person, request.user)])

    add_route(
        router,
        "get",
        path,
        handler,
        name=name,
        module=out.__module__,
        params=on_record(),
        out=list[out],
        status=200,
        errors=READ_ERRORS,
        summary=summary,
        audit=audit,
        replay_safe=False,
    )
