"""Routes made from a table: one handler body serving several routes of the JSON API.

Where routes differ only in their data (path, payload, permission, service, words), a module
writes the body once and adds a route per row with ``add_route``. A hand-written write handler
takes its route and its declarations from ``write_route``; a write on one record that is its
service called with the body's fields is added with ``record_write``. Each route keeps what a
hand-written handler would give it: its own name and module (so its OpenAPI operation id, and
the URL name, stay the router's own), its parameters' types (read from ``params``), its audit
declaration and, for a write, its replay safety (``idempotent``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from django.http import HttpRequest
from ninja import Router, Schema, Status

from pillars.audit import log as audit_log
from pillars.core import clock
from pillars.core.api_errors import READ_ERRORS, WRITE_ERRORS
from pillars.core.declare import audited
from pillars.core.idempotency import idempotent


def audited_write[F: Callable[..., Any]](what: str) -> Callable[[F], F]:
    """Declare a write handler audited (``what``, as ``audited`` does) and make it replay-safe
    by its ``Idempotency-Key`` header or its body's ``client_id`` (``idempotent``)."""

    def declare(handler: F) -> F:
        return audited(what)(idempotent(handler))

    return declare


def write_route[F: Callable[..., Any]](
    route: Callable[..., Callable[[F], F]],
    path: str,
    status: int,
    out: Any,
    *,
    summary: str,
    audit: str,
    **more: Any,
) -> Callable[[F], F]:
    """The declarations every hand-written write handler stacks, in their order: ``route``
    (``router.post``, ``router.patch``) at ``path``, answering ``status`` with ``out`` or one
    of the write errors (``WRITE_ERRORS``); audited as ``audit`` says and replay-safe
    (``audited_write``). ``more`` goes to the route as it is (a ``description``)."""

    def declare(handler: F) -> F:
        declared = audited_write(audit)(handler)
        return route(path, response={status: out, **WRITE_ERRORS}, summary=summary, **more)(
            declared
        )

    return declare


def add_route(
    router: Router,
    method: str,
    path: str,
    handler: Callable[..., Any],
    *,
    name: str,
    module: str,
    params: dict[str, Any],
    out: Any,
    status: int,
    errors: dict[int, Any],
    summary: str,
    audit: str,
    replay_safe: bool = True,
) -> None:
    """Add ``handler`` to ``router`` as ``method path``, named ``name`` in ``module``, taking
    the request and ``params`` (name to type) and answering ``status`` with ``out``."""
    handler.__name__ = name
    handler.__qualname__ = name
    handler.__module__ = module
    handler.__annotations__ = {"request": HttpRequest, **params, "return": Status[out]}
    declare = audited_write(audit) if replay_safe else audited(audit)
    route = getattr(router, method)
    route(path, response={status: out, **errors}, summary=summary)(declare(handler))


def on_record(payload: type[Any] | None = None) -> dict[str, Any]:
    """The parameters of a route on one record: its public id, and the body when it has one."""
    params: dict[str, Any] = {"public_id": UUID}
    if payload is not None:
        params["payload"] = payload
    return params


def read_route(
    router: Router,
    path: str,
    out: Any,
    answer: Callable[[Any, UUID], Any],
    *,
    name: str,
    module: str,
    summary: str,
    audit: str,
) -> None:
    """Add ``GET path`` on one record to ``router``, named ``name`` in ``module``: 200 with
    ``answer(user, public_id)`` as ``out``."""

    def handler(request: HttpRequest, public_id: UUID) -> Any:
        # The record's audited read and the Part 2 disclosures it makes (records read under a
        # consent or an emergency grant) are logged together, before the answer leaves.
        with audit_log.together():
            found = answer(request.user, public_id)
        return Status(200, found)

    add_route(
        router,
        "get",
        path,
        handler,
        name=name,
        module=module,
        params=on_record(),
        out=out,
        status=200,
        errors=READ_ERRORS,
        summary=summary,
        audit=audit,
        replay_safe=False,
    )


def record_read(
    router: Router,
    path: str,
    out: Any,
    find: Callable[[Any, UUID], Any],
    *,
    name: str,
    summary: str,
    audit: str,
) -> None:
    """Add ``GET path`` to ``router``: the one record ``find(user, public_id)`` gives (404 out
    of scope, 403 not allowed; the read audited by ``find``), read by ``out`` (an ``Out`` schema,
    given ``now``), named ``name`` in ``out``'s module."""

    def answer(user: Any, public_id: UUID) -> Any:
        return out.of(find(user, public_id), now=clock.now())

    read_route(
        router, path, out, answer, name=name, module=out.__module__, summary=summary, audit=audit
    )


def record_write(
    router: Router,
    path: str,
    out: Any,
    find: Callable[[Any, UUID, str], Any],
    action: str,
    write: Callable[..., Any],
    *,
    name: str,
    summary: str,
    audit: str,
    payload: type[Schema] | None = None,
) -> None:
    """Add ``POST path`` on one record to ``router``: the record ``find(user, public_id,
    action)`` gives (404 out of scope, 403 not allowed) is written by ``write(record,
    actor=user, **fields)``, the fields being those of the body (``payload``, when the route
    takes one) but its ``client_id``; what the write returns, read by ``out`` (an ``Out``
    schema, given ``now``), answers 200. Named ``name`` in ``out``'s module, audited as
    ``audit`` says and replay-safe."""

    def answer(request: HttpRequest, public_id: UUID, fields: dict[str, Any]) -> Any:
        written = write(find(request.user, public_id, action), actor=request.user, **fields)
        return Status(200, out.of(written, now=clock.now()))

    def handler(request: HttpRequest, public_id: UUID) -> Any:
        return answer(request, public_id, {})

    def handler_with_body(request: HttpRequest, public_id: UUID, payload: Schema) -> Any:
        return answer(request, public_id, payload.model_dump(exclude={"client_id"}))

    add_route(
        router,
        "post",
        path,
        handler if payload is None else handler_with_body,
        name=name,
        module=out.__module__,
        params=on_record(payload),
        out=out,
        status=200,
        errors=WRITE_ERRORS,
        summary=summary,
        audit=audit,
    )
