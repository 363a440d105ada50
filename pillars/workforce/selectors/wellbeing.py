"""Workforce reads: wellbeing, scoped by the policy layer and audited.

One's own rows (exposure counts, invitations, check-ins) come through the "own rows" scope.
Everything a supervisor or leader reads is an aggregate, released once per partition and period
through the shared suppression helper, and only in ways that cannot single anyone out:

- **No group under the threshold** (5 on screen, 11 in exports), and **its complement**: when a
  total is shown beside the parts, one more part is hidden so the total minus the shown parts
  never gives a hidden part back (core.suppression).
- **No narrower filter**: the only choices are the level (team, unit, organization) and a
  **completed quarter**; every other parameter is refused. Suppression is computed over the
  whole partition (every team, or every unit, and the organization) whoever asks, and each
  viewer is shown a subset of that one release, so two viewers' pages cannot be combined into
  more than the release holds.
- **No difference over time**: a quarter is offered only once it has ended, and each check-in
  counts in the unit and team it was answered in (stored on it), so a quarter's figures never
  change after release and asking again tells nothing new.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, QuerySet
from django.http import Http404

from pillars.audit.choices import Category
from pillars.core import clock, policy, suppression
from pillars.core.entry import get_for
from pillars.core.suppression import Audience
from pillars.incidents.models.incidents import ExposureKind
from pillars.people.models import Organization, Staff, StaffHomeUnit, Unit
from pillars.people.selectors import employed_q
from pillars.people.tenancy import in_organization, organization_for
from pillars.workforce.models.wellbeing import (
    CheckIn,
    CheckInInstrument,
    EmployeeAssistance,
    ExposureEvent,
    Invitation,
    InvitationStatus,
    SelfCareResource,
)
from pillars.workforce.services.staff_audit import audit_operations_read

MIN_GROUP = suppression.threshold("screen")
LEVELS = ("team", "unit", "organization")
QUARTERS_OFFERED = 4


def _audit_view(user: Any, object_type: str, object_id: str, **detail: Any) -> None:
    actor = policy.actor_for(user)
    audit_operations_read(actor.user, object_type, object_id, detail, category=Category.WELLBEING)


# --- One's own ------------------------------------------------------------------------------


def my_exposure_counts(user: Any) -> dict[str, int]:
    """The acting staff member's own exposure counts by kind (a wellbeing read, audited)."""
    actor = policy.require(user, "workforce.view_own_wellbeing")
    rows = (
        policy.restrict(ExposureEvent.objects.all(), user, "workforce.view_own_wellbeing")
        .values("kind")
        .annotate(n=Count("pk"))
    )
    found = {r["kind"]: r["n"] for r in rows}
    _audit_view(user, "workforce.exposureevent", f"staff:{actor.staff_pk}", what="own counts")
    return {kind: found.get(kind, 0) for kind in ExposureKind.values}


def my_invitations(user: Any) -> QuerySet[Invitation]:
    return policy.restrict(
        Invitation.objects.select_related("instrument"), user, "workforce.view_own_wellbeing"
    )


def my_check_ins(user: Any) -> list[CheckIn]:
    """The acting staff member's own check-ins, newest first (audited as one read)."""
    actor = policy.require(user, "workforce.view_own_wellbeing")
    rows = list(
        policy.restrict(
            CheckIn.objects.select_related("instrument"), user, "workforce.view_own_wellbeing"
        )
    )
    _audit_view(user, "workforce.checkin", f"staff:{actor.staff_pk}", count=len(rows))
    return rows


def get_invitation_for(user: Any, public_id: Any, action: str) -> Invitation:
    return get_for(Invitation.objects.select_related("instrument", "rule"), user, public_id, action)


def get_check_in_for(user: Any, public_id: Any) -> CheckIn:
    found = get_for(
        CheckIn.objects.select_related("instrument"),
        user,
        public_id,
        "workforce.view_own_wellbeing",
    )
    _audit_view(user, "workforce.checkin", str(found.public_id))
    return found


def instruments() -> QuerySet[CheckInInstrument]:
    return CheckInInstrument.objects.filter(is_active=True).prefetch_related("items")


def get_instrument(code: str) -> CheckInInstrument:
    found = instruments().filter(code=code).first()
    if found is None:
        raise Http404("Not found")
    return found


def organization_of(user: Any) -> Organization | None:
    """The organization the staff member works for (a float or a new hire without a home unit
    too); None for someone who is not staff."""
    organization_id = policy.actor_for(user).organization_id
    if organization_id is None:
        return None
    return Organization.objects.filter(pk=organization_id).first()


@dataclass(frozen=True)
class Support:
    resources: list[SelfCareResource]
    assistance: EmployeeAssistance | None


def support_for(user: Any) -> Support:
    """Self-care resources and the employee assistance contact of the user's organization."""
    org = organization_of(user)
    if org is None:
        return Support([], None)
    return Support(
        list(SelfCareResource.objects.filter(organization=org, is_active=True)),
        EmployeeAssistance.objects.filter(organization=org).first(),
    )


# --- Quarters -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Quarter:
    start: date
    end: date  # exclusive

    @property
    def key(self) -> str:
        return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"

    @property
    def label(self) -> str:
        last = self.end - timedelta(days=1)
        return f"{self.key} ({self.start:%d %b} to {last:%d %b %Y})"


def quarter_of(day: date) -> Quarter:
    start = date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    end = date(start.year + 1, 1, 1) if start.month == 10 else date(start.year, start.month + 3, 1)
    return Quarter(start, end)


def completed_quarters(today: date, count: int = QUARTERS_OFFERED) -> list[Quarter]:
    """The last ``count`` quarters that have ended, newest first."""
    found: list[Quarter] = []
    current = quarter_of(today)
    while len(found) < count:
        current = quarter_of(current.start - timedelta(days=1))
        found.append(current)
    return found


# --- Aggregates -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Group:
    key: str
    label: str
    respondents: int
    check_ins: int
    means: dict[str, float] | None  # None: hidden, for the reason in ``hidden``
    hidden: str = ""  # suppression.SMALL or suppression.COMPLEMENT

    @property
    def is_suppressed(self) -> bool:
        return self.means is None


@dataclass(frozen=True)
class Release:
    level: str
    quarter: Quarter
    subscales: dict[str, str]
    groups: list[Group]
    total: Group
    minimum: int
    own_team_key: str | None = None


def _partition_key(level: str, row: dict[str, Any]) -> str:
    if level == "team":
        return f"team:{row['supervisor_id']}" if row["supervisor_id"] else "team:none"
    return f"unit:{row['unit_id']}" if row["unit_id"] else "unit:none"


def _release(
    level: str, quarter: Quarter, audience: Audience, organization_id: int
) -> tuple[list[Group], Group]:
    """The organization's whole partition for one level and quarter, suppressed once for
    everyone in it."""
    # The organization's days (clock.organization_today).
    zone = ZoneInfo(settings.PILLARS_DEFAULT_TIME_ZONE)
    rows: list[dict[str, Any]] = [
        dict(row)
        for row in CheckIn.objects.filter(organization_id=organization_id)
        .filter(answered_at__gte=datetime.combine(quarter.start, time(0), tzinfo=zone))
        .filter(answered_at__lt=datetime.combine(quarter.end, time(0), tzinfo=zone))
        .values("staff_id", "unit_id", "supervisor_id", "scores")
    ]
    by_group: dict[str, list[dict[str, Any]]] = defaultdict(list)
    if level != "organization":
        for row in rows:
            by_group[_partition_key(level, row)].append(row)
    labels = _labels(level, by_group)
    respondents = len({r["staff_id"] for r in rows})
    total_hidden = suppression.suppressed({"all": respondents}, audience, total_shown=False)
    hidden = _hidden_across_levels(rows, audience, total_shown=not total_hidden)
    groups = [
        _group(key, labels[key], by_group[key], hidden.get(key, ""))
        for key in sorted(by_group, key=lambda k: labels[k])
    ]
    total = _group("all", "The whole organization", rows, total_hidden.get("all", ""))
    return groups, total


def _hidden_across_levels(
    rows: list[dict[str, Any]], audience: Audience, *, total_shown: bool
) -> dict[str, str]:
    """Which teams and units to hide, and why, so that no small group of either level can be
    worked out from the shown groups of both levels and the total together.

    Teams and units are two cuts of the same check-ins: a unit's sums minus the sums of the
    teams shown inside it can give back a team hidden on the team page. Each check-in lies in
    one cell (its team, its unit); every shown group (and the total) is a sum of cells, and a
    small group's sums can be worked out exactly when its cells are a combination of shown
    groups'. While one can, the smallest group still shown is hidden too."""
    cells: dict[str, set[tuple[str, str]]] = defaultdict(set)
    members: dict[str, set[int]] = defaultdict(set)
    for row in rows:
        cell = (_partition_key("team", row), _partition_key("unit", row))
        for key in cell:
            cells[key].add(cell)
            members[key].add(row["staff_id"])
    sizes = {key: len(staff) for key, staff in members.items()}
    hidden: dict[str, str] = {}
    for level in ("team", "unit"):
        part = {k: n for k, n in sizes.items() if k.startswith(f"{level}:")}
        hidden.update(suppression.suppressed(part, audience, total_shown=total_shown))
    if not total_shown:
        return hidden
    return suppression.suppressed_across(cells, sizes, hidden)


def _labels(level: str, by_group: dict[str, list[dict[str, Any]]]) -> dict[str, str]:
    ids = [int(k.split(":")[1]) for k in by_group if not k.endswith(":none")]
    if level == "team":
        names = dict(Staff.objects.filter(pk__in=ids).values_list("pk", "display_name"))
        labels = {f"team:{pk}": f"Team of {name}" for pk, name in names.items()}
        labels["team:none"] = "No supervisor named"
    else:
        names = dict(Unit.objects.filter(pk__in=ids).values_list("pk", "name"))
        labels = {f"unit:{pk}": name for pk, name in names.items()}
        labels["unit:none"] = "No home unit"
    return labels


def _group(key: str, label: str, rows: list[dict[str, Any]], hidden: str) -> Group:
    respondents = len({r["staff_id"] for r in rows})
    if hidden or not rows:
        return Group(key, label, respondents, len(rows), None if hidden else {}, hidden)
    sums: dict[str, list[float]] = defaultdict(list)
    for row in rows:
        for code, value in (row["scores"] or {}).items():
            sums[code].append(float(value))
    means = {code: round(sum(v) / len(v), 1) for code, v in sums.items()}
    return Group(key, label, respondents, len(rows), means)


def _visible_groups(actor: Any, level: str, groups: list[Group]) -> list[Group]:
    if actor.is_org_wide:
        return groups
    if level == "team":
        return [g for g in groups if g.key == f"team:{actor.staff_id}"]
    if level == "unit":
        return [g for g in groups if g.key in {f"unit:{u}" for u in actor.unit_ids}]
    return []


def check_in_aggregates(
    user: Any,
    *,
    level: str = "team",
    quarter: str | None = None,
    audience: Audience = "screen",
) -> Release:
    """Mean check-in scores of a level's groups for one completed quarter, as the viewer may see
    them: a supervisor their own team and units, the director every group; always the whole
    organization's line. Unknown levels or quarters are refused (404), never narrowed to."""
    action = (
        "workforce.export_wellbeing_aggregate"
        if audience == "export"
        else "workforce.view_wellbeing_aggregate"
    )
    actor = policy.require(user, action)
    if level not in LEVELS:
        raise Http404("Not found")
    offered = {q.key: q for q in completed_quarters(clock.organization_today())}
    chosen = offered.get(quarter) if quarter else next(iter(offered.values()))
    if chosen is None:
        raise Http404("Not found")
    groups, total = _release(level, chosen, audience, organization_for(actor))
    subscales: dict[str, str] = {}
    for instrument in CheckInInstrument.objects.filter(is_active=True):
        subscales.update(instrument.subscales or {})
    _audit_view(
        user, "workforce.checkin", "aggregate", level=level, quarter=chosen.key, audience=audience
    )
    return Release(
        level=level,
        quarter=chosen,
        subscales=subscales,
        groups=_visible_groups(actor, level, groups),
        total=total,
        minimum=suppression.threshold(audience),
        own_team_key=f"team:{actor.staff_id}" if level == "team" else None,
    )


@dataclass(frozen=True)
class ExposureGroup:
    label: str
    staff_count: int
    counts: dict[str, int] | None  # None: hidden, for the reason in `hidden`
    hidden: str = ""  # suppression.SMALL or suppression.COMPLEMENT

    @property
    def is_suppressed(self) -> bool:
        return self.counts is None


def _exposure_group(
    label: str, staff_count: int, found: dict[str, int], hidden: str = ""
) -> ExposureGroup:
    if hidden:
        return ExposureGroup(label, staff_count, None, hidden)
    return ExposureGroup(label, staff_count, {k: found.get(k, 0) for k in ExposureKind.values})


def exposure_aggregates(user: Any) -> list[ExposureGroup]:
    """Exposure counts by unit (the unit each exposure was recorded in, so nobody's leaving or
    moving changes a unit's figures) and over all the organization's units; a unit with fewer
    than five staff (whose home unit it is) is shown only as such, and one more beside it when
    the total would give it back. Suppression is computed once over the whole organization,
    whoever asks, and each viewer is shown their units of that one release: two viewers' pages
    cannot be subtracted from each other."""
    actor = policy.require(user, "workforce.view_wellbeing_aggregate")
    units = list(in_organization(Unit.objects.order_by("name"), actor))
    today = clock.organization_today()
    members: dict[int, set[int]] = {}
    for unit_id, staff_id in StaffHomeUnit.objects.filter(
        unit__in=units, staff__in=Staff.objects.filter(employed_q(today))
    ).values_list("unit_id", "staff_id"):
        members.setdefault(unit_id, set()).add(staff_id)
    everyone = set().union(*members.values()) if members else set()
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    for row in (
        ExposureEvent.objects.filter(unit__in=units)
        .values("unit_id", "kind")
        .annotate(n=Count("pk"))
    ):
        counts[row["unit_id"]][row["kind"]] = row["n"]
    overall: dict[str, int] = defaultdict(int)
    for found in counts.values():
        for kind, n in found.items():
            overall[kind] += n
    total_hidden = suppression.suppressed({"all": len(everyone)}, "screen", total_shown=False)
    hidden = suppression.suppressed(
        {u.pk: len(members.get(u.pk, ())) for u in units}, "screen", total_shown=not total_hidden
    )
    visible = units if actor.is_org_wide else [u for u in units if u.pk in actor.unit_ids]
    groups = [
        _exposure_group(u.name, len(members.get(u.pk, ())), counts[u.pk], hidden.get(u.pk, ""))
        for u in visible
    ]
    groups.append(
        _exposure_group(
            # The director sees every unit beside it; anyone else, only theirs.
            "All of these units" if actor.is_org_wide else "All units of the organization",
            len(everyone),
            overall,
            total_hidden.get("all", ""),
        )
    )
    _audit_view(user, "workforce.exposureevent", "aggregate", groups=len(groups))
    return groups


def open_invitation_count(user: Any) -> int:
    return my_invitations(user).filter(status=InvitationStatus.OPEN).count()
