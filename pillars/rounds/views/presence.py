"""Proof of presence pages: printable room and bed codes, the scanner, and the one-tap check a
scanned code opens (proof "qr")."""

from __future__ import annotations

import uuid
from typing import Any
from uuid import UUID

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_POST

from pillars.core import clock, policy
from pillars.core.declare import audit_exempt, audited
from pillars.core.errors import Conflict, ValidationError
from pillars.core.formtools import apply_errors
from pillars.core.routes import Routes
from pillars.people.models import Bed, Placement, Room
from pillars.people.selectors import get_unit_for, record_list_read, units_visible_to
from pillars.rounds import presence, selectors, services
from pillars.rounds.choices import Activity, Proof
from pillars.rounds.forms.presence import ScanCheckForm, TypedCodeForm
from pillars.rounds.models import ObservationOrder

route = Routes()

TEMPLATE_SCAN = "rounds/scan_code.html"


def _qr_svg(request: HttpRequest, place: Room | Bed, label: str) -> str:
    code = presence.code_for(place)
    url = request.build_absolute_uri(reverse("rounds:scan-code", args=[code]))
    # segno writes presentation attributes only (no style attribute), so the CSP holds.
    return str(segno.make(url, error="m").svg_inline(scale=4, title=f"Code for {label}"))


@route("units/<uuid:public_id>/codes/", name="room-codes")
@login_required
@require_GET
@audit_exempt("room and bed codes of a unit: no person data is read or shown")
def room_codes(request: HttpRequest, public_id: UUID) -> HttpResponse:
    unit = get_unit_for(request.user, public_id, "rounds.assign")
    cards = []
    for room in Room.objects.filter(unit=unit).prefetch_related("beds").order_by("name"):
        places: list[tuple[Room | Bed, str]] = [(room, f"Room {room.name}")]
        places += [
            (bed, f"Bed {room.name}-{bed.label}") for bed in room.beds.all() if bed.is_active
        ]
        for place, label in places:
            cards.append(
                {
                    "label": label,
                    "code": presence.code_for(place),
                    "svg": mark_safe(_qr_svg(request, place, label)),  # noqa: S308 - segno's own SVG
                }
            )
    return render(
        request,
        "rounds/room_codes.html",
        # The scanner is for those who round (a manager printing the codes may not).
        {"unit": unit, "cards": cards, "can_scan": policy.can(request.user, "rounds.record_check")},
    )


def _may_round(request: HttpRequest) -> None:
    if not policy.can(request.user, "rounds.record_check"):
        policy.require(request.user, "rounds.record_check")  # audits the refusal, raises 403


@route("scan/", name="scan")
@login_required
@require_GET
@audit_exempt("the scanner itself: a camera and a box to type a code; no person data")
def scan(request: HttpRequest) -> HttpResponse:
    _may_round(request)
    typed = request.GET.get("code", "").strip()
    if typed:
        form = TypedCodeForm({"code": typed})
        if form.is_valid():
            return redirect("rounds:scan-code", code=form.cleaned_data["code"])
        context = {"error": form.errors["code"][0], "typed": typed[:40]}
        return render(request, "rounds/scan.html", context)
    return render(request, "rounds/scan.html", {})


def _resolve(request: HttpRequest, code: str) -> Room | Bed:
    """The room or bed a code names, among the units the user can see; 404 otherwise."""
    units = list(units_visible_to(request.user))
    rooms = list(Room.objects.filter(unit__in=units).select_related("unit"))
    beds = list(Bed.objects.filter(room__in=rooms, is_active=True).select_related("room__unit"))
    place = presence.find(code, rooms, beds)
    if place is None:
        raise Http404("Not found")
    return place


def _orders_at(request: HttpRequest, place: Room | Bed) -> list[ObservationOrder]:
    beds = [place] if isinstance(place, Bed) else list(place.beds.all())
    person_ids = Placement.objects.current().filter(bed__in=beds).values("episode__person_id")
    return list(
        selectors.orders_visible_to(request.user)
        .filter(ended_at__isnull=True, person_id__in=person_ids)
        .select_related("person", "level")
        .order_by("person__legal_family_name", "pk")
    )


def _scan_context(
    request: HttpRequest, code: str, forms_by_order: dict[int, Any]
) -> dict[str, Any]:
    place = _resolve(request, code)
    orders = _orders_at(request, place)
    record_list_read(
        request.user, [o.person for o in orders], what=f"scanned code {presence.normalise(code)}"
    )
    rows = []
    for order in orders:
        last = order.checks.order_by("-observed_at").first()
        form = forms_by_order.get(order.pk) or ScanCheckForm(
            prefix=str(order.public_id),
            initial={
                "client_id": uuid.uuid4(),
                "activity": last.activity if last else Activity.RESTING,
            },
        )
        rows.append({"order": order, "form": form, "last": last})
    label = f"Bed {place}" if isinstance(place, Bed) else f"Room {place.name}"
    unit = place.room.unit if isinstance(place, Bed) else place.unit
    return {"code": code, "place_label": label, "rows": rows, "zone": unit.time_zone}


@route("scan/<str:code>/", name="scan-code")
@login_required
@require_GET
@audited("persons served in the scanned room or bed (one audited list read)")
def scan_code(request: HttpRequest, code: str) -> HttpResponse:
    _may_round(request)
    return render(request, TEMPLATE_SCAN, _scan_context(request, code, {}))


@route("scan/<str:code>/orders/<uuid:public_id>/check/", name="scan-check")
@login_required
@require_POST
@audited("records a check with proof of presence (record_check audits it)")
def scan_check(request: HttpRequest, code: str, public_id: UUID) -> HttpResponse:
    _may_round(request)
    _resolve(request, code)
    order = selectors.get_order_for(request.user, public_id, "rounds.record_check")
    form = ScanCheckForm(request.POST, prefix=str(order.public_id))
    if not form.is_valid():
        return render(request, TEMPLATE_SCAN, _scan_context(request, code, {order.pk: form}))
    try:
        services.record_check(
            order,
            actor=request.user,
            observed_at=clock.now(),
            proof=Proof.QR,
            presence_code=code,
            **form.cleaned_data,
        )
    except (ValidationError, Conflict) as exc:
        if isinstance(exc, ValidationError):
            apply_errors(form, exc)
        else:
            form.add_error(None, exc.message)
        return render(request, TEMPLATE_SCAN, _scan_context(request, code, {order.pk: form}))
    messages.success(request, f"Check recorded for {order.person.display_name} (code scanned).")
    return redirect("rounds:scan-code", code=code)


urlpatterns = route.patterns
