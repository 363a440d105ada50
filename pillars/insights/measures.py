"""The standard measures, each a small object: a name, the definition printed beside the
figure, and its value over the summary tables (sums of ``UnitDay`` rows, never raw records).

HBIPS-2 and HBIPS-3 (The Joint Commission's Hospital-Based Inpatient Psychiatric Services
measures; DESIGN.md facts): physical restraint, and seclusion, hours per 1,000 patient hours,
here from seconds of restraint and census (not rounded hours or midnight census days), monthly,
overall and in the four age strata 1-12, 13-17, 18-64 and 65+.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Hashable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db.models import IntegerField, Sum
from django.db.models.functions import Coalesce, ExtractMonth, ExtractYear

from pillars.core import clock, suppression
from pillars.core.suppression import Audience
from pillars.insights.compute import STRATA, STRATUM_LABELS
from pillars.insights.models import FIGURES, UnitDay
from pillars.people.models import Staff, Unit
from pillars.people.selectors import employed_q
from pillars.workforce.models.trainings import TrainingAssignment, TrainingCompletion
from pillars.workforce.selectors.caseloads import caseload_rows
from pillars.workforce.selectors.credentials import LAPSED, credential_compliance
from pillars.workforce.selectors.retention import quarters_back, retention_90, turnover
from pillars.workforce.services.supervision import cadence_states

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
    # The summary figure counting the persons' own scores a measure averages (the BARC-10
    # change): under the small-cell threshold the figure is a person's own score, and from a
    # substance-use program a Part 2 record's content, so it is hidden ("Small cells").
    cases: str = ""

    def is_small(self, sums: Sums, audience: Audience = "screen") -> bool:
        return bool(self.cases) and 0 < sums.get(self.cases, 0) < suppression.threshold(audience)

    def format(self, sums: Sums, audience: Audience = "screen", *, hidden: bool = False) -> str:
        """The figure as text; hidden when too few cases are behind it, or when ``hidden``
        (a complement: see ``hidden_cells``)."""
        if self.is_small(sums, audience):
            return f"hidden (fewer than {suppression.threshold(audience)})"
        if hidden:
            return HIDDEN_COMPLEMENT
        found = self.value(sums)
        if found is None:
            return "no data"
        if self.unit == "%":
            return f"{found:.1f}%"
        if self.unit == "count":
            return f"{found:,.0f}"
        return f"{found:,.2f}"


HIDDEN_COMPLEMENT = "hidden (a smaller figure could be worked out from it)"


def hidden_cells[K: Hashable](
    measure: Measure, cells: Mapping[K, Sums], audience: Audience = "screen"
) -> set[K]:
    """The cells (months, units) of a measure with cases to hide beside their total: those with
    too few cases, and one more when the total minus the shown cells would give one back."""
    if not measure.cases:
        return set()
    counts = {key: sums.get(measure.cases, 0) for key, sums in cells.items()}
    total_shown = not measure.is_small({measure.cases: sum(counts.values())}, audience)
    return set(suppression.suppressed(counts, audience, total_shown=total_shown))


# Where a figure of a measure is shown: a unit's, a site's or the whole organization's
# ("organization", None), for one month ((year, month)) or for the whole period (None).
Whole = tuple[str, int | None]
Figure = tuple[str, int | None, tuple[int, int] | None]
ORGANIZATION: Whole = ("organization", None)


def hidden_across(
    unit_ids: Collection[int], first: date, last: date, audience: Audience = "screen"
) -> dict[str, set[Figure]]:
    """For each measure with cases, the figures to hide on every scope of the organization of
    ``unit_ids`` at once: a unit's, a site's and the organization's, for each month and for
    the period. A unit's month hidden on its own dashboard (too few cases) came back as the
    organization's month minus the other units' (an average with its few cases, which the
    denominators of two averages shown give away), so the groups are hidden together
    (``core.suppression.suppressed_across``) over the (unit, month) cells they add up; every
    viewer gets the same decision."""
    cased = [m for m in MEASURES if m.cases]
    organization = (
        Unit.objects.filter(pk__in=list(unit_ids)).values_list("site__organization_id", flat=True)
    ).first()
    if not cased or organization is None:
        return {}
    sites = dict(
        Unit.objects.filter(site__organization_id=organization, is_active=True).values_list(
            "pk", "site_id"
        )
    )
    rows = list(
        UnitDay.objects.filter(unit_id__in=list(sites), day__gte=first, day__lte=last)
        .annotate(y=ExtractYear("day"), m=ExtractMonth("day"))
        .values("unit_id", "y", "m")
        .annotate(**{m.cases: Sum(m.cases) for m in cased})
        .order_by()
    )
    found: dict[str, set[Figure]] = {}
    for measure in cased:
        cells: dict[Figure, set[tuple[int, tuple[int, int]]]] = {}
        sizes: dict[Figure, int] = {}
        for row in rows:
            values: dict[str, Any] = dict(row)
            count = values[measure.cases] or 0
            if not count:
                continue
            unit, month = values["unit_id"], (values["y"], values["m"])
            for kind, pk in (("unit", unit), ("site", sites[unit]), ORGANIZATION):
                for when in (month, None):
                    cells.setdefault((kind, pk, when), set()).add((unit, month))
                    sizes[(kind, pk, when)] = sizes.get((kind, pk, when), 0) + count
        minimum = suppression.threshold(audience)
        small = {f: suppression.SMALL for f, n in sizes.items() if n < minimum}
        # Nothing small, nothing to hide (and no span to work out).
        found[measure.code] = set(small and suppression.suppressed_across(cells, sizes, small))
    return found


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
        cases="barc_changes",
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


# --- Workforce measures ---------------------------------------------------------------------
# These cannot come from the summary tables: they are states on a day (a credential lapsed, a
# supervision overdue, a caseload over its limit) and counts of hires and exits, which the
# workforce app already computes from its own records in a few grouped queries. They are read
# live through workforce's selectors and services, never recomputed here.

WORKFORCE_SOURCE = (
    "Read live from the workforce records (not the summary tables): a state on the day shown."
)


@dataclass(frozen=True)
class StaffFigure:
    """One workforce measure: ``met`` of ``counted`` (a share), or a rate given outright."""

    code: str
    name: str
    definition: str
    met: int
    counted: int
    rate: float | None = None
    link: str = ""

    @property
    def value(self) -> float | None:
        if self.rate is not None:
            return self.rate
        return _rate(self.met, self.counted, 100)

    @property
    def text(self) -> str:
        found = self.value
        if found is None:
            return "no data"
        if self.rate is not None:
            return f"{found:.1f}%"
        return f"{found:.1f}% ({self.met:,} of {self.counted:,})"


WORKFORCE_DEFINITIONS = {
    "credentials": (
        "Staff whose every credential their roles require is current on the day (expiring "
        "within 90 days still counts as current), of the employed staff whose roles require one. "
    ),
    "trainings": (
        "Assigned courses not overdue on the day (current, due soon, or not yet due), of all "
        "courses assigned to the employed staff. "
    ),
    "supervision": (
        "Supervisees on cadence or due soon under their cadence rule (signed sessions in the "
        "rule's window, with its face-to-face minutes), of the supervisees a rule applies to. "
    ),
    "caseloads": (
        "Caseloads at or under their limit (peers: the recovery caseload limit; technicians "
        "and others: the limit for the kind), of the caseloads that have a limit. "
    ),
    "turnover": (
        "Annual turnover: separations (voluntary and involuntary; transfers left out) in the "
        "last four ended quarters, divided by the mean of the quarters' average headcounts, "
        "as a percentage. "
    ),
    "retention": (
        "90-day retention: of the staff hired in the last four quarters old enough to judge "
        "(transfers left out), the share still employed 90 days after their hire date. "
    ),
}


def credential_figure(staff: Any, today: date) -> StaffFigure:
    """``staff``: a queryset of the staff to count (employed on ``today``)."""
    return credential_figure_of(credential_compliance(staff, today))


def credential_figure_of(rows: dict[int, Any]) -> StaffFigure:
    """The figure from compliance rows already judged (``credential_compliance``)."""
    met = sum(1 for r in rows.values() if r.status != LAPSED)
    return StaffFigure(
        "credentials",
        "Credential compliance",
        WORKFORCE_DEFINITIONS["credentials"] + WORKFORCE_SOURCE,
        met,
        len(rows),
    )


def training_statuses(staff_ids: Collection[int], today: date) -> list[tuple[int, str]]:
    """(staff id, status on ``today``) of every course assigned to the staff (workforce's rule,
    ``TrainingAssignment.status_on``, against the latest completion)."""
    latest: dict[tuple[int, int], Any] = {}
    for done in TrainingCompletion.objects.filter(staff_id__in=list(staff_ids)).order_by(
        "completed_on", "pk"
    ):
        latest[(done.staff_id, done.course_id)] = done
    return [
        (a.staff_id, a.status_on(today, latest.get((a.staff_id, a.course_id))))
        for a in TrainingAssignment.objects.filter(staff_id__in=list(staff_ids))
    ]


def training_figure(statuses: list[tuple[int, str]]) -> StaffFigure:
    return StaffFigure(
        "trainings",
        "Training compliance",
        WORKFORCE_DEFINITIONS["trainings"] + WORKFORCE_SOURCE,
        sum(1 for _, status in statuses if status != "overdue"),
        len(statuses),
    )


def supervision_figure(states: dict[int, Any]) -> StaffFigure:
    ruled = [s for s in states.values() if s.status != "no_rule"]
    met = sum(1 for s in ruled if s.status in ("on_cadence", "due_soon"))
    return StaffFigure(
        "supervision",
        "Supervision on cadence",
        WORKFORCE_DEFINITIONS["supervision"] + WORKFORCE_SOURCE,
        met,
        len(ruled),
    )


def caseload_figure(rows: list[Any]) -> StaffFigure:
    """``rows``: workforce's caseload rows (``caseload_rows``)."""
    limited = [r for r in rows if r.limit is not None]
    met = sum(1 for r in limited if r.count <= r.limit)
    return StaffFigure(
        "caseloads",
        "Caseloads within their limits",
        WORKFORCE_DEFINITIONS["caseloads"] + WORKFORCE_SOURCE,
        met,
        len(limited),
    )


@dataclass(frozen=True)
class RoleLine:
    """Annual turnover and 90-day retention of one role (or the whole organization)."""

    group: str
    separations: int
    average_headcount: float
    hired: int
    retained: int

    @property
    def turnover(self) -> float | None:
        if not self.average_headcount:
            return None
        return self.separations / self.average_headcount * 100

    @property
    def retention(self) -> float | None:
        return _rate(self.retained, self.hired, 100)

    @property
    def turnover_text(self) -> str:
        found = self.turnover
        return "no data" if found is None else f"{found:.1f}%"

    @property
    def retention_text(self) -> str:
        found = self.retention
        return "no data" if found is None else f"{found:.1f}% ({self.retained} of {self.hired})"


def turnover_by_role(today: date, organization_id: int) -> list[RoleLine]:
    """Annual turnover and 90-day retention by role, from workforce's retention selectors (the
    last four ended quarters; a fifth back for hiring cohorts old enough to judge)."""
    quarters = quarters_back(today, 4)
    separations: dict[str, int] = {}
    headcounts: dict[str, list[float]] = {}
    for row in turnover("role", quarters, organization_id):
        separations[row.group] = separations.get(row.group, 0) + row.separations
        headcounts.setdefault(row.group, []).append(row.average_headcount)
    hired: dict[str, int] = {}
    retained: dict[str, int] = {}
    for r in retention_90("role", quarters_back(today, 5), today, organization_id):
        hired[r.group] = hired.get(r.group, 0) + r.hired
        retained[r.group] = retained.get(r.group, 0) + r.retained
    return [
        RoleLine(
            group,
            separations[group],
            sum(headcounts[group]) / len(headcounts[group]),
            hired.get(group, 0),
            retained.get(group, 0),
        )
        for group in separations
    ]


def role_figures(lines: list[RoleLine]) -> list[StaffFigure]:
    """The organization's line as two figures (turnover, retention)."""
    whole = next((line for line in lines if line.group == "The whole organization"), None)
    if whole is None:
        return []
    return [
        StaffFigure(
            "turnover",
            "Annual turnover",
            WORKFORCE_DEFINITIONS["turnover"] + WORKFORCE_SOURCE,
            whole.separations,
            round(whole.average_headcount),
            rate=whole.turnover if whole.turnover is not None else None,
        ),
        StaffFigure(
            "retention",
            "90-day retention",
            WORKFORCE_DEFINITIONS["retention"] + WORKFORCE_SOURCE,
            whole.retained,
            whole.hired,
        ),
    ]


@dataclass
class WorkforceFigures:
    """The workforce measures of a scope on a day, and turnover and retention by role."""

    figures: list[StaffFigure]
    roles: list[RoleLine]


def workforce_figures(
    unit_ids: Collection[int] | None, now: datetime, organization_id: int
) -> WorkforceFigures:
    """The organization's staff employed on ``now``'s day whose home unit is one of
    ``unit_ids`` (None: the whole organization, and only then turnover and retention by role,
    which workforce counts for the organization as a whole)."""
    today = clock.organization_today(now)
    staff_qs = Staff.objects.filter(employed_q(today), organization_id=organization_id)
    if unit_ids is not None:
        staff_qs = staff_qs.filter(home_units__in=list(unit_ids)).distinct()
    staff = list(staff_qs.prefetch_related("roles", "programs").order_by("pk"))
    ids = [s.pk for s in staff]
    supervised = [s for s in staff if s.supervisor_id is not None]
    figures = [
        credential_figure(Staff.objects.filter(pk__in=ids), today),
        training_figure(training_statuses(ids, today)),
        supervision_figure(cadence_states(supervised, now)),
        caseload_figure(caseload_rows(staff, today)),
    ]
    roles = turnover_by_role(today, organization_id) if unit_ids is None else []
    return WorkforceFigures(figures + role_figures(roles), roles)
