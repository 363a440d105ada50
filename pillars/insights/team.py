"""The supervisor's dashboard: their supervisees' credentials, trainings, supervision cadence
and caseloads (workforce's own selectors and services compute each state), and wellbeing only
as the team's suppressed aggregate (workforce's release through core.suppression: groups under
five hidden on screen, and their complements). Each figure drills down to the workforce page
that lists the records, whose own policy decides what the viewer sees."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import reverse

from pillars.core import clock, policy
from pillars.core.suppression import COMPLEMENT, Audience
from pillars.insights import measures
from pillars.insights.dashboards import Bar, Chart
from pillars.insights.measures import StaffFigure
from pillars.people.models import Staff

COMPLEMENT_TEXT = "Hidden so a smaller group cannot be worked out from the total"


@dataclass
class StaffLine:
    staff: Staff
    link: str
    credentials: str
    trainings_overdue: int
    cadence: str
    caseloads: list[str]


@dataclass
class WellbeingLine:
    label: str
    text: str
    means: list[tuple[str, float | None]] = field(default_factory=list)


@dataclass
class TeamBoard:
    figures: list[StaffFigure]
    lines: list[StaffLine]
    chart: Chart
    wellbeing: list[WellbeingLine]
    wellbeing_quarter: str = ""
    wellbeing_link: str = ""


def _link(user: Any, action: str, name: str, *args: Any) -> str:
    return reverse(name, args=list(args)) if policy.can(user, action) else ""


def _wellbeing(user: Any, audience: Audience) -> tuple[list[WellbeingLine], str]:
    """The team's wellbeing aggregate as the audience may have it: on screen groups under five
    are hidden, in an export groups under eleven (core.suppression); none without the right."""
    from pillars.workforce.selectors.wellbeing import check_in_aggregates

    try:
        release = check_in_aggregates(user, level="team", audience=audience)
    except (PermissionDenied, Http404):
        return [], ""
    hidden = {
        "small": f"Hidden: fewer than {release.minimum} people answered",
        COMPLEMENT: COMPLEMENT_TEXT,
    }
    found = []
    for group in [*release.groups, release.total]:
        if group.means is None:
            found.append(WellbeingLine(group.label, hidden.get(group.hidden, "Hidden")))
        elif not group.means:
            found.append(WellbeingLine(group.label, "Nobody answered"))
        else:
            found.append(
                WellbeingLine(
                    group.label,
                    f"{group.respondents} people, {group.check_ins} check-ins",
                    [(release.subscales.get(c, c), group.means.get(c)) for c in release.subscales],
                )
            )
    return found, release.quarter.key


def build(user: Any, now: datetime, audience: Audience = "screen") -> TeamBoard:
    """The viewer's supervisees (the director: everyone with a supervisor) on ``now``; for an
    ``export`` audience the wellbeing aggregate follows the export threshold."""
    from pillars.workforce.selectors.caseloads import caseload_rows
    from pillars.workforce.selectors.credentials import STATUS_LABELS, credential_compliance
    from pillars.workforce.selectors.supervision import supervisees_of
    from pillars.workforce.services.supervision import cadence_states

    today = clock.organization_today(now)
    staff_qs = supervisees_of(user, today)
    staff = list(staff_qs)
    ids = [s.pk for s in staff]
    compliance = credential_compliance(Staff.objects.filter(pk__in=ids), today)
    states = cadence_states(staff, now)
    caseloads = caseload_rows(staff, today, user=user)
    trainings = measures.training_statuses(ids, today)
    figures = [
        measures.credential_figure_of(compliance),
        measures.training_figure(trainings),
        measures.supervision_figure(states),
        measures.caseload_figure(caseloads),
    ]
    links = {
        "credentials": _link(user, "workforce.view_compliance", "workforce:compliance"),
        "supervision": _link(user, "workforce.supervise", "workforce:supervision-week"),
        "caseloads": _link(user, "workforce.view_caseload_balance", "workforce:caseload-balance"),
    }
    figures = [
        StaffFigure(f.code, f.name, f.definition, f.met, f.counted, f.rate, links.get(f.code, ""))
        for f in figures
    ]
    overdue: dict[int, int] = {}
    for staff_id, status in trainings:
        if status == "overdue":
            overdue[staff_id] = overdue.get(staff_id, 0) + 1
    by_staff: dict[int, list[str]] = {}
    for row in caseloads:
        by_staff.setdefault(row.staff.pk, []).append(
            f"{row.kind_label}: {row.count}"
            + (f" of {row.limit}" if row.limit is not None else "")
            + f" ({row.status_label.lower()})"
        )
    lines = [
        StaffLine(
            s,
            reverse("workforce:staff-credentials", args=[s.public_id]),
            STATUS_LABELS[compliance[s.pk].status] if s.pk in compliance else "None required",
            overdue.get(s.pk, 0),
            states[s.pk].label,
            by_staff.get(s.pk, []),
        )
        for s in staff
    ]
    bars = [Bar(f.name, f.value, f.text) for f in figures]
    chart = Chart(
        "team-compliance",
        "Your team against its standards",
        "Each bar is a share of 100%: credentials, trainings, supervision and caseloads.",
        "%",
        bars,
    )
    wellbeing, quarter = _wellbeing(user, audience)
    return TeamBoard(
        figures,
        lines,
        chart,
        wellbeing,
        quarter,
        _link(user, "workforce.view_wellbeing_aggregate", "workforce:wellbeing-aggregate"),
    )
