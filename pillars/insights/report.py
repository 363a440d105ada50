"""The monthly quality report (PDF) for the director's scope and one month: every measure with
its definition and its figure for the month and the month before, HBIPS-2 and -3 in their age
strata, the units' headline figures and the workforce measures. Built from the summary tables
(and workforce's own rules for the workforce measures); it leaves by the one export door."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.conf import settings

from pillars.core import clock
from pillars.core.pdf import FAMILY, document, printable, writer
from pillars.insights import measures
from pillars.insights.compute import STRATA, STRATUM_LABELS
from pillars.insights.dashboards import month_label
from pillars.insights.measures import HEADLINE, MEASURES, WorkforceFigures
from pillars.people.models import Unit

MONTHS_OFFERED = 12


def months_offered(today: date | None = None) -> list[tuple[str, str]]:
    """("YYYY-MM", label) of the last ended months, newest first, then this month so far."""
    today = today or clock.today_in(settings.PILLARS_DEFAULT_TIME_ZONE)
    found = []
    day = today.replace(day=1)
    for _ in range(MONTHS_OFFERED):
        day = (day - timedelta(days=1)).replace(day=1)
        found.append((f"{day:%Y-%m}", month_label(day.year, day.month)))
    found.append((f"{today:%Y-%m}", f"{month_label(today.year, today.month)} (so far)"))
    return found


def parse_month(value: str, today: date | None = None) -> date | None:
    """The first day of an offered month, or None."""
    offered = dict(months_offered(today))
    if value not in offered:
        return None
    return date(int(value[:4]), int(value[5:7]), 1)


def _month_end(first: date) -> date:
    return (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)


@dataclass
class MonthlyReport:
    scope: str
    first: date
    last: date
    figures: measures.Sums
    before: measures.Sums
    hbips: measures.HbipsRow
    units: list[tuple[Unit, measures.Sums]]
    workforce: WorkforceFigures
    # The measures whose month, and whose month before, the organization's other figures
    # would give back by subtraction (``measures.hidden_across``, export threshold).
    hidden: set[str] = field(default_factory=set)
    hidden_before: set[str] = field(default_factory=set)


def gather(
    scope: str,
    units: list[Unit],
    first: date,
    staff: WorkforceFigures,
    *,
    whole: measures.Whole = measures.ORGANIZATION,
) -> MonthlyReport:
    """The report of ``units`` (``whole``: the site's or the organization's) for one month."""
    ids = [u.pk for u in units]
    last = _month_end(first)
    previous = (first - timedelta(days=1)).replace(day=1)
    per_unit = measures.by_unit(ids, first, last)
    across = measures.hidden_across(ids, previous, last, "export")

    def hidden(month: date) -> set[str]:
        key = (*whole, (month.year, month.month))
        return {code for code, figures in across.items() if key in figures}

    return MonthlyReport(
        scope,
        first,
        last,
        measures.sums(ids, first, last),
        measures.sums(ids, previous, first - timedelta(days=1)),
        measures.hbips_monthly(ids, first, last)[0],
        [(u, per_unit.get(u.pk, {})) for u in units],
        staff,
        hidden(first),
        hidden(previous),
    )


def _table(pdf: Any, widths: tuple[float, ...], header: list[str], rows: list[list[str]]) -> None:
    scale = pdf.epw / sum(widths)
    pdf.set_font(FAMILY, size=8)
    with pdf.table(
        col_widths=tuple(w * scale for w in widths),
        text_align="LEFT",
        line_height=3.8,
        first_row_as_headings=True,
    ) as table:
        head = table.row()
        for name in header:
            head.cell(printable(name))
        for values in rows:
            row = table.row()
            for value in values:
                row.cell(printable(value))
    pdf.ln(3)


def render(report: MonthlyReport, source: str, notice: tuple[str, ...] = ()) -> bytes:
    month = month_label(report.first.year, report.first.month)
    pdf = document(f"Monthly quality report: {report.scope}, {month}")

    line = writer(pdf, body=10, leading=0.45, gap=1.5)

    line(f"Monthly quality report: {month}", 16, "B", 2)
    line(
        f"Scope: {report.scope}. Days {report.first:%Y-%m-%d} to {report.last:%Y-%m-%d} "
        f"(local days of each unit). Prepared {clock.now():%Y-%m-%d %H:%M} UTC from the summary "
        f"tables. {source}",
        9,
        gap=3,
    )
    line("Measures", 12, "B")
    _table(
        pdf,
        (3, 1.3, 1.3, 6),
        ["Measure", month, "Month before", "Definition"],
        [
            [
                m.name,
                m.format(report.figures, "export", hidden=m.code in report.hidden),
                m.format(report.before, "export", hidden=m.code in report.hidden_before),
                m.definition,
            ]
            for m in MEASURES
        ],
    )
    line("HBIPS-2 and HBIPS-3 by age (per 1,000 patient hours)", 12, "B")
    line(
        f"Patient hours in the month: {report.hbips.patient_hours:,.1f}. "
        '"no data": nobody of that age was placed in the month.',
        9,
    )
    values = report.hbips.values

    def cell(code: str) -> str:
        found = values.get(code)
        return "no data" if found is None else f"{found:.2f}"

    _table(
        pdf,
        (2, 1, 1, 1, 1, 1),
        ["Measure", "Overall", *[f"Ages {STRATUM_LABELS[s]}" for s in STRATA]],
        [
            [name, cell(code), *[cell(f"{code}-{s}") for s in STRATA]]
            for code, name in (("hbips-2", "HBIPS-2 restraint"), ("hbips-3", "HBIPS-3 seclusion"))
        ],
    )
    if report.units:
        line("By unit", 12, "B")
        chosen = [m for m in HEADLINE if not m.code.startswith("hbips")][:6]
        _table(
            pdf,
            (2.2, *[1.0] * len(chosen)),
            ["Unit", *[m.name for m in chosen]],
            [[u.name, *[m.format(sums, "export") for m in chosen]] for u, sums in report.units],
        )
    line("Workforce (on the day the report was prepared)", 12, "B")
    _table(
        pdf,
        (3, 2, 6),
        ["Measure", "Figure", "Definition"],
        [[f.name, f.text, f.definition] for f in report.workforce.figures],
    )
    if report.workforce.roles:
        _table(
            pdf,
            (3, 2, 2),
            ["Role", "Annual turnover", "90-day retention"],
            [[r.group, r.turnover_text, r.retention_text] for r in report.workforce.roles],
        )
    for text in notice:
        line(text, 8)
    return bytes(pdf.output())
