"""Reads of supervision, scoped by the policy layer and audited: a supervisor's supervisees
with their cadence, sessions, agenda, ledger and letters."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet

from pillars.audit import log as audit
from pillars.audit.choices import Action, Purpose
from pillars.core import clock, policy
from pillars.core.entry import get_for
from pillars.people.models import Staff
from pillars.people.tenancy import in_organization
from pillars.workforce.models.supervision import (
    ActionItem,
    AgendaItem,
    CadenceState,
    CertificationRule,
    SupervisedWorkHours,
    SupervisionProfile,
    SupervisionSession,
    VerificationLetter,
)
from pillars.workforce.services.supervision import (
    cadence_states,
    hours_between,
    profile_of,
    profiles_of,
    zone_of,
)


def audit_view(user: Any, target: Any, what: str) -> None:
    """Audit a read of one workforce record (supervision, drift) for operations."""
    audit.record(user, Action.VIEW, target, purpose=Purpose.OPERATIONS, detail={"what": what})


def get_staff_for(user: Any, public_id: Any, action: str, *, what: str) -> Staff:
    """A staff member whose supervision record the user reads or writes: 404 when out of
    scope, 403 when not theirs; the read is audited."""
    staff = get_for(Staff.objects.select_related("user", "supervisor"), user, public_id, action)
    audit_view(user, staff, what)
    return staff


def supervisees_of(user: Any, today: date) -> QuerySet[Staff]:
    """The employed staff the user supervises (the director: everyone with a supervisor)."""
    actor = policy.actor_for(user)
    qs = in_organization(Staff.objects.all(), actor).filter(
        Q(exited_on__isnull=True) | Q(exited_on__gt=today)
    )
    if actor.is_org_wide:
        qs = qs.filter(supervisor__isnull=False)
    else:
        qs = qs.filter(pk__in=actor.supervisee_staff_ids)
    return qs.select_related("supervisor").prefetch_related("roles").order_by("display_name")


def sessions_visible_to(user: Any) -> QuerySet[SupervisionSession]:
    return (
        policy.restrict(SupervisionSession.objects.all(), user, "workforce.view_session")
        .select_related("supervisor")
        .prefetch_related("attendees__supervisee")
        .order_by("-started_at", "-id")
    )


def sessions_of(staff: Staff) -> QuerySet[SupervisionSession]:
    """The sessions a staff member was in (the caller checked the staff member)."""
    return (
        SupervisionSession.objects.filter(attendees__supervisee=staff)
        .select_related("supervisor")
        .prefetch_related("attendees__supervisee")
        .order_by("-started_at", "-id")
    )


def get_session_for(
    user: Any, public_id: Any, action: str = "workforce.view_session", *, what: str
) -> SupervisionSession:
    sessions = SupervisionSession.objects.select_related("supervisor").prefetch_related(
        "attendees__supervisee", "addenda__written_by", "action_items__supervisee", "agenda"
    )
    session = get_for(sessions, user, public_id, action)
    audit_view(user, session, what)
    return session


def get_action_item_for(user: Any, public_id: Any) -> ActionItem:
    item = get_for(
        ActionItem.objects.select_related("raised_in", "supervisee"),
        user,
        public_id,
        "workforce.view_session",
        via=lambda found: found.raised_in,
    )
    policy.require(user, "workforce.close_action_item", item)
    return item


def open_items(staff_ids: list[int]) -> QuerySet[ActionItem]:
    return (
        ActionItem.objects.filter(supervisee_id__in=staff_ids, closed_at__isnull=True)
        .select_related("supervisee", "raised_in")
        .order_by("supervisee_id", "id")
    )


def waiting_agenda(staff_ids: list[int]) -> QuerySet[AgendaItem]:
    return (
        AgendaItem.objects.filter(supervisee_id__in=staff_ids, addressed_in__isnull=True)
        .select_related("supervisee")
        .order_by("supervisee_id", "created_at")
    )


@dataclass(frozen=True)
class LedgerLine:
    rule: CertificationRule
    window_start: date | None
    session_hours: Decimal
    work_hours: Decimal
    letters: int

    @property
    def total(self) -> Decimal:
        return self.session_hours + self.work_hours

    @property
    def percent(self) -> int:
        return min(100, int(100 * self.total / self.rule.hours_required))

    @property
    def hours_met(self) -> bool:
        return self.total >= self.rule.hours_required

    @property
    def letters_met(self) -> bool:
        return self.letters >= self.rule.letters_required

    @property
    def met(self) -> bool:
        return self.hours_met and self.letters_met

    @property
    def hours_left(self) -> Decimal:
        return max(Decimal(0), self.rule.hours_required - self.total)


def ledger(
    staff: Staff, today: date, rules: list[CertificationRule] | None = None
) -> list[LedgerLine]:
    """The staff member's supervised hours toward each active certification rule (their own
    target first), within each rule's window counted back from today, and the letters that
    count toward it (``letters_toward``). The window's days are the staff member's local days,
    as ``hours_between`` counts them."""
    if rules is None:
        target = profile_of(staff).target_id
        rules = sorted(
            CertificationRule.objects.filter(is_active=True),
            key=lambda r: (r.pk != target, r.is_legacy, r.code),
        )
    zone = zone_of(staff)
    lines = []
    for rule in rules:
        start = rule.window_start(today)
        session_hours, work_hours = hours_between(staff, start, today)
        letters = letters_toward(staff, rule, start, today, zone)
        lines.append(LedgerLine(rule, start, session_hours, work_hours, letters))
    return lines


def letters_toward(
    staff: Staff, rule: CertificationRule, start: date | None, today: date, zone: tzinfo
) -> int:
    """How many of a rule's letters the staff member holds on ``today``: letters signed for
    this rule (a letter for the earlier NCPS rule is not one for today's), by the end of today,
    that verify hours ending inside the window (as ``hours_between`` counts work periods), one
    per supervisor who signed (three letters are three supervisors vouching; one supervisor's
    second letter verifies more hours, it is not a second voice). Days are the staff member's
    local days: a letter signed at 20:00 in Chicago the day before the window opens is outside
    it, though UTC has reached the first day."""

    def midnight(day: date) -> datetime:
        return datetime.combine(day, time(0), tzinfo=zone)

    letters = VerificationLetter.objects.filter(
        staff=staff, rule=rule, signed_at__lt=midnight(today + timedelta(days=1))
    )
    if start is not None:
        letters = letters.filter(period_end__gte=start, signed_at__gte=midnight(start))
    counted: int = letters.aggregate(n=Count("supervisor", distinct=True))["n"]
    return counted


def work_hours_of(staff: Staff) -> QuerySet[SupervisedWorkHours]:
    return SupervisedWorkHours.objects.filter(staff=staff).select_related("supervisor")


def letters_of(staff: Staff) -> QuerySet[VerificationLetter]:
    return VerificationLetter.objects.filter(staff=staff).select_related("supervisor", "rule")


def get_letter_for(user: Any, public_id: Any, *, what: str) -> VerificationLetter:
    letter = get_for(
        VerificationLetter.objects.select_related("staff", "supervisor", "rule"),
        user,
        public_id,
        "workforce.view_letter",
    )
    audit_view(user, letter, what)
    return letter


@dataclass(frozen=True)
class SuperviseeRow:
    staff: Staff
    profile: SupervisionProfile
    cadence: CadenceState
    next_due_at: datetime | None
    target: LedgerLine | None
    open_items: int
    drift_items: list[AgendaItem]


def week_rows(supervisees: list[Staff], now: datetime) -> list[SuperviseeRow]:
    """One row per supervisee for the supervisor's week."""
    ids = [s.pk for s in supervisees]
    profiles = profiles_of(ids)
    states = cadence_states(supervisees, now, profiles=profiles)
    items: dict[int, int] = {}
    for item in open_items(ids):
        items[item.supervisee_id] = items.get(item.supervisee_id, 0) + 1
    drift: dict[int, list[AgendaItem]] = {}
    for agenda in waiting_agenda(ids).filter(source="drift"):
        drift.setdefault(agenda.supervisee_id, []).append(agenda)
    rows = []
    for staff in supervisees:
        profile = profiles.get(staff.pk) or SupervisionProfile(staff=staff)
        state = states[staff.pk]
        target_rules = [profile.target] if profile.target is not None else []
        lines = []
        if target_rules:  # counted back from the supervisee's own day, as on their ledger
            lines = ledger(staff, clock.local(now, zone_of(staff)).date(), target_rules)
        rows.append(
            SuperviseeRow(
                staff,
                profile,
                state,
                state.due_at,
                lines[0] if lines else None,
                items.get(staff.pk, 0),
                drift.get(staff.pk, []),
            )
        )
    return rows


def ladder_supervised_hours(staff: Staff, criterion: Any, today: date) -> Any:
    """The career ladder's ``supervised_hours`` criterion: hours from fully signed sessions and
    recorded supervised work, all time up to today, against the criterion's threshold."""
    from pillars.workforce.selectors.ladder import Measure

    session_hours, work_hours = hours_between(staff, None, today)
    total = session_hours + work_hours
    need = Decimal(criterion.threshold)
    return Measure(
        float(total), total >= need, f"{float(total):g} of {float(need):g} supervised hours"
    )
