"""Role-drift pages: one peer's months (activity mix, non-peer time, scope-guard flags, the
thresholds crossed) with charts and the numbers beside them, the organization's figures, and
one's own time log."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, reverse

from pillars.core import clock, policy
from pillars.core.formtools import form_write, posted, saved
from pillars.core.pages import GET, GET_POST, page
from pillars.core.routes import Routes
from pillars.people.models import Staff
from pillars.people.tenancy import organization_for
from pillars.workforce.forms.drift import TimeLogForm
from pillars.workforce.models.drift import DriftThreshold, NonPeerTask
from pillars.workforce.selectors import drift as selectors
from pillars.workforce.selectors.supervision import get_staff_for
from pillars.workforce.services import drift as services
from pillars.workforce.services.staff_audit import audit_operations_read

route = Routes()

MONTHS = 12


def _context(staff_ids: list[int] | None, organization_id: int | None = None) -> dict[str, Any]:
    zone = selectors.zone_for(staff_ids)
    last = selectors.month_start(clock.today_in(zone))
    first = selectors.add_months(last, -(MONTHS - 1))
    months = selectors.drift_months(staff_ids, first, last, zone, organization_id=organization_id)
    return {
        "months": months,
        "zone": str(zone),
        "mix": selectors.activity_mix(
            staff_ids, first, last, zone, organization_id=organization_id
        ),
        "share_chart": selectors.share_chart(months),
        "flags_chart": selectors.flags_chart(months),
        "tasks": list(NonPeerTask.choices),
        "thresholds": list(DriftThreshold.objects.filter(is_active=True)),
        "definitions": selectors.DEFINITIONS,
        "first": first,
    }


@route("drift/staff/<uuid:public_id>/", name="drift-person")
@page("one staff member's role-drift figures (audited by get_staff_for)", GET)
def drift_person(request: HttpRequest, public_id: UUID) -> HttpResponse:
    staff = get_staff_for(request.user, public_id, "workforce.view_drift", what="role drift")
    context = _context([staff.pk])
    context["staff"] = staff
    context["log"] = list(selectors.time_log_of(request.user, staff)[:30])
    return render(request, "workforce/drift/person.html", context)


@route("drift/", name="drift-org")
@page("the organization's role-drift figures (counts over every peer; audited)", GET)
def drift_org(request: HttpRequest) -> HttpResponse:
    actor = policy.require(request.user, "workforce.view_org_drift")
    audit_operations_read(
        request.user, "workforce.drift", "organization", {"what": "organization role drift"}
    )
    return render(request, "workforce/drift/org.html", _context(None, organization_for(actor)))


@route("drift/time-log/", name="time-log")
@page("one's own time log (reads and writes only one's own entries; audited by log_time)", GET_POST)
def time_log(request: HttpRequest) -> HttpResponse:
    actor = policy.actor_for(request.user)
    me = Staff.objects.filter(pk=actor.staff_id).first() if actor.staff_id else None
    policy.require(request.user, "workforce.log_time", me)
    assert me is not None
    # The staff member's own day, as log_time judges it (UTC is already tomorrow in the
    # American evening).
    today = clock.today_in(selectors.zone_for([me.pk]))
    since = today - timedelta(days=services.LOG_DAYS_BACK)
    entries = list(selectors.time_log_of(request.user, me).filter(worked_on__gte=since))
    form = TimeLogForm(posted(request), initial={"worked_on": today})
    return form_write(
        request,
        form,
        "workforce/drift/time_log.html",
        {"form": form, "entries": entries, "me": me},
        lambda d: services.log_time(actor=request.user, **d),
        lambda e: saved(request, "Time logged.", reverse("workforce:time-log")),
    )


urlpatterns: list[URLPattern] = route.patterns
