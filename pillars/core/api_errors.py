"""Errors on the API, as RFC 9457 problem details (``application/problem+json``).

Every refusal the services and the policy layer raise is turned into one shape here, so a client
handles them all alike: ``type``, ``title``, ``status``, ``detail``, plus ``errors`` (field name to
messages) for bad input and ``locked_until`` for a lockout. Unexpected errors answer 500 in the
same shape without any internals; the traceback goes to the log only.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, Throttled
from ninja.errors import ValidationError as NinjaValidationError
from pydantic import ValidationError as PydanticValidationError

from pillars.core.api_auth import LockedOut
from pillars.core.errors import Conflict

logger = logging.getLogger("pillars.api")

PROBLEM_CONTENT_TYPE = "application/problem+json"
NON_FIELD = "__all__"

TITLES = {
    400: "Bad request",
    401: "Not signed in",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    422: "Invalid input",
    429: "Too many requests",
    500: "Server error",
}


class Problem(Schema):
    """An error answer (RFC 9457 problem details)."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str = ""
    errors: dict[str, list[str]] | None = None
    locked_until: str | None = None


def problem(
    status: int,
    detail: str = "",
    *,
    title: str | None = None,
    errors: dict[str, list[str]] | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> HttpResponse:
    """A problem+json response."""
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title or TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
    }
    if errors is not None:
        body["errors"] = errors
    body.update(extra)
    response = HttpResponse(
        json.dumps(body, cls=DjangoJSONEncoder), status=status, content_type=PROBLEM_CONTENT_TYPE
    )
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def field_errors(exc: DjangoValidationError) -> dict[str, list[str]]:
    """A Django ValidationError as field name -> messages (``__all__`` for the whole request)."""
    if hasattr(exc, "error_dict"):
        return {
            (name or NON_FIELD): [str(m) for m in DjangoValidationError(messages).messages]
            for name, messages in exc.error_dict.items()
        }
    return {NON_FIELD: [str(m) for m in exc.messages]}


def _summary(errors: dict[str, list[str]]) -> str:
    first = next(iter(errors.values()), [])
    return first[0] if first else "The request is not valid."


def _on_validation(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
    errors = field_errors(exc)
    return problem(422, _summary(errors), errors=errors)


def _ninja_location(loc: Any) -> str:
    """``("body", "payload", "date_of_birth")`` -> ``date_of_birth``; query and header names too.

    A list item keeps its index (``checks.3.location``): a tablet syncing a queue must know which
    queued item was refused, to set that one aside while the rest are sent (issue 11, item 12).
    """
    parts = [str(p) for p in (loc or ())]
    if parts and parts[0] in {"body", "query", "path", "header", "cookie", "form", "file"}:
        parts = parts[1:]
    if len(parts) > 1 and parts[0] in {"payload", "params", "page"}:
        parts = parts[1:]
    return ".".join(parts) or NON_FIELD


def schema_errors(exc: PydanticValidationError) -> dict[str, list[str]]:
    """A schema's refusal outside ninja (a session view validating JSON with an API schema),
    named as the API names it (``checks.3.location``)."""
    errors: dict[str, list[str]] = {}
    for item in exc.errors():
        errors.setdefault(_ninja_location(item.get("loc")), []).append(str(item.get("msg")))
    return errors


def _on_ninja_validation(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    errors: dict[str, list[str]] = {}
    for item in exc.errors:
        errors.setdefault(_ninja_location(item.get("loc")), []).append(
            str(item.get("msg", "Not valid."))
        )
    return problem(422, _summary(errors), errors=errors)


def _on_404(request: HttpRequest, exc: Exception) -> HttpResponse:
    # Never say why: out of scope and absent must look the same (DESIGN.md rule 5).
    return problem(404, "There is no such record, or it is not yours to see.")


def _on_permission(request: HttpRequest, exc: Exception) -> HttpResponse:
    return problem(403, "You do not have permission to do that.")


def _on_conflict(request: HttpRequest, exc: Conflict) -> HttpResponse:
    return problem(409, exc.message)


def _on_authentication(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    # Ninja's own refusal (no or bad token) says only "Unauthorized"; ours explain themselves.
    detail = exc.message if exc.message and exc.message != "Unauthorized" else ""
    return problem(
        401,
        detail or "Send a valid API token: Authorization: Bearer <token>.",
        headers={"WWW-Authenticate": 'Bearer realm="pillars"'},
    )


def _on_throttled(request: HttpRequest, exc: Throttled) -> HttpResponse:
    headers = {"Retry-After": str(exc.wait)} if exc.wait else {}
    return problem(429, "Too many requests. Wait a moment and try again.", headers=headers)


def _on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    # Ninja raises HttpError(400) for a body that is not JSON, for example.
    status = exc.status_code if exc.status_code in TITLES else 400
    return problem(status, str(exc))


def _on_unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.exception("API error on %s %s", request.method, request.path)
    return problem(500, "Something went wrong on our side. It has been logged; try again later.")


def _on_locked_out(request: HttpRequest, exc: Exception) -> HttpResponse:
    from pillars.core.views import locked_out

    # The same answer axes' middleware gives a locked-out sign-in on every path.
    return locked_out(request)


def install(api: NinjaAPI) -> None:
    """Answer every error on ``api`` as problem+json."""
    handlers: list[tuple[type[Exception], Callable[[HttpRequest, Any], HttpResponse]]] = [
        (Exception, _on_unexpected),
        (DjangoValidationError, _on_validation),
        (NinjaValidationError, _on_ninja_validation),
        (Http404, _on_404),
        (PermissionDenied, _on_permission),
        (Conflict, _on_conflict),
        (HttpError, _on_http_error),
        (AuthenticationError, _on_authentication),
        (Throttled, _on_throttled),
        (LockedOut, _on_locked_out),
    ]
    for exc_class, handler in handlers:
        api.add_exception_handler(exc_class, handler)


def error_responses(*statuses: int) -> dict[int, type[Problem]]:
    """The ``response=`` entries documenting error answers, for the OpenAPI schema."""
    return dict.fromkeys(statuses, Problem)


# What most routes document: a read (no token, not allowed, no such record) and a write (also a
# conflict and input refused).
READ_ERRORS = error_responses(401, 403, 404)
WRITE_ERRORS = error_responses(401, 403, 404, 409, 422)


__all__ = [
    "PROBLEM_CONTENT_TYPE",
    "READ_ERRORS",
    "WRITE_ERRORS",
    "Problem",
    "error_responses",
    "field_errors",
    "install",
    "problem",
]
