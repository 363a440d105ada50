"""The insights dashboards: the director's (organization or one site), a unit's (its leads),
a supervisor's (their staff), the privacy officer's (access and disclosures), the list of units
one may open, the CSV of every table and the monthly quality report, through the one export
door."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import URLPattern

from pillars.audit.choices import Purpose
from pillars.core import clock, exports, policy, replica
from pillars.core.pages import GET, page
from pillars.core.plan_pages import pdf_response
from pillars.core.routes import Routes
from pillars.insights import dashboards, report
from pillars.insights import privacy as privacy_board
from pillars.insights import team as team_board
from pillars.insights.measures import HEADLINE, MEASURES, Whole
from pillars.people.models import Site, Unit
from pillars.people.tenancy import in_organization

route = Routes()

app_name = "insights"


def _site(request: HttpRequest) -> Site | None:
    chosen = str(request.GET.get("site", ""))[:40]
    if not chosen:
        return None
    # A site of the viewer's own organization only (another's is not found).
    found = Site.objects.filter(public_id__in=[chosen] if _uuid(chosen) else [])
    site = in_organization(found, request.user).first()
    if site is None:
        raise Http404("Not found")
    return site


def _uuid(value: str) -> bool:
    from uuid import UUID

    try:
        UUID(value)
    except ValueError:
        return False
    return True


def _organization_units(request: HttpRequest, site: Site | None) -> list[Unit]:
    units = policy.restrict(
        Unit.objects.filter(is_active=True), request.user, "insights.view_organization"
    )
    if site is not None:
        units = units.filter(site=site)
    return list(units.select_related("site").order_by("site__name", "name"))


def _unit(request: HttpRequest, public_id: Any) -> Unit:
    unit = Unit.objects.filter(public_id=public_id).first()
    if unit is None:
        raise Http404("Not found")
    policy.require(request.user, "insights.view_unit", unit)
    return unit


@route("", name="director")
@page("the director's dashboard; dashboards.audit_read records the read", GET)
def director(request: HttpRequest) -> HttpResponse:
    policy.require(request.user, "insights.view_organization")
    site = _site(request)
    units = _organization_units(request, site)
    ids = [u.pk for u in units]
    title = f"{site.name}: insights" if site else "Organization insights"
    with replica.reads(request.user) as source:
        board = dashboards.build(
            title, dashboards.scope_of(site), ids, unit_rows=units, whole=dashboards.whole_of(site)
        )
        staff = dashboards.workforce(request.user, ids if site else None)
    dashboards.audit_read(request.user, what="director", scope=board.scope, unit_ids=ids)
    return render(
        request,
        "insights/dashboard.html",
        {
            "board": board,
            "headline": HEADLINE,
            "sites": in_organization(Site.objects.order_by("name"), request.user),
            "site": site,
            "csv_query": f"?site={site.public_id}" if site else "",
            "source": replica.now_lag_text(source),
            "workforce": staff,
            "report_months": report.months_offered(),
        },
    )


@route("units/<uuid:public_id>/", name="unit")
@page("a unit's dashboard; dashboards.audit_read records the read", GET)
def unit_dashboard(request: HttpRequest, public_id: Any) -> HttpResponse:
    unit = _unit(request, public_id)
    with replica.reads(request.user) as source:
        board = dashboards.build(
            f"{unit.name}: insights",
            f"unit {unit.public_id}",
            [unit.pk],
            links=dashboards.unit_links(request.user, unit),
            whole=("unit", unit.pk),
        )
    dashboards.audit_read(request.user, what="unit", scope=board.scope, unit_ids=[unit.pk])
    return render(
        request,
        "insights/dashboard.html",
        {
            "board": board,
            "headline": HEADLINE,
            "unit": unit,
            "csv_query": f"?unit={unit.public_id}",
            "source": replica.now_lag_text(source),
        },
    )


@route("units/", name="units")
@page("the list of units whose dashboards one may open (names only, no figures)", GET)
def unit_list(request: HttpRequest) -> HttpResponse:
    policy.require(request.user, "insights.view_measures")
    actor = policy.actor_for(request.user)
    units = dashboards.lead_units(request.user)
    dashboards.audit_read(request.user, what="units", scope="units", unit_ids=[u.pk for u in units])
    return render(
        request,
        "insights/unit_list.html",
        {
            "units": units,
            "measures": MEASURES,
            "director": policy.can(request.user, "insights.view_organization")
            and actor.is_org_wide,
        },
    )


@route("export.csv", name="csv")
@page("the dashboards' tables as CSV; exports.release logs the export", GET)
def dashboard_csv(request: HttpRequest) -> HttpResponseBase:
    chosen = str(request.GET.get("unit", ""))[:40]
    whole: Whole
    if chosen:
        if not _uuid(chosen):
            raise Http404("Not found")
        unit = _unit(request, chosen)
        units, scope, whole = [unit], f"unit {unit.public_id}", ("unit", unit.pk)
    else:
        policy.require(request.user, "insights.view_organization")
        site = _site(request)
        units, scope = _organization_units(request, site), dashboards.scope_of(site)
        whole = dashboards.whole_of(site)
    ids = [u.pk for u in units]
    with replica.reads(request.user) as source:
        board = dashboards.build(
            "export",
            scope,
            ids,
            unit_rows=units if not chosen else None,
            audience="export",
            whole=whole,
        )
    # The one door for exports: it logs what left and for whom (aggregates, no records).
    release = exports.release(
        request.user,
        what="insights.dashboard",
        fmt="csv",
        purpose=Purpose.OPERATIONS,
        detail={"scope": scope, "units": len(ids)},
    )
    strata = [m for m in MEASURES if m.code.startswith(("hbips-2", "hbips-3"))]

    def rows() -> Iterator[list[str]]:
        yield ["period", f"{board.first} to {board.last}", *[line.text for line in board.lines]]
        for label, figures in board.month_rows:
            yield ["month", label, *figures]
        for row in board.units:
            yield ["unit", row["unit"].name, *row["figures"]]
        yield ["table", "month", "patient hours", *[m.name for m in strata]]
        for h in board.hbips:
            yield [
                "hbips",
                dashboards.month_label(h.year, h.month),
                f"{h.patient_hours:.1f}",
                *["" if h.values[m.code] is None else f"{h.values[m.code]:.3f}" for m in strata],
            ]

    return exports.csv_download(
        release,
        filename="insights",
        comments=[replica.now_lag_text(source)],
        header=["table", "row", *[m.name for m in HEADLINE]],
        rows=rows(),
    )


@route("team/", name="team")
@page("the supervisor's dashboard; dashboards.audit_read records it, wellbeing audits its own", GET)
def team(request: HttpRequest) -> HttpResponse:
    policy.require(request.user, "insights.view_team")
    with replica.reads(request.user) as source:
        board = team_board.build(request.user, clock.now())
    dashboards.audit_read(
        request.user, what="team", scope="supervisees", unit_ids=[], staff=len(board.lines)
    )
    return render(
        request,
        "insights/team.html",
        {"board": board, "source": replica.now_lag_text(source)},
    )


@route("team.csv", name="team-csv")
@page("the supervisor's dashboard as CSV; exports.release logs the export", GET)
def team_csv(request: HttpRequest) -> HttpResponseBase:
    """The team dashboard's figures and staff lines; the wellbeing aggregate only as an export
    may carry it (groups under eleven hidden, and their complements)."""
    policy.require(request.user, "insights.view_team")
    with replica.reads(request.user) as source:
        board = team_board.build(request.user, clock.now(), audience="export")
    release = exports.release(
        request.user,
        what="insights.team",
        fmt="csv",
        purpose=Purpose.OPERATIONS,
        detail={"staff": len(board.lines)},
    )

    def rows() -> Iterator[list[str]]:
        for f in board.figures:
            yield ["standard", f.name, f.text, "", "", "", f.definition]
        for line in board.lines:
            yield [
                "staff",
                line.staff.display_name,
                line.credentials,
                str(line.trainings_overdue),
                line.cadence,
                "; ".join(line.caseloads) or "None",
                "",
            ]
        for w in board.wellbeing:
            means = "; ".join(f"{name}: {'none' if m is None else m}" for name, m in w.means)
            yield ["wellbeing", w.label, w.text, "", "", "", f"{board.wellbeing_quarter}: {means}"]

    comments = [replica.now_lag_text(source)]
    if not policy.can(request.user, "workforce.export_wellbeing_aggregate"):
        comments.append("Wellbeing is not in this file: its aggregates leave only by the director.")
    return exports.csv_download(
        release,
        filename="insights-team",
        comments=comments,
        header=[
            "section",
            "name",
            "figure or credentials",
            "trainings overdue",
            "supervision",
            "caseloads",
            "definition or averages",
        ],
        rows=rows(),
    )


@route("privacy/", name="privacy")
@page("the privacy officer's dashboard over the audit log and consents; audit_read records it", GET)
def privacy(request: HttpRequest) -> HttpResponse:
    policy.require(request.user, "insights.view_privacy")
    with replica.reads(request.user) as source:
        board = privacy_board.build(request.user)
    dashboards.audit_read(request.user, what="privacy", scope="organization", unit_ids=[])
    return render(
        request,
        "insights/privacy.html",
        {
            "board": board,
            "charts": [board.chart(code) for code in ("exports", "part2-consent", "denied")],
            "source": replica.now_lag_text(source),
        },
    )


@route("privacy.csv", name="privacy-csv")
@page("the privacy officer's dashboard as CSV; exports.release logs the export", GET)
def privacy_csv(request: HttpRequest) -> HttpResponseBase:
    policy.require(request.user, "insights.view_privacy")
    with replica.reads(request.user) as source:
        board = privacy_board.build(request.user)
    release = exports.release(
        request.user,
        what="insights.privacy",
        fmt="csv",
        purpose=Purpose.OVERSIGHT,
        detail={"months": len(board.months)},
    )
    return exports.csv_download(
        release,
        filename="insights-privacy",
        comments=[replica.now_lag_text(source)],
        header=["measure", *board.header, "total", "definition"],
        rows=(
            [
                row["label"],
                *[str(n) for _, n, _ in row["cells"]],
                str(row["total"]),
                row["definition"],
            ]
            for row in board.rows
        ),
    )


@route("report.pdf", name="report")
@page("the monthly quality report (PDF); exports.release logs the export", GET)
def report_pdf(request: HttpRequest) -> HttpResponse:
    policy.require(request.user, "insights.view_organization")
    site = _site(request)
    # No month named: the last month that has ended.
    chosen = str(request.GET.get("month", ""))[:7] or report.months_offered()[0][0]
    first = report.parse_month(chosen)
    if first is None:
        raise Http404("Not found")
    units = _organization_units(request, site)
    ids = [u.pk for u in units]
    scope = site.name if site else "the whole organization"
    with replica.reads(request.user) as source:
        staff = dashboards.workforce(request.user, ids if site else None)
        found = report.gather(scope, units, first, staff, whole=dashboards.whole_of(site))
    release = exports.release(
        request.user,
        what="insights.monthly_report",
        fmt="pdf",
        purpose=Purpose.OPERATIONS,
        detail={"scope": dashboards.scope_of(site), "month": f"{first:%Y-%m}", "units": len(ids)},
    )
    body = report.render(found, replica.now_lag_text(source), release.notice)
    return pdf_response(body, f"quality-report-{first:%Y-%m}.pdf")


urlpatterns: list[URLPattern] = route.patterns
