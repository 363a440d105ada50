"""What the dashboards show, built from the summary tables only (``measures``): a period's
headline measures with their definitions, monthly trends drawn by one chart component, a table
per unit and the HBIPS strata. Reads are audited here, once per dashboard or export."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.urls import reverse

from pillars.audit import log as audit
from pillars.audit.choices import Action, Purpose
from pillars.core import clock
from pillars.core.suppression import Audience
from pillars.insights import measures
from pillars.insights.measures import BY_CODE, HEADLINE, Measure, Sums
from pillars.people.models import Site, Unit
from pillars.people.tenancy import in_organization, organization_for

MONTH_NAMES = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
HBIPS_CODES = [
    f"{code}{suffix}"
    for code in ("hbips-2", "hbips-3")
    for suffix in ("", "-child", "-adolescent", "-adult", "-older")
]
CHART_WIDTH = 320  # the SVG's drawing width for the longest bar


@dataclass
class Bar:
    label: str
    value: float | None
    text: str
    width: int = 0
    y: int = 0


@dataclass
class Chart:
    """One chart: horizontal bars (SVG, sized by attributes, so no inline style) and the same
    numbers in a table beside it; never color alone."""

    key: str
    title: str
    definition: str
    unit: str
    bars: list[Bar]
    height: int = 0

    def __post_init__(self) -> None:
        top = max((b.value or 0 for b in self.bars), default=0)
        for i, bar in enumerate(self.bars):
            bar.width = round((bar.value or 0) / top * CHART_WIDTH) if top else 0
            bar.y = i * 26
        self.height = len(self.bars) * 26


def chart(measure: Measure, rows: Sequence[tuple[str, Sums]]) -> Chart:
    bars = [Bar(label, measure.value(sums), measure.format(sums)) for label, sums in rows]
    return Chart(measure.code, measure.name, measure.definition, measure.unit, bars)


@dataclass
class Line:
    measure: Measure
    text: str
    last_month: str
    link: str = ""


@dataclass
class Dashboard:
    title: str
    scope: str
    first: date
    last: date
    lines: list[Line]
    charts: list[Chart]
    units: list[dict[str, Any]] = field(default_factory=list)
    hbips: list[measures.HbipsRow] = field(default_factory=list)
    months: list[tuple[str, Sums]] = field(default_factory=list)
    # Each month's HEADLINE figures as text, small cells and their complements hidden.
    month_rows: list[tuple[str, list[str]]] = field(default_factory=list)

    @property
    def hbips_rows(self) -> list[tuple[str, str, list[str]]]:
        return [
            (
                month_label(h.year, h.month),
                f"{h.patient_hours:,.0f}",
                ["no data" if h.values[c] is None else f"{h.values[c]:.2f}" for c in HBIPS_CODES],
            )
            for h in self.hbips
        ]


def period(today: date | None = None) -> tuple[date, date]:
    """The last twelve months, this one included."""
    today = today or clock.today_in(settings.PILLARS_DEFAULT_TIME_ZONE)
    first = date(today.year - 1, today.month, 1) + timedelta(days=32)
    return first.replace(day=1), today


def month_label(year: int, month: int) -> str:
    return f"{MONTH_NAMES[month - 1]} {year}"


def build(
    title: str,
    scope: str,
    unit_ids: list[int],
    *,
    links: dict[str, str] | None = None,
    unit_rows: list[Unit] | None = None,
    today: date | None = None,
    audience: Audience = "screen",
    whole: measures.Whole = measures.ORGANIZATION,
) -> Dashboard:
    """The dashboard of ``unit_ids`` (``whole``: the unit's, the site's or the organization's);
    a measure averaging persons' own scores hides a month or unit with too few cases behind
    it for the ``audience``, one more beside the total, and what the organization's other
    dashboards would give back by subtraction (``measures.hidden_across``)."""
    first, last = period(today)
    monthly = measures.by_month(unit_ids, first, last)
    keys = measures.months_of(first, last)
    months = [(month_label(y, m), monthly.get((y, m), {})) for y, m in keys]
    total = measures.sums(unit_ids, first, last)
    latest = months[-1][1] if months else {}
    by_label = dict(months)
    across = measures.hidden_across(unit_ids, first, last, audience)
    kind, pk = whole
    hidden_months = {
        m.code: measures.hidden_cells(m, by_label, audience)
        | {month_label(*key) for key in keys if (kind, pk, key) in across.get(m.code, ())}
        for m in HEADLINE
    }
    latest_label = months[-1][0] if months else ""
    links = links or {}
    lines = [
        Line(
            m,
            m.format(total, audience, hidden=(kind, pk, None) in across.get(m.code, ())),
            m.format(latest, audience, hidden=latest_label in hidden_months[m.code]),
            links.get(m.code, ""),
        )
        for m in HEADLINE
    ]
    charts = [
        chart(BY_CODE[code], months)
        for code in ("checks-on-time", "hbips-2", "hbips-3", "incidents")
    ]
    board = Dashboard(
        title,
        scope,
        first,
        last,
        lines,
        charts,
        hbips=measures.hbips_monthly(unit_ids, first, last),
    )
    board.months = months
    board.month_rows = [
        (
            label,
            [m.format(sums, audience, hidden=label in hidden_months[m.code]) for m in HEADLINE],
        )
        for label, sums in months
    ]
    if unit_rows is not None:
        per_unit = measures.by_unit(unit_ids, first, last)
        cells = {u.pk: per_unit.get(u.pk, {}) for u in unit_rows}
        hidden_units = {
            m.code: measures.hidden_cells(m, cells, audience)
            | {u.pk for u in unit_rows if ("unit", u.pk, None) in across.get(m.code, ())}
            for m in HEADLINE
        }
        board.units = [
            {
                "unit": unit,
                "url": reverse("insights:unit", args=[unit.public_id]),
                "figures": [
                    m.format(cells[unit.pk], audience, hidden=unit.pk in hidden_units[m.code])
                    for m in HEADLINE
                ],
            }
            for unit in unit_rows
        ]
        board.charts.insert(
            1,
            chart(BY_CODE["checks-missed"], [(u.name, per_unit.get(u.pk, {})) for u in unit_rows]),
        )
        board.charts[1].title = "Missed checks by unit"
    return board


def lead_units(user: Any) -> list[Unit]:
    """The active units whose dashboards the user may open (their own units; the director:
    every unit), by site and name."""
    from pillars.core import policy

    actor = policy.actor_for(user)
    units = in_organization(Unit.objects.filter(is_active=True), actor)
    if not actor.is_org_wide:
        units = units.filter(pk__in=actor.unit_ids)
    return [
        u
        for u in units.select_related("site").order_by("site__name", "name")
        if policy.can(actor, "insights.view_unit", u)
    ]


def unit_links(user: Any, unit: Unit) -> dict[str, str]:
    """Where each of a unit's figures drills down to: the pages that list the records, whose
    own policies decide what the viewer sees. A figure links only where the viewer may open
    that page for the unit (a role without the integrity report sees the figure unlinked)."""
    from pillars.core import policy

    pages = {
        "integrity": ("rounds.view_integrity", reverse("rounds:integrity", args=[unit.public_id])),
        "incidents": (
            "incidents.list_unit",
            reverse("incidents:incident-unit-list", args=[unit.public_id]),
        ),
        "restraint": (
            "incidents.restraint_report",
            reverse("incidents:restraint-report") + f"?unit={unit.public_id}",
        ),
    }
    figures = {
        "checks-on-time": "integrity",
        "checks-missed": "integrity",
        "late-entries": "integrity",
        "integrity-flags": "integrity",
        "hbips-2": "restraint",
        "hbips-3": "restraint",
        "incidents": "incidents",
        "incidents-injury": "incidents",
    }
    opens = {name: policy.can(user, action, unit) for name, (action, _) in pages.items()}
    return {code: pages[name][1] for code, name in figures.items() if opens[name]}


def scope_of(site: Site | None) -> str:
    return f"site {site.public_id}" if site is not None else "organization"


def whole_of(site: Site | None) -> measures.Whole:
    """Which of the organization's figures a director's board shows (``measures.Whole``)."""
    return ("site", site.pk) if site is not None else measures.ORGANIZATION


def audit_read(
    user: Any, *, what: str, scope: str, unit_ids: list[int], fmt: str = "", staff: int = 0
) -> None:
    """Every dashboard read is on the record: who, which dashboard, which units."""
    audit.record(
        actor=user,
        action=Action.VIEW,
        object_type="insights.dashboard",
        object_id=what,
        purpose=Purpose.OPERATIONS,
        detail={
            "scope": scope,
            "units": len(unit_ids),
            **({"format": fmt} if fmt else {}),
            **({"staff": staff} if staff else {}),
        },
    )


WORKFORCE_LINKS = {
    "credentials": ("workforce.view_compliance", "workforce:compliance"),
    "trainings": ("workforce.view_compliance", "workforce:compliance"),
    "supervision": ("workforce.supervise", "workforce:supervision-week"),
    "caseloads": ("workforce.view_caseload_balance", "workforce:caseload-balance"),
    "turnover": ("workforce.view_retention", "workforce:retention"),
    "retention": ("workforce.view_retention", "workforce:retention"),
}


def workforce(user: Any, unit_ids: list[int] | None) -> measures.WorkforceFigures:
    """The workforce measures of the scope, each linked to the workforce page that lists the
    records when the viewer may open it (that page's own policy decides)."""
    from pillars.core import policy

    found = measures.workforce_figures(unit_ids, clock.now(), organization_for(user))
    for i, figure in enumerate(found.figures):
        action, name = WORKFORCE_LINKS[figure.code]
        if policy.can(user, action):
            found.figures[i] = replace(figure, link=reverse(name))
    return found
