"""Every write of supervision (DESIGN.md rule 3): sessions, signatures, addenda, action items,
supervised work hours, verification letters, profiles; the overdue sweep; and the check people
runs when a supervisor is chosen (who may supervise whom, load limits).

Each service checks permission through the policy layer, validates before it writes anything,
writes in one transaction and appends its audit event inside that transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from decimal import Decimal
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import OuterRef, Q, Subquery
from django.db.models.functions import Coalesce

from pillars.audit import log as audit
from pillars.audit.choices import Action
from pillars.core import clock, policy, sweeps
from pillars.core.errors import Conflict, ValidationError, invalid
from pillars.core.versioning import (
    next_version,
    record_revision,
    refuse_unchanged,
    refuse_unknown,
    validate_next,
)
from pillars.core.writes import atomic_or_conflict, replayed
from pillars.people import alerts
from pillars.people.addendum_writes import adding
from pillars.people.alerts import AlertKind, Subject
from pillars.people.models import Staff, Unit
from pillars.workforce.models.supervision import (
    ActionItem,
    AgendaItem,
    CadenceRule,
    CadenceState,
    CertificationRule,
    CertificationStatus,
    SessionAddendum,
    SessionAttendee,
    SupervisedWorkHours,
    SupervisionEligibility,
    SupervisionKind,
    SupervisionProfile,
    SupervisionSession,
    SupervisorLoadLimit,
    VerificationLetter,
)
from pillars.workforce.services.staff_audit import audit_administration, audit_operations

MAX_MINUTES = 8 * 60
MAX_TEXT = 10_000
MAX_TOPICS = 20
MAX_ITEMS = 20
# A session recorded for the future is a typing mistake; a few minutes allow for clock skew.
FUTURE_SLACK = timedelta(minutes=5)
SYSTEM_LABEL = "supervision cadence sweep"
DAYS_PER_YEAR = Decimal("365.25")


def _staff(actor: Any) -> Staff:
    return Staff.objects.get(pk=policy.actor_for(actor).staff_pk)


def _employed(staff: Staff, day: date) -> bool:
    return staff.exited_on is None or staff.exited_on > day


# --- Rules: which cadence, who may supervise whom, load limits ----------------------------------


def profile_of(staff: Staff) -> SupervisionProfile:
    """The staff member's profile, or an unsaved default one (working toward certification)."""
    found = SupervisionProfile.objects.filter(staff=staff).select_related("cadence_rule", "target")
    return found.first() or SupervisionProfile(staff=staff)


def cadence_rule_for(
    staff: Staff,
    profile: SupervisionProfile | None = None,
    *,
    rules: Sequence[CadenceRule] | None = None,
) -> CadenceRule | None:
    """The profile's own rule, else the most specific active rule for the staff member's roles
    and certification status. ``rules``, every current version read once, spares a query per
    staff member when many are judged together (``cadence_states``)."""
    profile = profile or profile_of(staff)
    if profile.cadence_rule_id is not None and profile.cadence_rule is not None:
        # The profile names a rule by its code: the current version applies (a revision made
        # after the profile was set is the rule now).
        named = profile.cadence_rule
        if named.is_current:
            return named
        if rules is not None:
            return next((r for r in rules if r.code == named.code), named)
        return CadenceRule.objects.filter(code=named.code, is_current=True).first() or named
    if rules is None:
        rules = list(CadenceRule.objects.filter(is_active=True, is_current=True))
    roles = set(staff.role_codes())
    candidates = [
        r
        for r in rules
        if r.is_active
        and (not r.role or r.role in roles)
        and (not r.certification_status or r.certification_status == profile.status)
    ]
    if not candidates:
        return None
    return max(candidates, key=lambda r: (r.specificity(), -r.pk))


CADENCE_MEANING = (
    "name",
    "role",
    "certification_status",
    "period_days",
    "min_sessions",
    "min_face_to_face_minutes",
    "due_soon_days",
    "source",
    "is_active",
)


def revise_cadence_rule(current: CadenceRule, *, actor: Any, **changes: Any) -> CadenceRule:
    """The next version of a cadence rule (how often supervision is due changed); the version
    before it stays readable as the rule sessions were judged by until now. Audited."""
    policy.require(actor, "people.edit_unit")
    refuse_unknown(changes, CADENCE_MEANING)
    validate_next(current, changes)
    with transaction.atomic():
        revised = next_version(current, actor=actor, check=refuse_unchanged(changes), **changes)
        record_revision(revised, actor=actor, changes=changes)
    return revised


def signed_sessions_of(staff_ids: Iterable[int]) -> dict[int, list[tuple[datetime, int, bool]]]:
    """Each supervisee's signed sessions as (started_at, minutes, face to face), one query."""
    out: dict[int, list[tuple[datetime, int, bool]]] = {}
    rows = SessionAttendee.objects.filter(
        supervisee_id__in=list(staff_ids), session__signed_at__isnull=False
    ).values_list(
        "supervisee_id", "session__started_at", "session__minutes", "session__is_face_to_face"
    )
    for staff_id, started, minutes, face in rows:
        out.setdefault(staff_id, []).append((started, minutes, face))
    return out


def _anchor(staff: Staff, profile: SupervisionProfile, zone: tzinfo) -> datetime:
    """Where the cadence counts from with too few sessions: when the rule began to apply, else
    the start of the hire day in the staff member's zone (their first week is theirs: one
    hired on a Monday in Chicago has until Sunday night there, not Sunday 18:00)."""
    if profile.cadence_since is not None:
        return profile.cadence_since
    return datetime.combine(staff.hired_on, time(0), tzinfo=zone)


def cadence_state(
    staff: Staff,
    now: datetime,
    *,
    sessions: list[tuple[datetime, int, bool]] | None = None,
    profile: SupervisionProfile | None = None,
    rules: Sequence[CadenceRule] | None = None,
    zone: tzinfo | None = None,
) -> CadenceState:
    """The staff member's cadence at ``now``, judged on the days of their own zone
    (``zone_of``, read here when not given)."""
    profile = profile or profile_of(staff)
    rule = cadence_rule_for(staff, profile, rules=rules)
    if sessions is None:
        sessions = signed_sessions_of([staff.pk]).get(staff.pk, [])
    if rule is None:
        past = [s for s in sessions if s[0] <= now]
        return CadenceState("no_rule", None, max((s[0] for s in past), default=None), len(past), 0)
    zone = zone or zone_of(staff)
    return rule.state_at(now, sessions, _anchor(staff, profile, zone), zone)


def profiles_of(staff_ids: Iterable[int]) -> dict[int, SupervisionProfile]:
    """The saved profiles of these staff members, by staff id, one query."""
    return {
        p.staff_id: p
        for p in SupervisionProfile.objects.filter(staff_id__in=list(staff_ids)).select_related(
            "cadence_rule", "target"
        )
    }


def _zone_name() -> Any:
    """Each staff member's zone name as ``zone_of`` finds it, for a query of staff: their first
    home unit's, else the first unit of one of their programs ("" or NULL: the default)."""
    units = Unit.objects.order_by("pk").values("time_zone")
    return Coalesce(
        Subquery(units.filter(staff=OuterRef("pk"))[:1]),
        Subquery(units.filter(programs__staff=OuterRef("pk"))[:1]),
    )


def _zone_named(name: str | None) -> tzinfo:
    return ZoneInfo(name or settings.PILLARS_DEFAULT_TIME_ZONE)


def _profiles_and_zones(
    staff_ids: list[int], profiles: dict[int, SupervisionProfile] | None
) -> tuple[dict[int, SupervisionProfile], dict[int, tzinfo]]:
    """The saved profiles (unless given) and the zones of these staff members, one query."""
    found = Staff.objects.filter(pk__in=staff_ids).annotate(zone_name=_zone_name())
    if profiles is not None:
        zones = {pk: _zone_named(n) for pk, n in found.values_list("pk", "zone_name")}
        return profiles, zones
    profiles, zones = {}, {}
    for staff in found.select_related("supervision__cadence_rule", "supervision__target"):
        zones[staff.pk] = _zone_named(staff.zone_name)
        if (profile := getattr(staff, "supervision", None)) is not None:
            profiles[staff.pk] = profile
    return profiles, zones


def cadence_states(
    staff: Sequence[Staff],
    now: datetime,
    *,
    profiles: dict[int, SupervisionProfile] | None = None,
) -> dict[int, CadenceState]:
    """Each staff member's cadence state at ``now`` in three queries whatever their number
    (signed sessions, profiles with each one's zone, current rules); pass the roles
    prefetched."""
    ids = [s.pk for s in staff]
    sessions = signed_sessions_of(ids)
    profiles, zones = _profiles_and_zones(ids, profiles)
    rules = list(CadenceRule.objects.filter(is_current=True))
    return {
        s.pk: cadence_state(
            s,
            now,
            sessions=sessions.get(s.pk, []),
            profile=profiles.get(s.pk) or SupervisionProfile(staff=s),
            rules=rules,
            zone=zones[s.pk],
        )
        for s in staff
    }


def _years_since(day: date, today: date) -> Decimal:
    return Decimal((today - day).days) / DAYS_PER_YEAR


def eligibility_problem(supervisor: Staff, supervisee_roles: Sequence[str], today: date) -> str:
    """Why the supervisor may not supervise someone holding these roles ("" when they may),
    from the eligibility rows (deny by default: no row for the supervisor's roles, no)."""
    roles = set(supervisor.role_codes())
    rows = [
        r
        for r in SupervisionEligibility.objects.filter(is_active=True, supervisor_role__in=roles)
        if not r.supervisee_role or r.supervisee_role in supervisee_roles
    ]
    if not rows:
        whom = ", ".join(supervisee_roles) or "this staff member"
        return f"{supervisor} holds no role that may supervise {whom}."
    status = profile_of(supervisor).status
    reasons = []
    for row in rows:
        if row.requires_certification and status != CertificationStatus.CERTIFIED:
            reasons.append(f"{supervisor} must be certified to supervise {row.supervisee_role}s")
            continue
        if row.min_years and _years_since(supervisor.hired_on, today) < row.min_years:
            reasons.append(
                f"{supervisor} needs at least {row.min_years} years in the role "
                f"to supervise {row.supervisee_role}s"
            )
            continue
        return ""
    return "; ".join(reasons) + "."


def load_problem(supervisor: Staff, supervisee_roles: Sequence[str], today: date) -> str:
    """Why the supervisor has no room for one more supervisee of these roles ("" if room)."""
    for limit in SupervisorLoadLimit.objects.filter(supervisee_role__in=list(supervisee_roles)):
        carrying = (
            Staff.objects.filter(supervisor=supervisor, roles__code=limit.supervisee_role)
            .filter(Q(exited_on__isnull=True) | Q(exited_on__gt=today))
            .distinct()
            .count()
        )
        if carrying >= limit.max_supervisees:
            return (
                f"{supervisor} already supervises {carrying} {limit.supervisee_role}s, "
                f"the most allowed ({limit.max_supervisees})."
            )
    return ""


def supervisor_check(staff: Staff | None, supervisor: Staff, role_codes: list[str]) -> str:
    """The check people runs when a supervisor is chosen (people.hooks.add_supervisor_check):
    who may supervise whom, then the supervisor's load (years and exits on the organization's
    days)."""
    today = clock.organization_today()
    return eligibility_problem(supervisor, role_codes, today) or load_problem(
        supervisor, role_codes, today
    )


def set_profile(
    staff: Staff,
    *,
    actor: Any,
    status: str,
    cadence_rule: CadenceRule | None = None,
    target: CertificationRule | None = None,
) -> SupervisionProfile:
    """Set a supervisee's certification status, cadence rule and target (their supervisor or
    the director). A new status restarts the cadence's count from now."""
    policy.require(actor, "workforce.record_work_hours", staff)
    if status not in CertificationStatus.values:
        raise invalid("status", "Choose a certification status.")
    fields = ["status", "cadence_rule", "target", "cadence_since"]
    with transaction.atomic():
        profile, created = SupervisionProfile.objects.select_for_update().get_or_create(staff=staff)
        before = None if created else audit.snapshot(profile, fields)
        if created or profile.status != status:
            profile.cadence_since = clock.now()
        profile.status = status
        profile.cadence_rule = cadence_rule
        profile.target = target
        profile.save()
        audit_administration(
            actor,
            Action.CREATE if created else Action.UPDATE,
            profile,
            audit.changes(before, audit.snapshot(profile, fields)),
        )
    return profile


# --- Sessions ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewActionItem:
    supervisee: Staff
    text: str


def _clean_topics(topics: Iterable[str]) -> list[str]:
    cleaned = list(dict.fromkeys(str(t).strip()[:100] for t in topics if str(t).strip()))
    if len(cleaned) > MAX_TOPICS:
        raise invalid("topics", f"List at most {MAX_TOPICS} topics.")
    return cleaned


def record_session(
    *,
    actor: Any,
    supervisees: Sequence[Staff],
    kind: str,
    started_at: datetime,
    minutes: int,
    is_face_to_face: bool = True,
    topics: Iterable[str] = (),
    notes: str = "",
    action_items: Sequence[NewActionItem] = (),
    close_items: Sequence[ActionItem] = (),
    sign: bool = False,
    client_id: UUID | None = None,
) -> SupervisionSession:
    """Record a session the actor held with their own supervisees (one: individual; several:
    a group), with its new action items; the open items it names are closed in it, and every
    agenda item waiting for these supervisees is taken up by it. With ``sign`` the supervisor
    signs at once; each supervisee signs for themselves."""
    acting = policy.require(actor, "workforce.record_session")
    now = clock.now()
    errors: dict[str, list[str]] = {}
    people = list(dict.fromkeys(supervisees))
    if not people:
        errors["supervisees"] = ["Choose at least one supervisee."]
    strangers = [s for s in people if s.pk not in acting.supervisee_staff_ids]
    if strangers:
        errors["supervisees"] = [f"{', '.join(map(str, strangers))}: not among your supervisees."]
    if kind not in SupervisionKind.values:
        errors["kind"] = ["Choose administrative, supportive or clinical."]
    if not isinstance(minutes, int) or not 1 <= minutes <= MAX_MINUTES:
        errors["minutes"] = [f"Minutes must be between 1 and {MAX_MINUTES}."]
    if started_at.tzinfo is None:
        errors["started_at"] = ["Give the time with its time zone."]
    elif started_at > now + FUTURE_SLACK:
        errors["started_at"] = ["The session cannot start in the future."]
    if len(notes) > MAX_TEXT:
        errors["notes"] = [f"Notes are limited to {MAX_TEXT} characters."]
    try:
        topic_list = _clean_topics(topics)
    except ValidationError as exc:
        errors["topics"] = list(exc.messages)
        topic_list = []
    items = [NewActionItem(i.supervisee, i.text.strip()[:300]) for i in action_items if i.text]
    if len(items) > MAX_ITEMS:
        errors["action_items"] = [f"At most {MAX_ITEMS} action items."]
    if any(i.supervisee not in people for i in items):
        errors["action_items"] = ["An action item must be for a supervisee in this session."]
    if any(c.closed_at is not None or c.supervisee not in people for c in close_items):
        errors["close_items"] = ["Only open items of this session's supervisees can be closed."]
    if errors:
        raise ValidationError(errors)
    supervisor = _staff(actor)
    with atomic_or_conflict("This session was recorded a moment ago; reload the page."):
        if existing := replayed(
            SupervisionSession,
            client_id,
            {"supervisor_id": supervisor.pk},
            "That replay key belongs to another session.",
        ):
            return existing
        session = SupervisionSession.objects.create(
            supervisor=supervisor,
            kind=kind,
            is_group=len(people) > 1,
            is_face_to_face=is_face_to_face,
            started_at=started_at,
            minutes=minutes,
            topics=topic_list,
            notes=notes.strip(),
            recorded_by=supervisor,
            recorded_at=now,
            supervisor_signed_at=now if sign else None,
            client_id=client_id,
        )
        SessionAttendee.objects.bulk_create(
            SessionAttendee(session=session, supervisee=s) for s in people
        )
        ActionItem.objects.bulk_create(
            ActionItem(raised_in=session, supervisee=i.supervisee, text=i.text) for i in items
        )
        closed = ActionItem.objects.filter(
            pk__in=[c.pk for c in close_items], closed_at__isnull=True
        ).update(closed_in=session, closed_at=now, closed_by=supervisor)
        if closed != len(close_items):
            raise Conflict("An item was closed a moment ago; reload the page.")
        taken = AgendaItem.objects.filter(supervisee__in=people, addressed_in__isnull=True).update(
            addressed_in=session
        )
        audit_operations(
            actor,
            Action.CREATE,
            session,
            {
                **audit.changes(
                    None,
                    {
                        "kind": kind,
                        "supervisees": sorted(str(s.public_id) for s in people),
                        "started_at": started_at.isoformat(),
                        "minutes": minutes,
                        "face_to_face": is_face_to_face,
                        "supervisor_signed": sign,
                    },
                ),
                "action_items": len(items),
                "items_closed": closed,
                "agenda_items_taken_up": taken,
            },
        )
    return session


def sign_session(session: SupervisionSession, *, actor: Any) -> SupervisionSession:
    """Sign a session for oneself (its supervisor, or one of its supervisees). With the last
    signature the session is signed and closed to change."""
    policy.require(actor, "workforce.sign_session", session)
    now = clock.now()
    me = policy.actor_for(actor).staff_pk
    with transaction.atomic():
        session = SupervisionSession.objects.select_for_update().get(pk=session.pk)
        if session.is_signed:
            raise Conflict("This session is already signed by everyone.")
        if session.supervisor_id == me:
            if session.supervisor_signed_at is not None:
                raise Conflict("You have already signed this session.")
            session.supervisor_signed_at = now
            who = "supervisor"
        else:
            updated = SessionAttendee.objects.filter(
                session=session, supervisee_id=me, signed_at__isnull=True
            ).update(signed_at=now)
            if updated != 1:
                raise Conflict("You have already signed this session.")
            who = "supervisee"
        waiting = SessionAttendee.objects.filter(session=session, signed_at__isnull=True).exists()
        if session.supervisor_signed_at is not None and not waiting:
            session.signed_at = now
        session.save(update_fields=["supervisor_signed_at", "signed_at"])
        audit_operations(
            actor,
            Action.UPDATE,
            session,
            {"event": f"signed by the {who}", "fully_signed": session.is_signed},
        )
    return session


def add_session_addendum(
    session: SupervisionSession, *, actor: Any, reason: str, text: str
) -> SessionAddendum:
    """Correct a signed session: the session stays as signed, the addendum names its author
    and reason."""
    policy.require(actor, "workforce.add_session_addendum", session)
    reason, text = SessionAddendum.cleaned(reason, text, about="the session", max_text=MAX_TEXT)
    with adding(
        SessionAddendum, reason, text, session=session, written_by=_staff(actor)
    ) as addendum:
        audit_operations(
            actor, Action.CREATE, addendum, {"session": str(session.public_id), "reason": reason}
        )
    return addendum


def close_action_item(item: ActionItem, *, actor: Any) -> ActionItem:
    """Close an open action item outside a session (the supervisor)."""
    policy.require(actor, "workforce.close_action_item", item)
    now = clock.now()
    with transaction.atomic():
        done = ActionItem.objects.filter(pk=item.pk, closed_at__isnull=True).update(
            closed_at=now, closed_by=_staff(actor)
        )
        if done != 1:
            raise Conflict("This item is already closed.")
        audit_operations(
            actor,
            Action.UPDATE,
            item,
            audit.changes({"closed_at": None}, {"closed_at": now.isoformat()}),
        )
    item.refresh_from_db()
    return item


# --- The ledger: supervised work hours and letters ---------------------------------------------


def record_work_hours(
    staff: Staff,
    *,
    actor: Any,
    period_start: date,
    period_end: date,
    hours: Decimal,
    note: str = "",
) -> SupervisedWorkHours:
    """Record hours the supervisee worked under the actor's supervision in a period. A day
    is counted once toward certification: a period that overlaps one already recorded for the
    staff member (by any supervisor) is refused, naming it. An entry holds a number of hours
    for its whole period, not hours per day, so two overlapping entries cannot be merged into
    their union; the supervisor records the days not yet covered."""
    policy.require(actor, "workforce.record_work_hours", staff)
    # The supervisee's own day, the one their ledger counts in (not UTC's, already tomorrow in
    # the American evening).
    today = clock.today_in(zone_of(staff))
    errors: dict[str, list[str]] = {}
    if period_end < period_start:
        errors["period_end"] = ["The period ends before it starts."]
    if period_end > today:
        errors["period_end"] = ["Hours can be recorded only for days that have passed."]
    if period_start < staff.hired_on:
        errors["period_start"] = [f"{staff} started work on {staff.hired_on:%Y-%m-%d}."]
    days = (period_end - period_start).days + 1
    if hours <= 0:
        errors["hours"] = ["Hours must be more than zero."]
    elif hours > 24 * max(days, 1):
        errors["hours"] = [f"{hours} hours do not fit in {days} days."]
    if len(note) > 300:
        errors["note"] = ["The note is limited to 300 characters."]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        # The staff member's row lock makes two entries sent together wait for each other, so
        # the second sees the first.
        Staff.objects.select_for_update().only("pk").get(pk=staff.pk)
        covered = (
            SupervisedWorkHours.objects.filter(
                staff=staff, period_start__lte=period_end, period_end__gte=period_start
            )
            .select_related("supervisor")
            .order_by("period_start", "pk")
            .first()
        )
        if covered is not None:
            raise invalid(
                "period_start",
                f"{covered.hours} supervised hours are already recorded for {staff} from "
                f"{covered.period_start:%Y-%m-%d} to {covered.period_end:%Y-%m-%d} (by "
                f"{covered.supervisor}); those days would count twice. Record only days not "
                "yet covered.",
            )
        row = SupervisedWorkHours.objects.create(
            staff=staff,
            supervisor=_staff(actor),
            period_start=period_start,
            period_end=period_end,
            hours=hours,
            note=note.strip(),
            recorded_at=clock.now(),
        )
        audit_administration(
            actor,
            Action.CREATE,
            row,
            audit.changes(
                None,
                {
                    "staff": str(staff.public_id),
                    "period": f"{period_start}..{period_end}",
                    "hours": str(hours),
                },
            ),
        )
    return row


def zone_of(staff: Staff) -> Any:
    """The staff member's local zone (their unit's; else the organization's default), the one
    their supervision pages show days in."""
    from pillars.workforce.selectors.drift import zone_for  # the selectors import this module

    return zone_for([staff.pk])


def hours_between(staff: Staff, start: date | None, end: date) -> tuple[Decimal, Decimal]:
    """(session hours, work hours) for the staff member between two dates, inclusive: session
    hours from sessions everyone has signed; work hours from periods that end in the range.
    The days are the staff member's local days (their unit's zone), as the ledger shows the
    sessions: one held at 20:00 on 31 January in Chicago is a January session, though it is
    1 February in UTC."""
    zone = zone_of(staff)

    def midnight(day: date) -> datetime:
        return datetime.combine(day, time(0), tzinfo=zone)

    sessions = SessionAttendee.objects.filter(
        supervisee=staff,
        session__signed_at__isnull=False,
        session__started_at__lt=midnight(end + timedelta(days=1)),
    )
    work = SupervisedWorkHours.objects.filter(staff=staff, period_end__lte=end)
    if start is not None:
        sessions = sessions.filter(session__started_at__gte=midnight(start))
        work = work.filter(period_end__gte=start)
    minutes = sum(sessions.values_list("session__minutes", flat=True))
    session_hours = (Decimal(minutes) / Decimal(60)).quantize(Decimal("0.01"))
    return session_hours, sum(work.values_list("hours", flat=True), Decimal(0))


def sign_letter(
    staff: Staff,
    *,
    actor: Any,
    rule: CertificationRule,
    period_start: date,
    period_end: date,
    credential: str,
) -> VerificationLetter:
    """The supervisor signs a letter verifying the supervisee's supervised hours in a period
    for a certifying body; the figures are fixed at signing from the signed record."""
    policy.require(actor, "workforce.sign_letter", staff)
    errors: dict[str, list[str]] = {}
    today = clock.today_in(zone_of(staff))  # the supervisee's day, as in record_work_hours
    credential = credential.strip()
    if period_end < period_start:
        errors["period_end"] = ["The period ends before it starts."]
    if period_end > today:
        errors["period_end"] = ["A letter can verify only hours already worked."]
    if not credential:
        errors["credential"] = ["Sign with your credential."]
    if errors:
        raise ValidationError(errors)
    session_hours, work_hours = hours_between(staff, period_start, period_end)
    if session_hours + work_hours <= 0:
        raise invalid(None, "There are no supervised hours in this period to verify.")
    supervisor = _staff(actor)
    statement = (
        f"I, {supervisor.display_name} ({credential}), supervised {staff.display_name} "
        f"from {period_start:%B %d, %Y} to {period_end:%B %d, %Y}, and verify "
        f"{session_hours + work_hours} supervised hours in that period: {session_hours} hours "
        f"in supervision sessions signed by both of us and {work_hours} hours of supervised "
        "work recorded in our supervision ledger."
    )
    with transaction.atomic():
        letter = VerificationLetter.objects.create(
            staff=staff,
            supervisor=supervisor,
            rule=rule,
            period_start=period_start,
            period_end=period_end,
            session_hours=session_hours,
            work_hours=work_hours,
            supervisor_credential=credential,
            statement=statement,
            signed_at=clock.now(),
        )
        audit_administration(
            actor,
            Action.CREATE,
            letter,
            {
                "staff": str(staff.public_id),
                "rule": rule.code,
                "hours": str(letter.total_hours),
            },
        )
    return letter


# --- The overdue sweep -------------------------------------------------------------------------


def _alert_overdue(profile_pk: int, now: datetime) -> int:
    """Claim one overdue supervisee for its due moment (compare-and-set on alerted_due_at) and
    alert the supervisee and their supervisor once; the alert names no person served."""
    profile = SupervisionProfile.objects.select_related("staff__supervisor").get(pk=profile_pk)
    staff = profile.staff
    zone = zone_of(staff)
    state = cadence_state(staff, now, profile=profile, zone=zone)
    if not state.is_overdue or state.due_at is None:
        return 0
    claimed = (
        SupervisionProfile.objects.filter(pk=profile_pk)
        .filter(Q(alerted_due_at__isnull=True) | ~Q(alerted_due_at=state.due_at))
        .update(alerted_due_at=state.due_at)
    )
    if claimed != 1:
        return 0
    # Shown with the supervisee's unit when they have one; the alert is sent all the same.
    unit = staff.home_units.order_by("pk").first()
    recipients = [staff] + ([staff.supervisor] if staff.supervisor else [])
    due_day = clock.local(state.due_at, zone)
    message = (
        f"Supervision for {staff.display_name} was due by {due_day:%Y-%m-%d}; "
        "record a session to get back on cadence."
    )
    new = alerts.write(
        recipients,
        kind=AlertKind.OTHER,
        message=message,
        due_at=state.due_at,
        dedupe_key=f"sup-due:{staff.public_id}:{state.due_at.isoformat()}",
        unit=unit,
        subject=Subject("workforce.supervision", staff.public_id),
        now=now,
    )
    audit_operations(
        None,
        Action.UPDATE,
        profile,
        {
            "event": "supervision overdue",
            "due_at": state.due_at.isoformat(),
            "alerts": len(new),
        },
        actor_label=SYSTEM_LABEL,
    )
    return len(new)


def ensure_profiles(today: date) -> int:
    """Give every employed staff member with a supervisor a profile, so the sweep finds them."""
    missing = (
        Staff.objects.filter(supervisor__isnull=False, supervision__isnull=True)
        .filter(Q(exited_on__isnull=True) | Q(exited_on__gt=today))
        .values_list("pk", flat=True)
    )
    made = SupervisionProfile.objects.bulk_create(
        [SupervisionProfile(staff_id=pk) for pk in missing], ignore_conflicts=True
    )
    return len(made)


def sweep_overdue(now: datetime | None = None, *, limit: int = 500) -> sweeps.SweepResult:
    """One sweep: each supervised staff member whose supervision is overdue alerts them and
    their supervisor once per due moment (a later session moves the moment and re-arms it).
    Rows go through the one failure policy (core.sweeps.guarded)."""
    now = now or clock.now()
    result = sweeps.SweepResult("supervision cadence")
    # Exits are the organization's days: someone who leaves tomorrow in Chicago is still
    # supervised at 21:00 today, though UTC has reached tomorrow.
    today = clock.organization_today(now)
    ensure_profiles(today)
    rows = list(
        SupervisionProfile.objects.filter(staff__supervisor__isnull=False)
        .filter(Q(staff__exited_on__isnull=True) | Q(staff__exited_on__gt=today))
        .order_by("pk")
        .values_list("pk", "public_id")[:limit]
    )
    for pk, public_id in sweeps.within_budget(result, rows):
        written = sweeps.guarded(
            result,
            lambda pk=pk: _alert_overdue(pk, now),  # type: ignore[misc]
            label=SYSTEM_LABEL,
            object_type="workforce.supervisionprofile",
            object_id=str(public_id),
        )
        if written:
            result.claimed += 1
            result.alerts += written
    return result
