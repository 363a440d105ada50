"""The alert inbox (every app's alerts to the signed-in staff member), its unacknowledged count
(the top bar's badge and the board's poll) and acknowledging one alert."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_GET

from pillars.core import policy
from pillars.core.declare import audit_exempt
from pillars.core.pages import GET, POST, page
from pillars.core.routes import Routes
from pillars.people import alert_selectors as selectors
from pillars.people import alerts
from pillars.people.selectors import record_list_read

route = Routes()

PAGE_SIZE = 25


def unit_url(unit: Any) -> str:
    """The unit's board when the board pages are installed, else the unit's page."""
    try:
        return reverse("rounds:board", kwargs={"public_id": unit.public_id})
    except NoReverseMatch:
        return reverse("people:unit-detail", kwargs={"public_id": unit.public_id})


@route("inbox/", name="inbox")
@page("the user's own alerts, which name persons served: the page shown is one audited read", GET)
def inbox(request: HttpRequest) -> HttpResponse:
    policy.require(request.user, "people.view_alerts")
    only_open = request.GET.get("show") == "open"
    found = selectors.alerts_visible_to(request.user, unacknowledged=only_open)
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    record_list_read(
        request.user,
        [a.person for a in rows if a.person is not None],
        what="alert inbox",
        detail={"page": page.number, "open_only": only_open},
    )
    context = {
        "page": page,
        "rows": [
            {
                "alert": a,
                "unit_url": unit_url(a.unit) if a.unit is not None else "",
                # An alert with no unit (a staff member's own reminder) reads in the default zone.
                "zone": a.unit.time_zone if a.unit else settings.PILLARS_DEFAULT_TIME_ZONE,
            }
            for a in rows
        ],
        "only_open": only_open,
        "open_count": selectors.unacknowledged_count(request.user, at_start=True),
    }
    return render(request, "people/inbox_list.html", context)


@route("alerts/<uuid:public_id>/acknowledge/", name="alert-ack")
@page("acknowledges one of the user's own alerts; acknowledge audits it", POST)
def alert_ack(request: HttpRequest, public_id: UUID) -> HttpResponse:
    alert = selectors.get_alert_for(request.user, public_id, "people.acknowledge_alert")
    alerts.acknowledge(alert, actor=request.user)
    messages.success(request, "Alert acknowledged.")
    return redirect("alerts:inbox")


@route("inbox/count/", name="inbox-count")
@audit_exempt("a number only (the user's unacknowledged alerts); names nobody")
@login_required
@require_GET
def inbox_count(request: HttpRequest) -> HttpResponse:
    # The board polls this with X-Pillars-Poll: 1, which the session middleware does not count
    # as activity, so an unattended board does not keep a session alive.
    count = selectors.unacknowledged_count(request.user, at_start=True)
    if getattr(request, "htmx", False):
        return render(request, "people/partials/_inbox_badge.html", {"inbox_count": count})
    return JsonResponse({"unacknowledged": count})
