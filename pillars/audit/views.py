"""The privacy officer's audit report, its CSV export and the chain verifier's page.

Both are reads of the audit log and both are audited themselves: a view is a ``view`` event with
purpose oversight, an export an ``export`` event naming the filters and how many rows left.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render

from pillars.audit import log as audit
from pillars.audit import selectors
from pillars.audit.choices import Action, Category, Purpose
from pillars.audit.forms import ReportFilterForm
from pillars.audit.models import ChainCheck
from pillars.audit.tasks import verify_chain
from pillars.core import clock, exports, policy
from pillars.core.pages import GET, GET_POST, page
from pillars.core.routes import Routes

route = Routes()

# An export with no dates covers this many days (today included), never the whole log.
EXPORT_DEFAULT_DAYS = 7

COLUMNS: list[tuple[str, str]] = [
    ("when", "When"),
    ("who", "Who"),
    ("action", "Action"),
    ("what", "What"),
    ("person", "Person served"),
    ("outcome", "Outcome"),
    ("category", "Category"),
    ("purpose", "Purpose"),
    ("ip", "From"),
]


def _columns(current: str) -> list[dict[str, str]]:
    out = []
    for key, label in COLUMNS:
        if current == key:
            aria, following = "ascending", f"-{key}"
        elif current == f"-{key}":
            aria, following = "descending", key
        else:
            # A first click on "When" shows the newest first, like the default order.
            aria, following = "", f"-{key}" if key == "when" else key
        out.append({"key": key, "label": label, "aria_sort": aria, "next_sort": following})
    return out


@route("report/", name="report")
@page(
    "the audit report: reads audit events; each view is itself a 'view' audit event",
    GET,
    never_cache=True,
)
def report(request: HttpRequest) -> HttpResponse:
    policy.require(request.user, "audit.view_report")
    form = ReportFilterForm(request.GET or None, user=request.user)
    sort = selectors.sort_key(request.GET.get("sort"))
    context: dict[str, Any] = {
        "form": form,
        "sort": sort,
        "columns": _columns(sort),
        "zone": selectors.report_zone().key,
        "can_export": policy.can(request.user, "audit.export"),
        "export_days": None
        if request.GET.get("date_from") or request.GET.get("date_to")
        else EXPORT_DEFAULT_DAYS,
        "rows": [],
        "page": None,
    }
    if request.GET and not form.is_valid():
        return _render(request, context)
    filters = form.filters() if form.is_bound else selectors.ReportFilters()
    events = selectors.report_events(request.user, filters, sort)
    page = Paginator(events, selectors.PAGE_SIZE).get_page(request.GET.get("page"))
    rows = selectors.rows_for(list(page.object_list), focus=filters.person_id)
    audit.record(
        actor=request.user,
        action=Action.VIEW,
        object_type="audit.auditevent",
        object_id="report",
        category=Category.SUBSTANCE_USE if selectors.has_part2(rows) else Category.GENERAL,
        purpose=Purpose.OVERSIGHT,
        detail={
            "filters": form.as_detail() if form.is_bound else {},
            "sort": sort,
            "page": page.number,
            "shown": len(rows),
        },
    )
    context.update(rows=rows, page=page)
    return _render(request, context)


def _render(request: HttpRequest, context: dict[str, Any]) -> HttpResponse:
    if getattr(request, "htmx", False):
        # The filter form sits outside the swapped results; its hidden sort field is updated
        # out of band so the next filter keeps the chosen order.
        return render(request, "audit/partials/_report_results.html", {**context, "partial": True})
    return render(request, "audit/report.html", context)


@route("report.csv", name="report-csv")
@page(
    "CSV export of audit events; the export is itself an 'export' audit event",
    GET,
    never_cache=True,
)
def report_csv(request: HttpRequest) -> HttpResponseBase:
    policy.require(request.user, "audit.export")
    form = ReportFilterForm(request.GET, user=request.user)
    if not form.is_valid():
        problems = "; ".join(
            f"{name}: {' '.join(str(e) for e in errs)}" for name, errs in form.errors.items()
        )
        return HttpResponseBadRequest(
            f"The filters are not valid: {problems}", content_type="text/plain; charset=utf-8"
        )
    sort = selectors.sort_key(request.GET.get("sort"))
    form.default_period(EXPORT_DEFAULT_DAYS)
    filters = form.filters()
    events, through_seq = selectors.export_events(request.user, filters, sort)
    # The one door for exports: the Part 2 check, the logged disclosure, the 42 CFR 2.32 notice.
    release = exports.release(
        request.user,
        what="audit.auditevent",
        fmt="csv",
        part2=events.filter(category=Category.SUBSTANCE_USE).exists(),
        purpose=Purpose.OVERSIGHT,
        detail={
            "filters": form.as_detail(),
            "sort": sort,
            "since": filters.starts_at.isoformat() if filters.starts_at else None,
            "rows": events.count(),
            "through_seq": through_seq,
        },
    )
    return exports.csv_download(
        release,
        filename="audit-report",
        header=selectors.CSV_HEADER,
        rows=selectors.csv_rows(events, focus=filters.person_id),
    )


VERIFY_TEMPLATE = "audit/verify.html"
RECENT_CHECKS = 10


@route("verify/", name="verify")
@page(
    "the verifier's past results (no person served); asking for a run is audited",
    GET_POST,
    never_cache=True,
)
def verify(request: HttpRequest) -> HttpResponse:
    """The privacy officer runs the chain verifier from here: the run is queued as a task for
    the worker (checking millions of events takes minutes) and its verdict shows here."""
    acting = policy.require(request.user, "audit.verify")
    if request.method == "POST":
        with transaction.atomic():
            check = ChainCheck.objects.create(requested_by=acting.user, requested_at=clock.now())
            audit.record(
                request.user,
                Action.CREATE,
                check,
                purpose=Purpose.OVERSIGHT,
                detail={"event": "audit chain verification requested"},
            )
            transaction.on_commit(lambda: verify_chain.enqueue(check.pk))
        messages.success(request, "The check is queued; its result appears here when it is done.")
        return redirect("audit:verify")
    # The runs the officer's own organization asked for: another's names its staff.
    organization, mine = acting.organization_id, ChainCheck.objects.none()
    if organization is not None:
        mine = ChainCheck.objects.filter(requested_by__staff__organization_id=organization)
    checks = list(mine.select_related("requested_by")[:RECENT_CHECKS])
    return render(
        request,
        VERIFY_TEMPLATE,
        {
            "checks": checks,
            "waiting": any(c.finished_at is None for c in checks),
            "zone": selectors.report_zone().key,
        },
    )
