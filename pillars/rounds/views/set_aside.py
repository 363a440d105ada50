"""Checks a tablet could not send: the tablet hands them over (one JSON request, session-signed),
and the unit's lead resolves them on the unit's page of set-aside checks."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse

from pillars.core import clock, policy
from pillars.core.api_errors import field_errors, problem
from pillars.core.errors import ValidationError
from pillars.core.formtools import form_write, saved
from pillars.core.pages import GET, POST, page
from pillars.core.routes import Routes
from pillars.people import selectors as people_selectors
from pillars.rounds.choices import Activity, Location, SafetyStatus
from pillars.rounds.forms.set_aside import CloseForm, RecordForm
from pillars.rounds.models import SetAsideCheck
from pillars.rounds.selectors import set_aside as selectors
from pillars.rounds.services import set_aside as services

route = Routes()

TEMPLATE = "rounds/set_aside_list.html"


def _zone(row_or_unit: Any) -> ZoneInfo:
    unit = getattr(row_or_unit, "unit", row_or_unit)
    return ZoneInfo(unit.time_zone)


def _ids(row: SetAsideCheck, kind: str) -> str:
    """Field ids unique on a page that holds a form per row (labels and error links)."""
    return f"id_{kind}_{row.public_id.hex[:12]}_%s"


def _initial(row: SetAsideCheck) -> dict[str, Any]:
    data = row.payload or {}
    observed = row.observed_at or row.submitted_at
    return {
        "observed_at": clock.local(observed, row.unit.time_zone).replace(tzinfo=None),
        "location": data.get("location", "") if data.get("location") in Location.values else "",
        "activity": data.get("activity", "") if data.get("activity") in Activity.values else "",
        "safety_status": data.get("safety_status")
        if data.get("safety_status") in SafetyStatus.values
        else SafetyStatus.SAFE,
        "note": data.get("note", "")[:400],
        "late_reason": f"Set aside on the tablet: {row.problem}"[:300],
    }


def _context(
    request: HttpRequest, unit: Any, failed: SetAsideCheck | None = None, form: Any = None
) -> dict[str, Any]:
    still_open, resolved = selectors.set_aside_on(request.user, unit)
    can_record = policy.can(request.user, "rounds.record_check")
    rows = []
    for row in still_open:
        mine = failed is not None and row.pk == failed.pk
        rows.append(
            {
                "row": row,
                "record_form": form if mine and isinstance(form, RecordForm) else None,
                "close_form": form
                if mine and isinstance(form, CloseForm)
                else CloseForm(auto_id=_ids(row, "close")),
            }
        )
        if rows[-1]["record_form"] is None and can_record:
            rows[-1]["record_form"] = RecordForm(
                initial=_initial(row), auto_id=_ids(row, "record"), queued=row.observed_at
            )
    return {
        "unit": unit,
        "rows": rows,
        "resolved": resolved,
        "zone": unit.time_zone,
        "board_url": reverse("rounds:board", kwargs={"public_id": unit.public_id}),
    }


@route("units/<uuid:public_id>/set-aside/", name="set-aside-list")
@page("set_aside_on audits the read of the persons listed", GET)
def set_aside_list(request: HttpRequest, public_id: UUID) -> HttpResponse:
    unit = people_selectors.get_unit_for(request.user, public_id, "rounds.resolve_set_aside")
    return render(request, TEMPLATE, _context(request, unit))


@route("set-aside/<uuid:public_id>/record/", name="set-aside-record")
@page("record_set_aside and record_check audit the check; the list is an audited read", POST)
def set_aside_record(request: HttpRequest, public_id: UUID) -> HttpResponse:
    row = selectors.get_set_aside_for(request.user, public_id)
    policy.require(request.user, "rounds.record_check", row.order)
    form = RecordForm(request.POST, auto_id=_ids(row, "record"), queued=row.observed_at)
    said = f"Check recorded for {row.order.person.display_name}."
    return _row_write(request, row, form, services.record_set_aside, said, zone=_zone(row))


@route("set-aside/<uuid:public_id>/close/", name="set-aside-close")
@page("close_set_aside audits the closing; the list is an audited read", POST)
def set_aside_close(request: HttpRequest, public_id: UUID) -> HttpResponse:
    row = selectors.get_set_aside_for(request.user, public_id)
    form = CloseForm(request.POST, auto_id=_ids(row, "close"))
    return _row_write(request, row, form, services.close_set_aside, "Set-aside check closed.")


def _row_write(
    request: HttpRequest,
    row: SetAsideCheck,
    form: RecordForm | CloseForm,
    service: Callable[..., Any],
    said: str,
    zone: ZoneInfo | None = None,
) -> HttpResponse:
    """A form posted on one row of the unit's set-aside list: ``service(row, actor=...,
    **the form's fields)``, then the list again saying ``said``; a refusal shows the list with
    the row's form and its errors."""
    back = reverse("rounds:set-aside-list", kwargs={"public_id": row.unit.public_id})
    return form_write(
        request,
        form,
        TEMPLATE,
        _context(request, row.unit, row, form),
        lambda data: service(row, actor=request.user, **data),
        lambda _: saved(request, said, back),
        zone=zone,
    )


def _items(body: bytes) -> list[services.SetAsideItem]:
    try:
        data = json.loads(body or b"{}")
    except ValueError:
        raise ValidationError(
            {"items": ["Send JSON: {items: [{check: {...}, problem}]}."]}
        ) from None
    raw = data.get("items") if isinstance(data, dict) else None
    if not isinstance(raw, list):
        raise ValidationError({"items": ["Send a list of set-aside checks."]})
    items = []
    for n, entry in enumerate(raw):
        check = entry.get("check") if isinstance(entry, dict) else None
        if not isinstance(check, dict):
            raise ValidationError({f"items.{n}.check": ["Send the queued check's fields."]})
        items.append(
            services.SetAsideItem(
                order=str(check.get("order", "")),
                problem=str(entry.get("problem", "")),
                fields=check,
            )
        )
    return items


@route("checks/set-aside/", name="check-set-aside")
@page("set_aside_checks audits each check it keeps", POST)
def check_set_aside(request: HttpRequest) -> HttpResponse:
    """The tablet hands over the queued checks the server would not take; each is kept for the
    unit's lead (or answered ``not_found`` when its order is out of the user's scope)."""
    if not policy.can(request.user, "rounds.record_check"):
        return problem(403, "You do not have permission to do that.")
    try:
        stored = services.set_aside_checks(_items(request.body), actor=request.user)
    except PermissionDenied:
        return problem(403, "You do not have permission to do that.")
    except ValidationError as exc:
        return problem(422, "The set-aside checks could not be kept.", errors=field_errors(exc))
    return JsonResponse(
        {
            "results": [
                {"status": "kept", "id": str(row.public_id)}
                if row is not None
                else {"status": "not_found"}
                for row in stored
            ]
        },
        status=201 if any(stored) else 200,
    )


urlpatterns = route.patterns
