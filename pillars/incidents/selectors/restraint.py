"""Reads in the restraint area, scoped to the user (out of scope answers 404), and the
HBIPS-2/3 measures.

HBIPS-2 = physical restraint hours per 1,000 patient hours; HBIPS-3 = seclusion hours per 1,000
patient hours (DESIGN.md facts). Patient hours come from the census: the hours each person was
placed on the unit during the month. A month runs from midnight on its first day to midnight on
the first of the next, in the unit's zone; an episode's hours fall in the months (and on the
unit) in which they were spent, so one that crosses midnight at a month's end is split.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import OuterRef, Prefetch, Q, QuerySet, Subquery

from pillars.core import clock, policy, prepared
from pillars.core.entry import get_for
from pillars.incidents.models import (
    EpisodeKind,
    FaceToFace,
    MonitoringCheck,
    RestraintEpisode,
    RestraintOrder,
    RestraintStaff,
    RuleProfile,
    UnitRuleProfile,
    Violation,
)
from pillars.incidents.models.restraint import PHYSICAL_KINDS
from pillars.people.labels import LABEL_COLUMNS
from pillars.people.models import Placement, Unit
from pillars.people.policies import restrict_units
from pillars.people.selectors import record_person_read


def _with_clock_rows(
    qs: QuerySet[RestraintEpisode], *, staff: bool = True
) -> QuerySet[RestraintEpisode]:
    """Everything the clock methods read, in a constant number of queries (and the staff who
    took part, unless ``staff`` is False: the board's timers do not show them)."""
    qs = qs.select_related("person", "unit", "profile").prefetch_related(
        Prefetch("orders", queryset=RestraintOrder.objects.order_by("ordered_at", "pk")),
        "checks",
        "face_to_faces",
    )
    if staff:
        qs = qs.prefetch_related(
            Prefetch("staff_roles", queryset=RestraintStaff.objects.select_related("staff"))
        )
    return qs


def episodes_visible_to(
    user: Any, action: str = "incidents.restraint_view"
) -> QuerySet[RestraintEpisode]:
    return policy.restrict(RestraintEpisode.objects.all(), user, action)


def get_episode_for(
    user: Any, public_id: Any, action: str = "incidents.restraint_view"
) -> RestraintEpisode:
    """One episode with its rows; 404 when out of scope, 403 when visible but not allowed."""
    episode = get_for(
        _with_clock_rows(RestraintEpisode.objects.all()).prefetch_related("addenda"),
        user,
        public_id,
        action,
    )
    record_person_read(user, episode, episode.person, what="restraint episode")
    return episode


@dataclass(frozen=True)
class Timer:
    """One live clock of an episode: what is due, when, and how it stands, in words."""

    key: str
    label: str
    at: datetime | None
    text: str
    # The board extras' tones (rounds.board_extras.RowExtra): "", "warning" or "danger",
    # always shown with an icon and the text.
    tone: str


def _until(at: datetime, now: datetime) -> tuple[str, str]:
    minutes = int((at - now).total_seconds() // 60)
    if at < now:
        late = int((now - at).total_seconds() // 60)
        return f"overdue by {late} min", "danger"
    if minutes < 5:
        return f"due in {minutes} min", "warning"
    return f"in {minutes} min", ""


def timers(episode: RestraintEpisode, now: datetime) -> list[Timer]:
    """The live clocks of an active episode: order expiring, face-to-face, monitoring, and a
    state's total limit where the profile has one (a renewed order may run past it: the
    renewal is kept and the limit flagged, so the limit shows beside the order's expiry)."""
    found = _timers(
        now,
        expires=episode.order_expires_at(),
        done=episode.face_to_face_done_at(),
        due=episode.face_to_face_due_at(),
        monitoring=episode.monitoring_due_at(),
    )
    limit = episode.state_total_limit_at()
    if limit is not None:
        text, tone = _until(limit, now)
        found.append(Timer("state_limit", "State limit", limit, text, tone))
    return found


def _timers(
    now: datetime,
    *,
    expires: datetime | None,
    done: datetime | None,
    due: datetime,
    monitoring: datetime | None,
) -> list[Timer]:
    found: list[Timer] = []
    if expires is None:
        found.append(Timer("order", "Order", None, "no order", "danger"))
    else:
        text, tone = _until(expires, now)
        found.append(Timer("order", "Order expires", expires, text, tone))
    if done is None:
        text, tone = _until(due, now)
        found.append(Timer("face_to_face", "Face-to-face due", due, text, tone))
    else:
        late = done > due
        found.append(
            Timer(
                "face_to_face",
                "Face-to-face done",
                done,
                "late" if late else "on time",
                "warning" if late else "",
            )
        )
    if monitoring is not None:
        text, tone = _until(monitoring, now)
        found.append(Timer("monitoring", "Monitoring due", monitoring, text, tone))
    return found


def active_episodes(
    user: Any, unit: Unit, action: str = "incidents.restraint_view", *, staff: bool = True
) -> list[RestraintEpisode]:
    """The unit's episodes not yet released that the user may see, with their clock rows, in
    one scoped query and its prefetches (the board, the shift lead's screen and the API; the
    caller has already checked the unit)."""
    visible = episodes_visible_to(user, action).filter(unit=unit, released_at__isnull=True)
    return list(_with_clock_rows(visible, staff=staff).order_by("started_at"))


@cache
def _clock_columns() -> dict[str, Subquery]:
    """The moments an episode's clocks start from, as columns beside it. They hold no value of
    a request, and a query copies an expression before resolving it, so they are built once
    per process."""
    latest_order = RestraintOrder.objects.filter(episode=OuterRef("pk")).order_by(
        "-ordered_at", "-pk"
    )
    first_seen = FaceToFace.objects.filter(episode=OuterRef("pk")).order_by("seen_at")
    last_check = MonitoringCheck.objects.filter(episode=OuterRef("pk")).order_by("-observed_at")
    return {
        "board_expires": Subquery(latest_order.values("expires_at")[:1]),
        "board_seen": Subquery(first_seen.values("seen_at")[:1]),
        "board_checked": Subquery(last_check.values("observed_at")[:1]),
    }


@prepared.stepwise
def board_timers(
    user: Any, unit: Unit, now: datetime
) -> prepared.Steps[list[tuple[RestraintEpisode, list[Timer]]]]:
    """The unit board's panel: the unit's episodes not yet released that the user may see, each
    with its live clocks, in one scoped query. The moments the clocks start from (the latest
    order's expiry, the first face-to-face, the last monitoring check) are columns of that
    query rather than the episode's rows, and only the columns the panel shows are read (with
    the label columns the Part 2 filter logs by). Its SQL is compiled once (``core.prepared``):
    the clock columns' subqueries cost more to compile than to run."""
    # Episodes with the clock columns (``board_expires``, ``board_seen``, ``board_checked``).
    # The unit's read, its columns, subqueries and the user's scope, built and compiled once
    # per process per reader (``policy.restricted_later``).
    episodes: list[Any] = yield policy.restricted_later(
        "the board's restraint timers", user, "incidents.restraint_view", _timed_on, unit.pk
    )
    return [
        (
            episode,
            _timers(
                now,
                expires=episode.board_expires,
                done=episode.board_seen,
                due=episode.face_to_face_due_at(),
                monitoring=episode.monitoring_due_after(episode.board_checked),
            ),
        )
        for episode in episodes
    ]


def _timed_on(unit_id: int) -> QuerySet[RestraintEpisode]:
    columns = _clock_columns()
    return (
        RestraintEpisode.objects.filter(unit_id=unit_id, released_at__isnull=True)
        .select_related("person", "profile")
        .only(
            "public_id",
            "kind",
            "started_at",
            "released_at",
            *LABEL_COLUMNS,
            "person__public_id",
            "person__preferred_name",
            "person__legal_given_name",
            "person__legal_family_name",
            "profile__face_to_face_minutes",
            "profile__monitoring_minutes",
        )
        .annotate(
            board_expires=columns["board_expires"],
            board_seen=columns["board_seen"],
            board_checked=columns["board_checked"],
        )
        .order_by("started_at")
    )


@prepared.stepwise
def active_person_ids(
    unit: Unit, person_ids: Iterable[int], user: Any
) -> prepared.Steps[dict[int, RestraintEpisode]]:
    """The active episode of each of these persons in one (a person has one at most) whose
    label the user may read, with the columns the board's flag shows (and its label's); built
    once per reader's labels and census size (``policy.readable_rows``)."""

    def build(persons: list[int]) -> QuerySet[RestraintEpisode]:
        return (
            policy.readable(RestraintEpisode.objects.all(), user)
            .filter(released_at__isnull=True, person_id__in=persons)
            .only("public_id", "kind", "started_at", *LABEL_COLUMNS)
            .order_by()
        )

    episodes = yield policy.readable_later(
        "the board's persons in restraint", user, build, sorted(set(person_ids))
    )
    return {e.person_id: e for e in episodes}


def units_visible_to(user: Any) -> list[Unit]:
    actor = policy.actor_for(user)
    return list(restrict_units(actor, Unit.objects.filter(is_active=True)).order_by("name"))


def get_unit_for(user: Any, public_id: Any, action: str) -> Unit:
    """A unit the user sees (404 otherwise) and an action they may take (403 otherwise)."""
    from pillars.people.selectors import get_unit_for as people_unit_for

    return people_unit_for(user, public_id, action)


def current_profiles() -> list[RuleProfile]:
    return list(RuleProfile.objects.filter(is_current=True).order_by("code"))


@dataclass(frozen=True)
class UnitProfileRow:
    """A unit the user sees, the profile code it follows and whether the user may change it."""

    unit: Unit
    code: str
    may_choose: bool


def unit_profiles_for(user: Any) -> list[UnitProfileRow]:
    """Every active unit the user sees with the profile it follows (two queries)."""
    from pillars.incidents.services.restraint import DEFAULT_PROFILE

    units = units_visible_to(user)
    chosen = dict(
        UnitRuleProfile.objects.filter(unit__in=units, is_current=True).values_list(
            "unit_id", "profile_code"
        )
    )
    return [
        UnitProfileRow(
            unit=u,
            code=chosen.get(u.pk, DEFAULT_PROFILE),
            may_choose=policy.allows(user, "incidents.restraint_choose_profile", u),
        )
        for u in units
    ]


def get_profile_for(user: Any, public_id: Any, action: str) -> RuleProfile:
    """One profile version by public id (404 when there is none), the action checked (403)."""
    return get_for(RuleProfile, user, public_id, action)


def unit_profile_code(unit: Unit) -> str:
    from pillars.incidents.services.restraint import DEFAULT_PROFILE

    return (
        UnitRuleProfile.objects.filter(unit=unit, is_current=True)
        .values_list("profile_code", flat=True)
        .first()
        or DEFAULT_PROFILE
    )


# --- Months -----------------------------------------------------------------------------------


def month_bounds(year: int, month: int, zone: str) -> tuple[datetime, datetime]:
    """A month in the unit's zone, as UTC moments [start, end)."""
    tz = ZoneInfo(zone)
    start = datetime(year, month, 1, tzinfo=tz)
    end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=tz)
    return start.astimezone(UTC), end.astimezone(UTC)


@dataclass
class HbipsMonth:
    """One unit's month: hours and the two rates (None when nobody was placed)."""

    unit: Unit
    year: int
    month: int
    patient_hours: float = 0.0
    restraint_hours: float = 0.0
    seclusion_hours: float = 0.0

    @property
    def hbips2(self) -> float | None:
        return self.restraint_hours / self.patient_hours * 1000 if self.patient_hours else None

    @property
    def hbips3(self) -> float | None:
        return self.seclusion_hours / self.patient_hours * 1000 if self.patient_hours else None


def hbips(
    units: list[Unit], year: int, months: Iterable[int] = range(1, 13), now: datetime | None = None
) -> list[HbipsMonth]:
    """HBIPS-2 and -3 for each unit and month: two queries whatever the census (placements and
    episodes overlapping the period), summed in the unit's zone. An episode not yet released
    counts up to ``now``; so does a stay not yet ended. Each stay or episode is spread over only
    the months it touches (found by bisection), so the work grows with the rows, not with rows
    times months."""
    now = now or clock.now()
    chosen = sorted(set(months))
    if not units or not chosen:
        return []
    cut = now.timestamp()
    rows: dict[int, list[HbipsMonth]] = {}
    windows: dict[int, tuple[list[float], list[float]]] = {}
    edges: list[datetime] = []
    for unit in units:
        rows[unit.pk] = [HbipsMonth(unit, year, m) for m in chosen]
        starts, ends = [], []
        for m in chosen:
            a, b = month_bounds(year, m, unit.time_zone)
            edges += [a, b]
            starts.append(a.timestamp())
            ends.append(min(b.timestamp(), cut))
        windows[unit.pk] = (starts, ends)
    lo, hi = min(edges), max(edges)

    def spread(unit_id: int, begin: datetime, end: datetime | None) -> Iterator[tuple[int, float]]:
        """(month index, hours) for each chosen month of the unit the interval overlaps."""
        starts, ends = windows[unit_id]
        s = begin.timestamp()
        e = cut if end is None else min(end.timestamp(), cut)
        i = max(bisect_right(starts, s) - 1, 0)
        while i < len(starts) and starts[i] < e:
            seconds = min(e, ends[i]) - max(s, starts[i])
            if seconds > 0:
                yield i, seconds / 3600
            i += 1

    stays = Placement.objects.filter(
        Q(started_at__lt=hi) & (Q(ended_at__isnull=True) | Q(ended_at__gt=lo)),
        unit_id__in=rows,
    ).values_list("unit_id", "started_at", "ended_at")
    for unit_id, begin, end in stays:
        months_of = rows[unit_id]
        for i, hours in spread(unit_id, begin, end):
            months_of[i].patient_hours += hours
    episodes = RestraintEpisode.objects.filter(
        Q(started_at__lt=hi) & (Q(released_at__isnull=True) | Q(released_at__gt=lo)),
        unit_id__in=rows,
        kind__in=[*PHYSICAL_KINDS, EpisodeKind.SECLUSION],
    ).values_list("unit_id", "kind", "started_at", "released_at")
    for unit_id, kind, begin, end in episodes:
        months_of = rows[unit_id]
        for i, hours in spread(unit_id, begin, end):
            if kind == EpisodeKind.SECLUSION:
                months_of[i].seclusion_hours += hours
            else:
                months_of[i].restraint_hours += hours
    return [row for unit in units for row in rows[unit.pk]]


@dataclass
class ViolationRow:
    episode: RestraintEpisode
    violations: list[Violation] = field(default_factory=list)


def violations_report(
    user: Any, unit: Unit, year: int, month: int, now: datetime | None = None
) -> list[ViolationRow]:
    """The unit's episodes started in the month that broke a rule, with each violation."""
    now = now or clock.now()
    start, end = month_bounds(year, month, unit.time_zone)
    episodes = _with_clock_rows(
        episodes_visible_to(user, "incidents.restraint_report").filter(
            unit=unit, started_at__gte=start, started_at__lt=end
        )
    ).order_by("started_at")
    found = []
    for episode in episodes:
        broken = episode.violations_at(now)
        if broken:
            found.append(ViolationRow(episode, broken))
    return found


def episodes_in_month(user: Any, unit: Unit, year: int, month: int) -> QuerySet[RestraintEpisode]:
    start, end = month_bounds(year, month, unit.time_zone)
    return episodes_visible_to(user, "incidents.restraint_report").filter(
        unit=unit, started_at__gte=start, started_at__lt=end
    )
