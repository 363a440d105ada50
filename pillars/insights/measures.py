"""The standard measures, each a small object: a name, the definition printed beside the
figure, and its value over the summary tables (sums of ``UnitDay`` rows, never raw records).

HBIPS-2 and HBIPS-3 (The Joint Commission's Hospital-Based Inpatient Psychiatric Services
measures; DESIGN.md facts): physical restraint, and seclusion, hours per 1,000 patient hours,
here from seconds of restraint and census (not rounded hours or midnight census days), monthly,
overall and in the four age strata 1-12, 13-17, 18-64 and 65+.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import IntegerField, Sum
from django.db.models.functions import Coalesce, ExtractMonth, ExtractYear

from pillars.insights.compute import STRATA, STRATUM_LABELS
from pillars.insights.models import FIGURES, UnitDay

Sums = dict[str, int]


def _total(sums: Sums, *names: str) -> int:
    return sum(sums.get(name, 0) for name in names)


def _rate(numerator: int, denominator: int, scale: float = 1.0) -> float | None:
    return numerator / denominator * scale if denominator else None


def _patient(sums: Sums, strata: Collection[str] = STRATA) -> int:
    return _total(sums, *(f"patient_seconds_{s}" for s in strata))


@dataclass(frozen=True)
class Measure:
    """One measure: ``value`` answers None when its denominator is empty."""

    code: str
    name: str
    definition: str
    unit: str
    value: Callable[[Sums], float | None]
    # The summary figures the measure reads (what a drill-down lists).
    figures: tuple[str, ...] = ()
    # Lower is better (how a trend is described in words, never by color alone).
    lower_is_better: bool = False

    def format(self, sums: Sums) -> str:
        found = self.value(sums)
        if found is None:
            return "no data"
        if self.unit == "%":
            return f"{found:.1f}%"
        if self.unit == "count":
            return f"{found:,.0f}"
        return f"{found:,.2f}"


def hbips(kind: str, strata: Collection[str] = STRATA) -> Callable[[Sums], float | None]:
    def value(sums: Sums) -> float | None:
        hours = _total(sums, *(f"{kind}_seconds_{s}" for s in strata))
        return _rate(hours, _patient(sums, strata), 1000.0)

    return value


def _hbips_measures() -> list[Measure]:
    found = []
    for kind, code, what in (
        ("restraint", "hbips-2", "Physical restraint"),
        ("seclusion", "hbips-3", "Seclusion"),
    ):
        found.append(
            Measure(
                code,
                f"{code.upper()}: {what.lower()} hours per 1,000 patient hours",
                f"{what} time (every episode, to the second, open ones up to now) divided by "
                "the time persons served were placed on the unit, times 1,000. Counted in "
                "minutes and seconds, not rounded hours or midnight census.",
                "per 1,000 patient hours",
                hbips(kind),
                (f"{kind}_starts",),
                lower_is_better=True,
            )
        )
        for group in STRATA:
            found.append(
                Measure(
                    f"{code}-{group}",
                    f"{code.upper()}, ages {STRATUM_LABELS[group]}",
                    f"{what} time of persons served aged {STRATUM_LABELS[group]} (age on the "
                    "day, in the unit's zone) per 1,000 patient hours of the same ages.",
                    "per 1,000 patient hours",
                    hbips(kind, (group,)),
                    (f"{kind}_starts",),
                    lower_is_better=True,
                )
            )
    return found


MEASURES: list[Measure] = [
    Measure(
        "checks-on-time",
        "Checks on time",
        "Checks recorded within the level's grace (1.5 intervals by default, 22.5 minutes for "
        "q15) as a share of the checks due. A check is due an interval after the last one "
        "(paused time does not count); every interval that passes the grace with no check is "
        "one missed check.",
        "%",
        lambda s: _rate(_total(s, "checks_on_time", "checks_late"), s.get("checks_due", 0), 100),
        ("checks_due", "checks_on_time", "checks_late", "checks_missed"),
    ),
    Measure(
        "checks-missed",
        "Missed checks",
        "Checks due that no observation answered within the grace.",
        "count",
        lambda s: s.get("checks_missed", 0),
        ("checks_missed",),
        lower_is_better=True,
    ),
    Measure(
        "late-entries",
        "Late entries",
        "Checks entered more than 10 minutes after the observation (each carries a reason).",
        "count",
        lambda s: s.get("late_entries", 0),
        ("late_entries",),
        lower_is_better=True,
    ),
    Measure(
        "integrity-flags",
        "Back-filled checks",
        "Checks entered more than 30 minutes after the observation they describe: written "
        "from memory of a whole round or more, so the integrity report shows them again.",
        "count",
        lambda s: s.get("backfilled", 0),
        ("backfilled",),
        lower_is_better=True,
    ),
    Measure(
        "escalations",
        "Escalations",
        "Overdue-check alerts sent up the unit's escalation chain (one per person alerted).",
        "count",
        lambda s: s.get("escalations", 0),
        ("escalations",),
        lower_is_better=True,
    ),
    Measure(
        "escalation-answer",
        "Minutes to answer an escalation",
        "Average minutes from an escalation falling due to its acknowledgement, over the "
        "escalations acknowledged.",
        "minutes",
        lambda s: _rate(
            s.get("escalation_answer_seconds", 0), s.get("escalations_answered", 0), 1 / 60
        ),
        ("escalations", "escalations_answered"),
        lower_is_better=True,
    ),
    *_hbips_measures(),
    Measure(
        "restraint-episodes",
        "Restraint and seclusion episodes",
        "Physical holds, mechanical restraints and seclusions started.",
        "count",
        lambda s: _total(s, "restraint_starts", "seclusion_starts"),
        ("restraint_starts", "seclusion_starts"),
        lower_is_better=True,
    ),
    Measure(
        "incidents",
        "Incidents",
        "Incident reports submitted (drafts are not counted), by when the incident happened.",
        "count",
        lambda s: s.get("incidents", 0),
        ("incidents",),
        lower_is_better=True,
    ),
    Measure(
        "incidents-injury",
        "Incidents with an injury",
        "Submitted incidents with at least one injury recorded (person served or staff).",
        "count",
        lambda s: s.get("incidents_with_injury", 0),
        ("incidents_with_injury",),
        lower_is_better=True,
    ),
    Measure(
        "peer-encounters",
        "Peer encounters",
        "Signed peer support encounters the person attended (voided ones are not counted).",
        "count",
        lambda s: s.get("peer_encounters", 0),
        ("peer_encounters", "peer_encounter_minutes"),
    ),
    Measure(
        "referrals-closed",
        "Referrals closed",
        "Referrals that reached an end (completed, not accepted, cancelled or did not happen).",
        "count",
        lambda s: s.get("referrals_closed", 0),
        ("referrals_closed",),
    ),
    Measure(
        "referral-days",
        "Days to close a referral",
        "Average days from sending a referral (or writing it, if never sent) to its close.",
        "days",
        lambda s: _rate(
            s.get("referral_close_seconds", 0), s.get("referrals_closed", 0), 1 / 86400
        ),
        ("referrals_closed",),
        lower_is_better=True,
    ),
    Measure(
        "barc-change",
        "BARC-10 change",
        "Average change in the BARC-10 total (10-60) since the person's previous assessment; "
        "a reference line, not a target.",
        "points",
        lambda s: _rate(s.get("barc_change_hundredths", 0), s.get("barc_changes", 0), 0.01),
        ("barc_changes",),
    ),
]
BY_CODE = {m.code: m for m in MEASURES}
# The measures a dashboard shows first (HBIPS strata are in their own table).
HEADLINE = [
    BY_CODE[c]
    for c in (
        "checks-on-time",
        "checks-missed",
        "late-entries",
        "integrity-flags",
        "escalation-answer",
        "hbips-2",
        "hbips-3",
        "incidents",
        "incidents-injury",
        "peer-encounters",
        "referrals-closed",
        "barc-change",
    )
]


def _sum_expressions() -> dict[str, Coalesce]:
    return {name: Coalesce(Sum(name), 0, output_field=IntegerField()) for name in FIGURES}


def sums(unit_ids: Collection[int], first: date, last: date) -> Sums:
    """The units' figures summed over the local days ``first`` to ``last``."""
    rows = UnitDay.objects.filter(unit_id__in=list(unit_ids), day__gte=first, day__lte=last)
    return dict(rows.aggregate(**_sum_expressions()))


def by_month(unit_ids: Collection[int], first: date, last: date) -> dict[tuple[int, int], Sums]:
    """(year, month) -> the units' figures summed over the month's local days."""
    rows = (
        UnitDay.objects.filter(unit_id__in=list(unit_ids), day__gte=first, day__lte=last)
        .annotate(y=ExtractYear("day"), m=ExtractMonth("day"))
        .values("y", "m")
        .annotate(**_sum_expressions())
        .order_by("y", "m")
    )
    found: dict[tuple[int, int], Sums] = {}
    for row in rows:
        values: dict[str, Any] = dict(row)
        found[(values.pop("y"), values.pop("m"))] = values
    return found


def by_unit(unit_ids: Collection[int], first: date, last: date) -> dict[int, Sums]:
    rows = (
        UnitDay.objects.filter(unit_id__in=list(unit_ids), day__gte=first, day__lte=last)
        .values("unit_id")
        .annotate(**_sum_expressions())
        .order_by()
    )
    found: dict[int, Sums] = {}
    for row in rows:
        values: dict[str, Any] = dict(row)
        found[values.pop("unit_id")] = values
    return found


def months_of(first: date, last: date) -> list[tuple[int, int]]:
    found, (y, m) = [], (first.year, first.month)
    while (y, m) <= (last.year, last.month):
        found.append((y, m))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return found


@dataclass
class HbipsRow:
    year: int
    month: int
    patient_hours: float
    values: dict[str, float | None]  # "hbips-2", "hbips-2-child", ...


def hbips_monthly(unit_ids: Collection[int], first: date, last: date) -> list[HbipsRow]:
    """HBIPS-2 and -3 for each month, overall and in each stratum."""
    monthly = by_month(unit_ids, first, last)
    found = []
    for key in months_of(first, last):
        figures = monthly.get(key, {})
        values = {
            m.code: m.value(figures) for m in MEASURES if m.code.startswith(("hbips-2", "hbips-3"))
        }
        found.append(HbipsRow(key[0], key[1], _patient(figures) / 3600, values))
    return found
