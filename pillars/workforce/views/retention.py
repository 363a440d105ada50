"""Workforce pages: retention. The director's workforce view (turnover and 90-day retention by
role or unit and quarter, each chart with its numbers beside it and the definitions printed
with them), its CSV, the list of recent exits and the exit interview form."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID

from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import URLPattern, reverse

from pillars.audit.choices import Purpose
from pillars.core import clock, exports, policy
from pillars.core.formtools import form_write, posted, saved
from pillars.core.pages import GET, GET_POST, page
from pillars.core.routes import Routes
from pillars.people.models import Staff
from pillars.workforce.forms.retention import ByForm, ExitInterviewForm
from pillars.workforce.selectors import retention as selectors
from pillars.workforce.services import retention as services

route = Routes()

BAR_WIDTH = 240  # px for the largest value of a chart


def _by(request: HttpRequest) -> str:
    form = ByForm(request.GET)
    if not form.is_valid():
        raise Http404("Not found")
    return form.cleaned_data["by"] or "role"


def _bars(values: list[tuple[str, float | None]]) -> list[dict[str, Any]]:
    """Bar lengths for an SVG chart; the numbers are printed in the table beside it."""
    top = max((v for _, v in values if v is not None), default=0) or 1
    return [
        {
            "label": label,
            "value": value,
            "width": 0 if value is None else round(BAR_WIDTH * value / top),
            "y": 22 * n,
        }
        for n, (label, value) in enumerate(values)
    ]


@route("retention/", name="retention")
@page("turnover and retention tables (workforce_view audits the read)", GET)
def workforce_view(request: HttpRequest) -> HttpResponse:
    view = selectors.workforce_view(request.user, by=_by(request))
    groups: dict[str, list[selectors.TurnoverRow]] = {}
    for row in view.turnover:
        groups.setdefault(row.group, []).append(row)
    retention: dict[str, list[selectors.RetentionRow]] = {}
    for r in view.retention:
        retention.setdefault(r.group, []).append(r)
    charts = [
        {
            "group": name,
            "rows": rows,
            "bars": _bars([(r.quarter.key, r.rate) for r in rows]),
            "height": 22 * len(rows),
        }
        for name, rows in groups.items()
    ]
    return render(
        request,
        "workforce/retention/workforce_view.html",
        {
            "view": view,
            "charts": charts,
            "retention": retention,
            "cohorts": sorted({r.quarter for r in view.retention}, key=lambda q: q.start),
            "bar_width": BAR_WIDTH,
        },
    )


@route("retention/turnover.csv", name="retention-csv")
@page("turnover and retention as CSV (workforce_view audits, release logs the export)", GET)
def workforce_csv(request: HttpRequest) -> HttpResponseBase:
    view = selectors.workforce_view(request.user, by=_by(request))
    # Turnover counts are about hires and exits, not wellbeing: no small-cell suppression.
    release = exports.release(
        request.user,
        what="workforce.turnover",
        fmt="csv",
        purpose=Purpose.OPERATIONS,
        detail={"by": view.by},
    )
    turnover = [
        [
            t.group,
            t.quarter.key,
            t.headcount_start,
            t.headcount_end,
            t.average_headcount,
            t.voluntary,
            t.involuntary,
            t.rate,
            t.voluntary_rate,
            t.involuntary_rate,
        ]
        for t in view.turnover
    ]
    retention = [[r.group, r.quarter.key, r.hired, r.retained, r.rate] for r in view.retention]
    return exports.csv_download(
        release,
        filename=f"turnover-by-{view.by}",
        stamp=False,
        comments=view.definitions.values(),
        header=[
            view.by,
            "quarter",
            "headcount first day",
            "headcount last day",
            "average headcount",
            "voluntary separations",
            "involuntary separations",
            "annualized turnover %",
            "annualized voluntary %",
            "annualized involuntary %",
        ],
        rows=[
            *turnover,
            [],
            [view.by, "hiring quarter", "hired", "still employed at 90 days", "%"],
            *retention,
        ],
    )


@route("retention/exits/", name="retention-exits")
@page("recent exits with their interviews (exits_visible_to checks, the page lists staff)", GET)
def exit_list(request: HttpRequest) -> HttpResponse:
    since = clock.organization_today() - timedelta(days=365)
    rows = selectors.exits_visible_to(request.user, since)
    return render(request, "workforce/retention/exit_list.html", {"rows": rows, "since": since})


@route("retention/exits/<uuid:public_id>/interview/", name="retention-exit-interview")
@page("records an exit interview (record_exit_interview audits)", GET_POST)
def exit_interview(request: HttpRequest, public_id: UUID) -> HttpResponse:
    staff = Staff.objects.filter(public_id=public_id, exited_on__isnull=False).first()
    if staff is None:
        raise Http404("Not found")
    policy.require(request.user, "workforce.record_exit_interview", staff)
    form = ExitInterviewForm(posted(request), initial={"held_on": clock.organization_today()})
    return form_write(
        request,
        form,
        "workforce/retention/exit_interview.html",
        {"form": form, "staff": staff},
        lambda data: services.record_exit_interview(staff, actor=request.user, **data),
        lambda _: saved(
            request, "The exit interview is saved.", reverse("workforce:retention-exits")
        ),
    )


urlpatterns: list[URLPattern] = route.patterns
