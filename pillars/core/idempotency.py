"""Idempotent device writes (DESIGN.md rule 7).

A tablet on a flaky connection sends a write, loses the answer, and sends it again. With a
client-generated key, the second send returns the first answer instead of writing twice:

* the key comes from the ``Idempotency-Key`` header or a ``client_id`` field of the body (a UUID);
* the first successful answer (status and JSON body) is stored in the same transaction as the
  write, so the record exists exactly when the write does;
* a replay with the same key and the same request returns the stored answer, marked with
  ``Idempotent-Replayed: true``; the same key with another body (or on another route) is a client
  bug and answers 409; a key that is not a UUID answers 422.

Refusals and bad input are not stored (their transaction rolls back), so a replay of those is
simply tried again. Use it on any ninja handler that writes::

    @router.post("/persons", response={201: PersonOut, **error_responses(...)})
    @audited("creates a person served")
    @idempotent
    def create_person(request, payload: PersonIn) -> Status[PersonOut]: ...

The handler must return a schema instance (or ``Status(code, schema instance)``): the stored body is
exactly what the schema renders, so a replay answers byte for byte what the first call did.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any, cast
from uuid import UUID

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from ninja.params.functions import Header
from ninja.responses import Status
from ninja.utils import contribute_operation_args
from pydantic import BaseModel

from pillars.audit import log as audit
from pillars.core import clock, prepared
from pillars.core.errors import Conflict, invalid
from pillars.core.models import IdempotencyRecord

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
BODY_FIELD = "client_id"
_ARG = "idempotency_key"

HEADER_DESCRIPTION = (
    "A UUID the client makes for this write. Sending the same write again with the same key "
    "returns the first answer (with Idempotent-Replayed: true); the same key with another body "
    "is refused with 409. A client_id field in the body works the same way."
)


def _body_key(kwargs: dict[str, Any]) -> UUID | None:
    for value in kwargs.values():
        if isinstance(value, BaseModel):
            key = getattr(value, BODY_FIELD, None)
            if key is not None:
                return key if isinstance(key, UUID) else UUID(str(key))
    return None


def _parse_header(raw: UUID | str | None) -> UUID | None:
    if raw is None or raw == "":
        return None
    if isinstance(raw, UUID):
        return raw
    try:
        return UUID(raw.strip())
    except ValueError:
        raise invalid(HEADER, "The Idempotency-Key must be a UUID.") from None


def request_key(header: UUID | str | None, kwargs: dict[str, Any]) -> UUID | None:
    """The write's key from the header or the body; both present must agree."""
    from_header = _parse_header(header)
    from_body = _body_key(kwargs)
    if from_header and from_body and from_header != from_body:
        raise invalid(HEADER, "The Idempotency-Key header and client_id differ; send one key.")
    return from_header or from_body


def request_hash(kwargs: dict[str, Any]) -> str:
    """SHA-256 of the request's parsed arguments in canonical JSON (key order, spacing)."""
    plain = {
        name: value.model_dump(mode="json", exclude_unset=True)
        if isinstance(value, BaseModel)
        else value
        for name, value in kwargs.items()
    }
    text = json.dumps(plain, cls=DjangoJSONEncoder, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _render(result: Any) -> tuple[int, Any]:
    status = 200
    if isinstance(result, Status):
        status, result = result.status_code, result.value
    elif isinstance(result, tuple):
        status, result = result
    if not isinstance(result, BaseModel):
        raise TypeError("an idempotent handler must return a schema instance")
    return int(status), result.model_dump(mode="json", by_alias=True)


def _response(status: int, body: Any, *, replayed: bool) -> HttpResponse:
    response = HttpResponse(
        json.dumps(body, cls=DjangoJSONEncoder), status=status, content_type="application/json"
    )
    if replayed:
        response[REPLAYED_HEADER] = "true"
    return response


def _replay(record: IdempotencyRecord, method: str, route: str, digest: str) -> HttpResponse:
    if not record.matches(method, route, digest):
        raise Conflict(
            "This Idempotency-Key was already used for a different request. "
            "Make a new key for each new write."
        )
    return _response(record.response_status, record.response_body, replayed=True)


def _user_of(request: HttpRequest) -> Any:
    token = getattr(request, "auth", None)
    return getattr(token, "user", None) or request.user


def _lookup(user: Any, key: UUID) -> IdempotencyRecord | None:
    return prepared.one("stored answer", IdempotencyRecord.objects.filter(user=user, key=key))


def run_once(
    request: HttpRequest, key: UUID | None, digest: str, write: Callable[[], Any]
) -> HttpResponse:
    """Run ``write`` once per (user, key); its rendered answer is stored with it."""
    if key is None:
        status, body = _render(write())
        return _response(status, body, replayed=False)
    user = _user_of(request)
    method, route = request.method or "", request.path
    existing = _lookup(user, key)
    if existing is not None:
        return _replay(existing, method, route, digest)
    try:
        # A refusal (404/403) rolls this transaction back; its audit event must survive that.
        with audit.keeping_durable_events(), transaction.atomic():
            status, body = _render(write())
            IdempotencyRecord.objects.create(
                key=key,
                user=user,
                method=method,
                route=route[:300],
                request_hash=digest,
                response_status=status,
                response_body=body,
                created_at=clock.now(),
            )
    except IntegrityError:
        # Two sends of one key raced: the other committed first, and our write rolled back with
        # our record. Answer as the replay we turned out to be.
        winner = _lookup(user, key)
        if winner is None:
            raise
        return _replay(winner, method, route, digest)
    return _response(status, body, replayed=False)


def idempotent[F: Callable[..., Any]](handler: F) -> F:
    """Make a ninja write handler idempotent by Idempotency-Key header or body client_id."""
    signature = inspect.signature(handler, eval_str=True)

    @functools.wraps(handler)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        header = kwargs.pop(_ARG, None)
        key = request_key(header, kwargs)
        return run_once(
            request, key, request_hash(kwargs), lambda: handler(request, *args, **kwargs)
        )

    # Ninja reads the handler's parameters from the signature; give it the resolved one so that
    # string annotations are looked up in the handler's module, not in this one.
    wrapper.__signature__ = signature  # type: ignore[attr-defined]
    wrapper.is_idempotent = True  # type: ignore[attr-defined]
    contribute_operation_args(
        wrapper,
        _ARG,
        cast(Any, UUID | None),
        Header(None, alias=HEADER, description=HEADER_DESCRIPTION),
    )
    return wrapper  # type: ignore[return-value]


__all__ = [
    "HEADER",
    "REPLAYED_HEADER",
    "idempotent",
    "prune",
    "request_hash",
    "request_key",
    "run_once",
]


KEEP_DAYS = 30  # a device retries within minutes or hours; a month is ample


def prune(*, older_than_days: int = KEEP_DAYS) -> int:
    """Delete stored first answers older than the replay window; returns how many went.

    These are technical records of replies, not clinical records: their writes' own rows and
    audit events stay. A replay after the window is answered as a new request."""
    if older_than_days < 1:
        raise invalid("older_than_days", "Keep at least one day of replies.")
    cutoff = clock.now() - timedelta(days=older_than_days)
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted
