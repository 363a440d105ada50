"""The FHIR Bulk Data ``$export`` endpoints (Bulk Data Access IG, STU 3).

Signed in only by an API bearer token (``core.api_auth``), as the JSON API: a browser session
cookie is ignored, so nothing here can be triggered across sites (the views are CSRF-exempt for
that reason alone). Errors answer a FHIR OperationOutcome (``application/fhir+json``).

- ``GET /fhir/$export``, ``/fhir/Patient/$export``, ``/fhir/Group/<id>/$export``: kick-off; needs
  ``Accept: application/fhir+json`` and ``Prefer: respond-async``; 202 with Content-Location.
- ``GET /fhir/$export-status/<job>``: 202 with X-Progress and Retry-After while running (429 if
  polled faster), 200 with the manifest and Expires when done, 500 with an OperationOutcome if
  it failed. ``DELETE`` cancels (202); the URL then answers 404.
- ``GET /fhir/$export-files/<job>/<Type>.ndjson``: one file, ``application/fhir+ndjson``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from uuid import UUID

from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.urls import reverse
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.http import http_date
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from pillars.core import clock, exports, tokens
from pillars.core.api_auth import token_sign_in
from pillars.core.declare import audited
from pillars.core.routes import Routes
from pillars.insights.fhir import export, mappers, reading, services
from pillars.insights.fhir.context import instant
from pillars.insights.fhir.models import ExportJob

route = Routes()

FHIR_JSON = "application/fhir+json"
Status = ExportJob.Status


def outcome(status: int, text: str, code: str = "processing", **headers: str) -> HttpResponse:
    severity = "information" if status < 400 else "error"
    body = {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": severity, "code": code, "diagnostics": text}],
    }
    response = HttpResponse(json.dumps(body), status=status, content_type=FHIR_JSON)
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


class BadRequest(Exception):
    pass


def _bearer(request: HttpRequest) -> Any:
    """The token's user, or None (no token, or one refused)."""
    header = request.headers.get("Authorization", "")
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        return None
    token = tokens.authenticate_token(secret.strip())
    if token is None or token_sign_in(request, token) is None:
        return None
    return request.user


def fhir_view(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Bearer sign-in, and the policy layer's 404/403 as OperationOutcomes."""

    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        user = _bearer(request)
        if user is None:
            return outcome(
                401,
                "Send an API token: Authorization: Bearer <token>.",
                "login",
                WWW_Authenticate='Bearer realm="pillars"',
            )
        try:
            return view(request, user, *args, **kwargs)
        except Http404:
            return outcome(404, "Not found.", "not-found")
        except PermissionDenied:
            return outcome(403, "You do not have permission to do that.", "forbidden")
        except BadRequest as error:
            return outcome(400, str(error), "invalid")

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


def _parse(
    request: HttpRequest, level: str, group_kind: str = "", group_id: UUID | None = None
) -> services.Request:
    accept = request.headers.get("Accept", "")
    if FHIR_JSON not in accept:
        raise BadRequest("Send Accept: application/fhir+json.")
    if "respond-async" not in request.headers.get("Prefer", ""):
        raise BadRequest("Send Prefer: respond-async: the export runs asynchronously.")
    fmt = request.GET.get("_outputFormat", "")
    if fmt and fmt not in export.OUTPUT_FORMATS:
        raise BadRequest(
            f"_outputFormat {fmt!r} is not supported; use one of: "
            + ", ".join(export.OUTPUT_FORMATS)
        )
    since = None
    raw_since = request.GET.get("_since", "")
    if raw_since:
        try:
            since = parse_datetime(raw_since.replace(" ", "+"))
            dated = parse_date(raw_since)
        except ValueError:  # well formed, impossible (month 13)
            since = dated = None
        if since is None and dated is None:
            raise BadRequest("_since must be a FHIR instant, such as 2026-01-31T08:00:00Z.")
        if since is None or since.tzinfo is None:
            raise BadRequest("_since must carry its time zone, such as 2026-01-31T08:00:00Z.")
        try:
            since = clock.storable(since)
        except ValueError as error:
            raise BadRequest(f"_since: {error}") from None
    types: list[str] = []
    for value in request.GET.getlist("_type"):
        types.extend(t.strip() for t in value.split(",") if t.strip())
    unknown = sorted(set(types) - set(mappers.SOURCES))
    if unknown:
        raise BadRequest(
            f"_type names types this server does not export: {', '.join(unknown)}. "
            f"It exports: {', '.join(mappers.SOURCES)}."
        )
    if request.GET.get("_typeFilter"):
        raise BadRequest("_typeFilter is not supported.")
    return services.Request(
        level=level,
        url=request.build_absolute_uri(),
        group_kind=group_kind,
        group_id=group_id,
        since=since,
        types=tuple(dict.fromkeys(types)),
    )


def _accepted(request: HttpRequest, job: ExportJob) -> HttpResponse:
    location = request.build_absolute_uri(reverse("fhir:export-status", args=[job.public_id]))
    return outcome(
        202,
        "The export has started; poll the Content-Location URL for its status.",
        "informational",
        Content_Location=location,
    )


def kick_off_view(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """The door every kick-off shares: audited by ``services.kick_off``, CSRF-exempt (a bearer
    token only), never cached, GET only, behind the FHIR sign-in (``fhir_view``)."""
    return audited("kick-off: queuing an export is audited (services.kick_off)")(
        csrf_exempt(never_cache(require_GET(fhir_view(view))))
    )


@route("$export", name="export")
@kick_off_view
def system_export(request: HttpRequest, user: Any) -> HttpResponse:
    """Everything the requester may see."""
    services.may_export(user)
    parsed = _parse(request, ExportJob.Level.SYSTEM)
    return _accepted(request, services.kick_off(user, parsed))


@route("Patient/$export", name="patient-export")
@kick_off_view
def patient_export(request: HttpRequest, user: Any) -> HttpResponse:
    """Every person served the requester may see, with the resources about them."""
    services.may_export(user)
    parsed = _parse(request, ExportJob.Level.PATIENT)
    return _accepted(request, services.kick_off(user, parsed))


@route("Group/<uuid:group_id>/$export", name="group-export")
@kick_off_view
def group_export(request: HttpRequest, user: Any, group_id: UUID) -> HttpResponse:
    """The persons served of one unit or program (by its public id)."""
    group = services.find_group(user, "", group_id)
    kind = "unit" if group.__class__.__name__ == "Unit" else "program"
    parsed = _parse(request, ExportJob.Level.GROUP, kind, group_id)
    return _accepted(request, services.kick_off(user, parsed))


def manifest(request: HttpRequest, job: ExportJob) -> dict[str, Any]:
    def url(name: str) -> str:
        return request.build_absolute_uri(reverse("fhir:export-file", args=[job.public_id, name]))

    def entries(files: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{"type": f["type"], "url": url(f["name"]), "count": f["count"]} for f in files]

    body: dict[str, Any] = {
        "transactionTime": instant(job.transaction_time),
        "request": job.request_url,
        "requiresAccessToken": True,
        "outputFormat": export.NDJSON,
        "output": entries(job.output),
        "error": entries(job.errors),
    }
    if job.consent_ids:
        # Part 2 records under consent: the notice travels with the manifest (42 CFR 2.32).
        body["extension"] = {
            "urn:pillars:part2-notice": exports.NOTICE,
            "urn:pillars:part2-consents": job.consent_ids,
        }
    return body


@route("$export-status/<uuid:job_id>", name="export-status")
@audited("status reads name files and counts only; a cancel is audited (services.cancel)")
@csrf_exempt
@never_cache
@require_http_methods(["GET", "DELETE"])
@fhir_view
def export_status(request: HttpRequest, user: Any, job_id: UUID) -> HttpResponse:
    if request.method == "DELETE":
        services.cancel(user, job_id)
        return outcome(202, "The export is cancelled and its files deleted.", "informational")
    try:
        job = services.poll(user, job_id)
    except services.TooSoon as early:
        return outcome(
            429,
            f"Polled too often: wait {early.seconds} seconds between status requests.",
            "throttled",
            Retry_After=str(early.seconds),
        )
    if job.status in (Status.QUEUED, Status.RUNNING):
        response = HttpResponse(status=202)
        response["X-Progress"] = (job.progress or "Queued")[:100]
        response["Retry-After"] = str(reading.retry_after_seconds())
        return response
    if job.status == Status.FAILED:
        return outcome(500, "The export failed; start a new one.", "exception")
    response = HttpResponse(json.dumps(manifest(request, job)), content_type="application/json")
    response["Expires"] = http_date(job.expires_at.timestamp())
    return response


@route("$export-files/<uuid:job_id>/<str:name>", name="export-file")
@audited("every download is released and logged through core.exports.release")
@csrf_exempt
@never_cache
@require_GET
@fhir_view
def export_file(request: HttpRequest, user: Any, job_id: UUID, name: str) -> HttpResponseBase:
    found = services.open_file(user, job_id, name)
    response = FileResponse(found.path.open("rb"), content_type=export.NDJSON)
    if found.release.part2:
        response["Part2-Notice"] = exports.SHORT_NOTICE
    return response
