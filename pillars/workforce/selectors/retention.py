"""Workforce reads: retention. Turnover and 90-day retention by role, unit and quarter, with
the definitions printed beside the figures (``DEFINITIONS``).

The figures are counts of hires and exits, not anything about a person's wellbeing, so they
are not suppressed (the brief of the workforce issue); they are for the director and
administrators only. Every staff row is read once (with its roles, units and the kind of its
exit), then each group's figures come from sorted date lists by bisection, so ten years of
quarters cost little more than one.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from pillars.core import clock, policy
from pillars.people.models import Role, Staff, StaffHomeUnit, StaffRole, Unit
from pillars.people.tenancy import organization_for
from pillars.workforce.models.retention import ExitInterview, ExitReasonKind, SeparationKind
from pillars.workforce.selectors.wellbeing import Quarter, completed_quarters
from pillars.workforce.services.staff_audit import audit_operations_read

RETENTION_DAYS = 90
BY = ("role", "unit")

DEFINITIONS = {
    "headcount": (
        "Headcount on a day: staff hired on or before that day who had not left by it (a "
        "person leaving on a day no longer counts that day)."
    ),
    "average_headcount": (
        "Average headcount of a quarter: the headcount on its first day plus the headcount on "
        "its last day, divided by two."
    ),
    "separations": (
        "Separations: staff whose last day fell in the quarter, voluntary and involuntary "
        "counted apart by the kind of their exit reason (data); internal transfers are not "
        "separations and are left out."
    ),
    "annualized_turnover": (
        "Annualized turnover: separations divided by average headcount, multiplied by 365 and "
        "divided by the number of days in the quarter, as a percentage."
    ),
    "retention_90": (
        "90-day retention: of the staff hired in a quarter whose 90th day has passed (internal "
        "transfers left out), the share still employed 90 days after their hire date. A "
        "hiring quarter is shown once all its hires are at least 90 days in."
    ),
    "groups": (
        "By role: each of the staff member's roles (someone with two roles counts in both). "
        "By unit: each of their home units. The organization line counts everyone once."
    ),
}


@dataclass
class Member:
    hired_on: date
    exited_on: date | None
    kind: str  # SeparationKind value, or "" while employed


@dataclass
class _Dates:
    """A group's members as sorted date lists, for bisection."""

    hires: list[date] = field(default_factory=list)
    exits: list[date] = field(default_factory=list)  # every exit, transfers included
    by_kind: dict[str, list[date]] = field(default_factory=dict)
    members: list[Member] = field(default_factory=list)

    def add(self, m: Member) -> None:
        self.hires.append(m.hired_on)
        self.members.append(m)
        if m.exited_on is not None:
            self.exits.append(m.exited_on)
            self.by_kind.setdefault(m.kind, []).append(m.exited_on)

    def seal(self) -> None:
        self.hires.sort()
        self.exits.sort()
        for dates in self.by_kind.values():
            dates.sort()

    def headcount(self, day: date) -> int:
        return bisect_right(self.hires, day) - bisect_right(self.exits, day)

    def exits_between(self, kind: str, start: date, end: date) -> int:
        dates = self.by_kind.get(kind, [])
        return bisect_left(dates, end) - bisect_left(dates, start)


@dataclass(frozen=True)
class TurnoverRow:
    group: str
    quarter: Quarter
    headcount_start: int
    headcount_end: int
    voluntary: int
    involuntary: int

    @property
    def average_headcount(self) -> float:
        return (self.headcount_start + self.headcount_end) / 2

    @property
    def separations(self) -> int:
        return self.voluntary + self.involuntary

    @property
    def days(self) -> int:
        return (self.quarter.end - self.quarter.start).days

    def annualized(self, count: int) -> float | None:
        if self.average_headcount == 0:
            return None
        return round(100 * count / self.average_headcount * 365 / self.days, 1)

    @property
    def rate(self) -> float | None:
        return self.annualized(self.separations)

    @property
    def voluntary_rate(self) -> float | None:
        return self.annualized(self.voluntary)

    @property
    def involuntary_rate(self) -> float | None:
        return self.annualized(self.involuntary)


@dataclass(frozen=True)
class RetentionRow:
    group: str
    quarter: Quarter
    hired: int
    retained: int

    @property
    def rate(self) -> float | None:
        return round(100 * self.retained / self.hired, 1) if self.hired else None


def exit_kinds() -> dict[str, str]:
    """Exit reason code -> kind of separation (data); a reason not listed counts voluntary."""
    return dict(ExitReasonKind.objects.filter(is_active=True).values_list("code", "kind"))


def _groups(by: str, organization_id: int) -> dict[str, _Dates]:
    """Every staff member of the organization, once per group of ``by`` and once in the
    organization line."""
    kinds = exit_kinds()
    overrides = dict(
        ExitInterview.objects.filter(reason__isnull=False).values_list("staff_id", "reason__kind")
    )
    members: dict[int, Member] = {}
    for pk, hired_on, exited_on, reason in Staff.objects.filter(
        organization_id=organization_id
    ).values_list("pk", "hired_on", "exited_on", "exit_reason"):
        kind = ""
        if exited_on is not None:
            kind = overrides.get(pk) or kinds.get(reason, SeparationKind.VOLUNTARY)
        members[pk] = Member(hired_on, exited_on, kind)
    groups: dict[str, _Dates] = defaultdict(_Dates)
    links: list[tuple[int, int]]
    if by == "role":
        names = dict(Role.objects.values_list("pk", "name"))
        links = list(
            StaffRole.objects.filter(organization_id=organization_id).values_list(
                "staff_id", "role_id"
            )
        )
    else:
        names = dict(Unit.objects.filter(organization_id=organization_id).values_list("pk", "name"))
        links = list(
            StaffHomeUnit.objects.filter(organization_id=organization_id).values_list(
                "staff_id", "unit_id"
            )
        )
    for staff_id, group_id in links:
        groups[names[group_id]].add(members[staff_id])
    ordered = {name: groups[name] for name in sorted(groups)}
    everyone = _Dates()
    for m in members.values():
        everyone.add(m)
    ordered["The whole organization"] = everyone
    for dates in ordered.values():
        dates.seal()
    return ordered


def quarters_back(today: date, count: int) -> list[Quarter]:
    """The last ``count`` quarters that have ended, oldest first."""
    return completed_quarters(today, count)[::-1]


def turnover(by: str, quarters: list[Quarter], organization_id: int) -> list[TurnoverRow]:
    """Annualized turnover of each group in each quarter (see ``DEFINITIONS``)."""
    rows = []
    for name, dates in _groups(by, organization_id).items():
        for q in quarters:
            last = q.end - timedelta(days=1)
            rows.append(
                TurnoverRow(
                    group=name,
                    quarter=q,
                    headcount_start=dates.headcount(q.start),
                    headcount_end=dates.headcount(last),
                    voluntary=dates.exits_between(SeparationKind.VOLUNTARY, q.start, q.end),
                    involuntary=dates.exits_between(SeparationKind.INVOLUNTARY, q.start, q.end),
                )
            )
    return rows


def retention_90(
    by: str, quarters: list[Quarter], today: date, organization_id: int
) -> list[RetentionRow]:
    """90-day retention of each group's hiring cohort of each quarter old enough to judge."""
    rows = []
    window = timedelta(days=RETENTION_DAYS)
    ripe = [q for q in quarters if q.end - timedelta(days=1) + window <= today]
    for name, dates in _groups(by, organization_id).items():
        for q in ripe:
            cohort = [
                m
                for m in dates.members
                if q.start <= m.hired_on < q.end
                and not (m.kind == SeparationKind.TRANSFER and m.exited_on is not None)
            ]
            retained = sum(
                1 for m in cohort if m.exited_on is None or m.exited_on > m.hired_on + window
            )
            rows.append(RetentionRow(name, q, len(cohort), retained))
    return rows


@dataclass(frozen=True)
class WorkforceView:
    by: str
    quarters: list[Quarter]
    turnover: list[TurnoverRow]
    retention: list[RetentionRow]
    definitions: dict[str, str]


def workforce_view(user: Any, *, by: str = "role", quarters: int = 4) -> WorkforceView:
    """The director's tables: turnover and 90-day retention of the last ``quarters`` ended
    quarters, by role or unit. Audited as a read of staff employment records."""
    actor = policy.require(user, "workforce.view_retention")
    if by not in BY:
        raise ValueError(by)
    today = clock.organization_today()
    chosen = quarters_back(today, quarters)
    # Cohorts need 90 days to ripen: go back one more quarter for them.
    cohorts = quarters_back(today, quarters + 1)
    view = WorkforceView(
        by=by,
        quarters=chosen,
        turnover=turnover(by, chosen, organization_for(actor)),
        retention=retention_90(by, cohorts, today, organization_for(actor)),
        definitions=DEFINITIONS,
    )
    audit_operations_read(
        actor.user, "people.staff", "turnover", {"by": by, "quarters": [q.key for q in chosen]}
    )
    return view


def exits_visible_to(user: Any, since: date) -> list[tuple[Staff, ExitInterview | None]]:
    """Staff of the reader's organization who left since ``since``, with their exit interview
    if any (administrators and the director)."""
    actor = policy.require(user, "workforce.view_retention")
    staff = list(
        Staff.objects.filter(organization_id=organization_for(actor), exited_on__gte=since)
        .prefetch_related("roles")
        .order_by("-exited_on", "pk")
    )
    interviews = {
        i.staff_id: i
        for i in ExitInterview.objects.filter(staff__in=staff).select_related("reason")
    }
    return [(s, interviews.get(s.pk)) for s in staff]
