"""Every write in the restraint area (DESIGN.md rules 2 and 3): one function per write, the
permission checked first, one transaction with its audit event. Signed entries are never
edited; corrections are addenda; nothing is deleted."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Prefetch, Q, QuerySet

from pillars.audit import log as audit
from pillars.audit.choices import Action, Purpose
from pillars.core import clock, policy, sweeps
from pillars.core.errors import ValidationError, invalid
from pillars.core.policy import Actor
from pillars.core.roles import RoleCode
from pillars.core.templatetags.pillars_time import fold_mark
from pillars.core.versioning import change_rule, refuse_unknown
from pillars.core.writes import atomic_or_conflict
from pillars.incidents.models import (
    EpisodeKind,
    FaceToFace,
    MonitoringCheck,
    RestraintAddendum,
    RestraintEpisode,
    RestraintOrder,
    RestraintStaff,
    RuleProfile,
    UnitRuleProfile,
)
from pillars.incidents.models.incidents import ExposureKind
from pillars.incidents.models.restraint import LATE_ENTRY_AFTER, OrderTerms, ViolationKind
from pillars.incidents.selectors.restraint import unit_profile_code
from pillars.incidents.services.incidents import record_exposure
from pillars.people import alerts, hooks
from pillars.people.addendum_writes import adding
from pillars.people.alerts import AlertKind, Subject
from pillars.people.models import PersonServed, Placement, Staff, Unit
from pillars.people.selectors import employed_q, record_person_event

DEFAULT_PROFILE = "cms-hospital"
# Device clocks drift; a moment this far ahead of the server is refused as impossible.
CLOCK_SKEW = timedelta(minutes=2)
MAX_TEXT = 2000
MAX_SHORT = 300
# More than this many staff in one episode is a data-entry mistake, not a hold.
MAX_STAFF = 20
MECHANICAL_ITEMS = (
    "circulation_ok",
    "skin_ok",
    "range_of_motion",
    "hydration_offered",
    "toileting_offered",
)


# --- Rule profiles ----------------------------------------------------------------------------


def profile_for_unit(unit: Unit) -> RuleProfile:
    """The current version of the profile the unit chose (the federal hospital rule if none)."""
    profile = RuleProfile.objects.filter(code=unit_profile_code(unit), is_current=True).first()
    if profile is None:
        profile = RuleProfile.objects.get(code=DEFAULT_PROFILE, is_current=True)
    return profile


def choose_unit_profile(unit: Unit, *, actor: Any, code: str) -> UnitRuleProfile:
    """A unit chooses its profile (by code: it follows the profile's current version from its
    next episode on); the old choice is kept, retired. Directors choose for the units they
    lead, administrators for any."""
    acting = policy.require(actor, "incidents.restraint_choose_profile", unit)
    if not RuleProfile.objects.filter(code=code, is_current=True).exists():
        raise invalid("code", "Choose one of the rule profiles.")
    with transaction.atomic():
        old = list(UnitRuleProfile.objects.select_for_update().filter(unit=unit, is_current=True))
        before = old[0].profile_code if old else DEFAULT_PROFILE
        if before == code:
            raise invalid("code", f"{unit.name} already follows this profile.")
        UnitRuleProfile.objects.filter(pk__in=[o.pk for o in old]).update(is_current=False)
        row = UnitRuleProfile.objects.create(
            unit=unit, profile_code=code, chosen_at=clock.now(), chosen_by_id=acting.staff_pk
        )
        audit.record(
            actor,
            Action.UPDATE,
            row,
            purpose=Purpose.ADMINISTRATION,
            detail={
                "unit": unit.code,
                "changes": {"profile": {"old": old[0].profile_code if old else None, "new": code}},
            },
        )
    return row


PROFILE_FIELDS = (
    "name",
    "citation",
    "adult_age",
    "child_age",
    "adult_limit_minutes",
    "child_limit_minutes",
    "young_child_limit_minutes",
    "renewal_cap_minutes",
    "face_to_face_minutes",
    "monitoring_minutes",
    "hold_max_minutes",
    "mechanical_adult_total_minutes",
)


# A profile may be stricter than the federal rule, never looser (DESIGN.md facts; CMS 42 CFR
# 482.13(e)(8) and (g), PRTF 42 CFR 483.358): orders 4 h for adults, 2 h for ages 9-17, 1 h
# under 9; renewals up to 24 h; face-to-face within 1 h; monitoring at least every 15 min.
FEDERAL_MAX_MINUTES = {
    "adult_limit_minutes": 240,
    "child_limit_minutes": 120,
    "young_child_limit_minutes": 60,
    "renewal_cap_minutes": 24 * 60,
    "face_to_face_minutes": 60,
    "monitoring_minutes": 15,
}
# The federal ages with the federal limits: adults from 18, children from 9.
FEDERAL_AGES = {**FEDERAL_MAX_MINUTES, "adult_age": 18, "child_age": 9}
# A state's total for mechanical restraint of an adult, at most a week (a sanity bound).
STATE_TOTAL_MAX_MINUTES = 7 * 24 * 60
# Children are younger than adults; no rule calls someone over 21 a child.
CHILD_AGE_RANGE = (1, 17)
ADULT_AGE_MAX = 21


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _profile_errors(values: dict[str, Any]) -> dict[str, list[str]]:
    """Every rule a profile's values break, by field: positive whole minutes within the federal
    ceilings, younger children never held longer than older ones, renewals covering at least
    one order, ages in order, state limits positive and a hold no longer than an order."""
    errors: dict[str, list[str]] = {}

    def refuse(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    name = values["name"]
    if not name:
        refuse("name", "Name the profile.")
    elif len(name) > 120:
        refuse("name", "At most 120 characters.")
    if len(values["citation"]) > 200:
        refuse("citation", "At most 200 characters.")
    for field_name, most in FEDERAL_MAX_MINUTES.items():
        value = values[field_name]
        if not _whole(value) or value < 1:
            refuse(field_name, "Enter a whole number of minutes, at least 1.")
        elif value > most:
            refuse(
                field_name,
                f"At most {most} minutes: a profile may be stricter than the federal rule, "
                "never looser.",
            )
    limits = {"adult_limit_minutes", "child_limit_minutes", "young_child_limit_minutes"}
    if not errors.keys() & limits and not (
        values["young_child_limit_minutes"]
        <= values["child_limit_minutes"]
        <= values["adult_limit_minutes"]
    ):
        refuse(
            "child_limit_minutes",
            "A younger person's order may not run longer than an older person's: "
            "young children, then children, then adults.",
        )
    if (
        not errors.keys() & {"renewal_cap_minutes", "adult_limit_minutes"}
        and values["renewal_cap_minutes"] < values["adult_limit_minutes"]
    ):
        refuse(
            "renewal_cap_minutes",
            "Renewals must cover at least one adult order "
            f"({values['adult_limit_minutes']} minutes).",
        )
    child_age, adult_age = values["child_age"], values["adult_age"]
    low, high = CHILD_AGE_RANGE
    if not _whole(child_age) or not low <= child_age <= high:
        refuse("child_age", f"Enter an age from {low} to {high}.")
    if not _whole(adult_age) or not 2 <= adult_age <= ADULT_AGE_MAX:
        refuse("adult_age", f"Enter an age up to {ADULT_AGE_MAX}.")
    elif "child_age" not in errors and adult_age <= child_age:
        refuse("adult_age", "The adult age must be above the child age.")
    if not errors.keys() & {"adult_age", "child_age", *limits}:
        _refuse_looser_ages(values, refuse)
    hold = values["hold_max_minutes"]
    if hold is not None:
        if not _whole(hold) or hold < 1:
            refuse("hold_max_minutes", "Enter a whole number of minutes, at least 1, or none.")
        elif _whole(values["adult_limit_minutes"]) and hold > values["adult_limit_minutes"]:
            refuse("hold_max_minutes", "A hold limit longer than an adult order limits nothing.")
    total = values["mechanical_adult_total_minutes"]
    if total is not None and (not _whole(total) or not 1 <= total <= STATE_TOTAL_MAX_MINUTES):
        refuse(
            "mechanical_adult_total_minutes",
            f"Enter a whole number of minutes from 1 to {STATE_TOTAL_MAX_MINUTES}, or none.",
        )
    return errors


def _age_limit(values: dict[str, Any], age: int) -> int:
    if age >= values["adult_age"]:
        return int(values["adult_limit_minutes"])
    if age >= values["child_age"]:
        return int(values["child_limit_minutes"])
    return int(values["young_child_limit_minutes"])


def _refuse_looser_ages(values: dict[str, Any], refuse: Callable[[str, str], None]) -> None:
    """Lower ages are looser when they give someone a longer order than the federal rule does
    at their age (a 16-year-old held 4 hours, a 5-year-old 2): refused, age by age."""
    for age in range(ADULT_AGE_MAX + 1):
        if _age_limit(values, age) <= _age_limit(FEDERAL_AGES, age):
            continue
        if age < FEDERAL_AGES["adult_age"] and age >= values["adult_age"]:
            refuse(
                "adult_age",
                f"An adult's order for a {age}-year-old is longer than the federal rule allows "
                f"({FEDERAL_AGES['child_limit_minutes']} minutes under "
                f"{FEDERAL_AGES['adult_age']}).",
            )
        else:
            refuse(
                "child_age",
                f"A child's order for a {age}-year-old is longer than the federal rule allows "
                f"({FEDERAL_AGES['young_child_limit_minutes']} minutes under "
                f"{FEDERAL_AGES['child_age']}).",
            )
        return


def change_profile(profile: RuleProfile, *, actor: Any, **changes: Any) -> RuleProfile:
    """Change a rule profile by making its next version: episodes keep the version they
    started under; new episodes use the new one."""
    policy.require(actor, "incidents.restraint_manage_profiles")
    refuse_unknown(changes, PROFILE_FIELDS)
    values = {**{name: getattr(profile, name) for name in PROFILE_FIELDS}, **changes}
    values["name"] = str(values["name"] or "").strip()
    values["citation"] = str(values["citation"] or "").strip()
    errors = _profile_errors(values)
    if errors:
        raise ValidationError(errors)
    return change_rule(
        profile,
        actor=actor,
        fields=PROFILE_FIELDS,
        values=values,
        stale="This profile was changed a moment ago; reload and try again.",
    )


# --- Orders -----------------------------------------------------------------------------------


def order_terms(
    profile: RuleProfile,
    *,
    person: PersonServed,
    unit: Unit,
    kind: str,
    ordered_at: datetime,
    window_start: datetime,
) -> OrderTerms:
    """An order's limit: from the person's age on the day of the order in the unit's zone (a
    9th or 18th birthday counts the new age from the day itself), never past the end of the
    24-hour window (``window_start`` plus the renewal cap)."""
    day = clock.local(ordered_at, unit.time_zone).date()
    age = person.age_on(day)
    limit = profile.limit_for(age, kind)
    cap = window_start + timedelta(minutes=profile.renewal_cap_minutes)
    return OrderTerms(age=age, ordered_on=day, limit=limit, expires_at=min(ordered_at + limit, cap))


def _window_start(episode: RestraintEpisode, orders: list[RestraintOrder]) -> datetime:
    """The 24-hour window starts at the episode's start, and again at each order for which the
    physician or practitioner saw the person."""
    seen = [o.ordered_at for o in orders if o.seen_in_person]
    return max(seen) if seen else episode.started_at


def _moment(value: datetime | None, name: str, now: datetime, after: datetime) -> datetime:
    moment = value or now
    if moment.tzinfo is None:
        raise invalid(name, "The time must include a time zone.")
    if moment > now + CLOCK_SKEW:
        raise invalid(name, "That time is in the future.")
    if moment < after:
        raise invalid(name, "That time is before the episode began.")
    return moment


def _text(value: str, name: str, message: str, limit: int = MAX_TEXT) -> str:
    value = (value or "").strip()
    if not value:
        raise invalid(name, message)
    if len(value) > limit:
        raise invalid(name, f"At most {limit} characters.")
    return value


def _late_reason(reason: str, late: str | None) -> str:
    """DESIGN.md rule 1: an entry made more than LATE_ENTRY_AFTER after the moment it claims is
    a late (back-filled) entry; it says why, and the episode shows it as a late entry. ``late``
    names what is late (None: on time, and no reason is kept)."""
    if late is None:
        return ""
    reason = (reason or "").strip()
    if not reason:
        minutes = int(LATE_ENTRY_AFTER.total_seconds() // 60)
        raise invalid(
            "late_reason",
            f"{late} is entered more than {minutes} minutes after it happened: say why. "
            "It will be shown as a late entry.",
        )
    if len(reason) > MAX_SHORT:
        raise invalid("late_reason", f"At most {MAX_SHORT} characters.")
    return reason


def _is_late(now: datetime, moment: datetime) -> bool:
    return now - moment > LATE_ENTRY_AFTER


def _orderer(ordered_by: Staff | None, acting: Actor) -> int:
    """Who gave the order: a clinician of the organization (DESIGN.md: the clinician orders
    restraint and seclusion; the CMS rule asks for a physician or licensed practitioner). A
    clinician entering their own order gives none; anyone else entering it names the clinician,
    and is recorded as the one who entered it, never as the orderer."""
    if ordered_by is None:
        if acting.has_role(RoleCode.CLINICIAN):
            return acting.staff_pk
        raise invalid("ordered_by", "Name the clinician who gave the order.")
    is_clinician = ordered_by.roles.filter(code=RoleCode.CLINICIAN).exists()
    if ordered_by.organization_id != acting.organization_id or not is_clinician:
        raise invalid("ordered_by", f"{ordered_by} is not a clinician who may give the order.")
    return ordered_by.pk


def _new_order(
    episode: RestraintEpisode,
    terms: OrderTerms,
    orderer_id: int,
    staff_pk: int,
    ordered_at: datetime,
    now: datetime,
    **renewal: Any,
) -> RestraintOrder:
    """An episode's order (the first, or a renewal) on the terms the rule profile set: the
    person's age, the day it counts against and its time limit."""
    return RestraintOrder.objects.create(
        episode=episode,
        ordered_by_id=orderer_id,
        ordered_at=ordered_at,
        recorded_at=now,
        recorded_by_id=staff_pk,
        age_years=terms.age,
        ordered_on=terms.ordered_on,
        limit_minutes=int(terms.limit.total_seconds() // 60),
        expires_at=terms.expires_at,
        **renewal,
    )


def _audit(actor: Any, action: str, target: Any, episode: RestraintEpisode, **detail: Any) -> None:
    record_person_event(
        episode.person,
        actor=actor,
        action=action,
        target=target,
        detail={"episode": str(episode.public_id), **detail},
    )


def load_episode(pk: int, *, lock: bool = False) -> RestraintEpisode:
    """One episode with everything its clocks read (profile, orders, checks, face-to-face)."""
    qs = RestraintEpisode.objects.select_related("person", "unit", "profile").prefetch_related(
        Prefetch("orders", queryset=RestraintOrder.objects.order_by("ordered_at", "pk")),
        "checks",
        "face_to_faces",
        Prefetch("staff_roles", queryset=RestraintStaff.objects.select_related("staff")),
    )
    if lock:
        qs = qs.select_for_update(of=("self",))
    return qs.get(pk=pk)


def _refresh_sweep(episode: RestraintEpisode, now: datetime) -> None:
    """Move the sweep's index to the next deadline. A deadline already passed and not yet
    swept stays, so its alert is still written."""
    stored = episode.sweep_due_at
    if stored is not None and stored <= now:
        return
    episode.sweep_due_at = episode.next_deadline_after(now)
    episode.save(update_fields=["sweep_due_at"])


# --- Staff involved ---------------------------------------------------------------------------


def _close_alerts(
    episode: RestraintEpisode, now: datetime, reason: str, kind: str | None = None
) -> None:
    """Close the episode's open alerts whose cause this write removed (kind: one violation
    kind; None: all of them, as on release). The sweep's dedupe key starts with the episode
    and the violation kind."""
    prefix = f"rs:{episode.public_id}:" + (f"{kind}:" if kind else "")
    alerts.resolve(alerts.about(key_prefix=prefix), moment=now, reason=reason)


def _deadline_met(episode: RestraintEpisode, now: datetime, reason: str, kind: str) -> None:
    """After an entry that meets one of the episode's deadlines (a renewal, the face-to-face, a
    monitoring check): the sweep's index moves on, read afresh with the new entry, and the
    alerts about that violation kind close."""
    _refresh_sweep(load_episode(episode.pk), now)
    _close_alerts(episode, now, reason, kind)


def eligible_staff(unit: Unit, moment: datetime) -> QuerySet[Staff]:
    """Staff who may be named in an episode on ``unit`` at ``moment``: employed that day (in
    the unit's zone) with an active account, and working on the unit's site: a home unit
    there, or a shift assignment on one of its units that covers the moment (float staff)."""
    from pillars.rounds.models import ShiftAssignment

    day = clock.local(moment, unit.time_zone).date()
    on_shift = ShiftAssignment.objects.filter(
        unit__site_id=unit.site_id, starts_at__lte=moment, ends_at__gt=moment
    ).exclude(ended_at__lte=moment)
    return (
        Staff.objects.filter(employed_q(day), user__is_active=True)
        .filter(Q(home_units__site_id=unit.site_id) | Q(pk__in=on_shift.values("staff_id")))
        .distinct()
    )


def _check_staff(unit: Unit, moment: datetime, staff: list[Staff]) -> list[Staff]:
    """The staff named, each once, in the order given; refused (nothing stored) when one is
    not active or not working on the unit's site at ``moment``."""
    chosen = list({s.pk: s for s in staff}.values())
    if len(chosen) > MAX_STAFF:
        raise invalid("staff", f"Name at most {MAX_STAFF} staff members.")
    allowed = set(
        eligible_staff(unit, moment)
        .filter(pk__in=[s.pk for s in chosen])
        .values_list("pk", flat=True)
    )
    refused = [s.display_name for s in chosen if s.pk not in allowed]
    if refused:
        raise invalid(
            "staff",
            f"{', '.join(refused)}: not an active staff member working on this site then.",
        )
    # The floor knows (workforce floor rules): a lapsed credential or training blocks or warns.
    blocked = [
        reason
        for member in chosen
        if (reason := hooks.floor_gate(member, hooks.FloorTask.RESTRAINT_TEAM)) is not None
    ]
    if blocked:
        raise invalid("staff", " ".join(blocked))
    return chosen


def _involve(
    episode: RestraintEpisode, staff: list[Staff], *, actor: Any, added_by: int, now: datetime
) -> list[RestraintStaff]:
    """Name staff in the episode and write each one's restraint row in the exposure ledger,
    inside the caller's transaction (the ledger is idempotent per staff and source)."""
    rows = [
        RestraintStaff.objects.create(
            episode=episode, staff=member, added_at=now, added_by_id=added_by
        )
        for member in staff
    ]
    for member in staff:
        record_exposure(
            member,
            kind=ExposureKind.RESTRAINT,
            occurred_at=episode.started_at,
            source=episode,
            actor=actor,
        )
    return rows


def start_episode(
    person: PersonServed,
    *,
    actor: Any,
    kind: str,
    reason: str,
    release_criteria: str,
    alternatives_tried: str = "",
    started_at: datetime | None = None,
    ordered_by: Staff | None = None,
    ordered_at: datetime | None = None,
    staff: list[Staff] | None = None,
    late_reason: str = "",
) -> RestraintEpisode:
    """Start an episode with its order. The unit is where the person was placed at the start;
    the episode follows the unit's rule profile (this version) to its end. ``staff`` names the
    staff who took part; each gets a restraint row in the exposure ledger. A start (or its
    order) entered more than LATE_ENTRY_AFTER after it happened needs ``late_reason``."""
    acting = policy.require(actor, "incidents.restraint_order", person)
    now = clock.now()
    errors: dict[str, list[str]] = {}
    if kind not in EpisodeKind.values:
        errors["kind"] = ["Choose physical hold, mechanical restraint, seclusion or drug."]
    for name, value, message in (
        ("reason", reason, "Say what behavior made it necessary."),
        ("release_criteria", release_criteria, "Say what the person must show to be released."),
    ):
        if not (value or "").strip():
            errors[name] = [message]
        elif len(value.strip()) > MAX_TEXT:
            errors[name] = [f"At most {MAX_TEXT} characters."]
    if errors:
        raise ValidationError(errors)
    orderer_id = _orderer(ordered_by, acting)
    moment = _moment(started_at, "started_at", now, now - timedelta(hours=24))
    order_moment = _moment(ordered_at, "ordered_at", now, moment - timedelta(hours=1))
    # The unit the person was on when the episode began (an entry made after a transfer
    # still belongs to the unit where it happened).
    placement = (
        Placement.objects.at(moment).filter(episode__person=person).select_related("unit").first()
    )
    if placement is None:
        raise invalid("started_at", f"{person} was not placed on a unit then.")
    unit = placement.unit
    involved = _check_staff(unit, moment, staff or [])
    late_start, late_order = _is_late(now, moment), _is_late(now, order_moment)
    late_reason = _late_reason(
        late_reason,
        "The start" if late_start else "The order" if late_order else None,
    )
    profile = profile_for_unit(unit)
    terms = order_terms(
        profile, person=person, unit=unit, kind=kind, ordered_at=order_moment, window_start=moment
    )
    with atomic_or_conflict(f"{person} is already in a restraint or seclusion episode."):
        episode = RestraintEpisode.objects.create(
            person=person,
            unit=unit,
            profile=profile,
            kind=kind,
            started_at=moment,
            started_by_id=acting.staff_pk,
            recorded_at=now,
            late_reason=late_reason if late_start else "",
            reason=reason.strip(),
            alternatives_tried=(alternatives_tried or "").strip(),
            release_criteria=release_criteria.strip(),
        )
        order = _new_order(
            episode,
            terms,
            orderer_id,
            acting.staff_pk,
            order_moment,
            now,
            late_reason=late_reason if late_order else "",
        )
        _involve(episode, involved, actor=actor, added_by=acting.staff_pk, now=now)
        episode = load_episode(episode.pk)
        episode.sweep_due_at = episode.first_deadline()
        episode.save(update_fields=["sweep_due_at"])
        _audit(
            actor,
            Action.CREATE,
            episode,
            episode,
            kind=kind,
            unit=unit.code,
            profile=f"{profile.code} v{profile.version}",
            started_at=moment.isoformat(),
            order=str(order.public_id),
            age=terms.age,
            limit_minutes=order.limit_minutes,
            expires_at=order.expires_at.isoformat(),
            staff=[str(member.public_id) for member in involved],
            late_entry=late_start,
            order_late_entry=late_order,
        )
    return episode


def _active(episode: RestraintEpisode) -> RestraintEpisode:
    locked = load_episode(episode.pk, lock=True)
    if locked.released_at is not None:
        raise invalid(None, "This episode has ended.")
    return locked


def add_staff(episode: RestraintEpisode, *, actor: Any, staff: list[Staff]) -> list[RestraintStaff]:
    """Name more staff who took part while the episode runs (relief for a hold, a second
    person for the seclusion); each gets a restraint row in the exposure ledger. Staff already
    named are refused so a double tap does not read as success for someone else."""
    acting = policy.require(actor, "incidents.restraint_monitor", episode)
    if not staff:
        raise invalid("staff", "Choose at least one staff member.")
    now = clock.now()
    with transaction.atomic():
        locked = _active(episode)
        chosen = _check_staff(locked.unit, now, staff)
        already = set(
            RestraintStaff.objects.filter(episode=locked, staff__in=chosen).values_list(
                "staff__display_name", flat=True
            )
        )
        if already:
            raise invalid("staff", f"{', '.join(sorted(already))}: already named.")
        rows = _involve(locked, chosen, actor=actor, added_by=acting.staff_pk, now=now)
        for row in rows:
            _audit(
                actor,
                Action.CREATE,
                row,
                locked,
                event="staff_involved",
                staff=str(row.staff.public_id),
            )
    return rows


def renew_order(
    episode: RestraintEpisode,
    *,
    actor: Any,
    ordered_at: datetime | None = None,
    ordered_by: Staff | None = None,
    seen_in_person: bool = False,
    note: str = "",
    late_reason: str = "",
) -> RestraintOrder:
    """Renew the order: a new order with its own limit. Orders cover at most 24 hours from the
    start (or from the last time the practitioner saw the person); past that, a renewal needs
    the physician or practitioner to have seen the person again (``seen_in_person``). A renewal
    entered more than LATE_ENTRY_AFTER after it was given needs ``late_reason``: back-dated, it
    could otherwise close an expired order's gap unseen."""
    acting = policy.require(actor, "incidents.restraint_order", episode)
    orderer_id = _orderer(ordered_by, acting)
    now = clock.now()
    note = (note or "").strip()[:MAX_SHORT]
    with transaction.atomic():
        locked = _active(episode)
        moment = _moment(ordered_at, "ordered_at", now, locked.started_at)
        orders = locked._orders()
        if orders and moment < orders[-1].ordered_at:
            raise invalid("ordered_at", "A renewal cannot come before the order it renews.")
        late = _is_late(now, moment)
        late_reason = _late_reason(late_reason, "The renewal" if late else None)
        window = moment if seen_in_person else _window_start(locked, orders)
        cap = window + timedelta(minutes=locked.profile.renewal_cap_minutes)
        if moment >= cap:
            hours = locked.profile.renewal_cap_minutes // 60
            raise invalid(
                "seen_in_person",
                f"Orders have covered {hours} hours: the physician or practitioner must see the "
                "person before a new order.",
            )
        terms = order_terms(
            locked.profile,
            person=locked.person,
            unit=locked.unit,
            kind=locked.kind,
            ordered_at=moment,
            window_start=window,
        )
        order = _new_order(
            locked,
            terms,
            orderer_id,
            acting.staff_pk,
            moment,
            now,
            is_renewal=True,
            seen_in_person=seen_in_person,
            note=note,
            late_reason=late_reason,
        )
        _deadline_met(locked, now, "The order was renewed.", ViolationKind.EXPIRED_ORDER)
        _audit(
            actor,
            Action.CREATE,
            order,
            locked,
            event="renewal",
            ordered_at=moment.isoformat(),
            age=terms.age,
            limit_minutes=order.limit_minutes,
            expires_at=order.expires_at.isoformat(),
            seen_in_person=seen_in_person,
            late_entry=late,
        )
    return order


def record_face_to_face(
    episode: RestraintEpisode,
    *,
    actor: Any,
    findings: str,
    seen_at: datetime | None = None,
    continue_episode: bool = True,
    late_reason: str = "",
) -> FaceToFace:
    """The face-to-face evaluation by the physician, practitioner or trained nurse (due within
    an hour of the start). A late one is kept and reported as late. One entered more than
    LATE_ENTRY_AFTER after the person was seen needs ``late_reason``."""
    acting = policy.require(actor, "incidents.restraint_evaluate", episode)
    now = clock.now()
    findings = _text(findings, "findings", "Write what the evaluation found.")
    with transaction.atomic():
        locked = load_episode(episode.pk, lock=True)
        if locked._face_to_face() is not None:
            raise invalid(None, "The face-to-face is recorded; correct it with an addendum.")
        moment = _moment(seen_at, "seen_at", now, locked.started_at)
        if locked.released_at is not None and moment > locked.released_at + timedelta(hours=1):
            raise invalid("seen_at", "That is long after the release.")
        late = _is_late(now, moment)
        late_reason = _late_reason(late_reason, "The face-to-face" if late else None)
        seen = FaceToFace.objects.create(
            episode=locked,
            seen_by_id=acting.staff_pk,
            seen_at=moment,
            recorded_at=now,
            findings=findings,
            continue_episode=continue_episode,
            late_reason=late_reason,
        )
        _deadline_met(
            locked, now, "The face-to-face was recorded.", ViolationKind.LATE_FACE_TO_FACE
        )
        _audit(
            actor,
            Action.CREATE,
            seen,
            locked,
            event="face_to_face",
            seen_at=moment.isoformat(),
            late=moment > locked.face_to_face_due_at(),
            late_entry=late,
        )
    return seen


def record_monitoring(
    episode: RestraintEpisode,
    *,
    actor: Any,
    condition: str,
    observed_at: datetime | None = None,
    note: str = "",
    **items: bool | None,
) -> MonitoringCheck:
    """A monitoring check. For mechanical restraint every extra item (circulation, skin, range
    of motion, hydration, toileting) must be answered."""
    acting = policy.require(actor, "incidents.restraint_monitor", episode)
    now = clock.now()
    unknown = set(items) - set(MECHANICAL_ITEMS)
    if unknown:
        raise invalid(None, f"Unknown items: {', '.join(sorted(unknown))}")
    errors: dict[str, list[str]] = {}
    condition = (condition or "").strip()
    if not condition:
        errors["condition"] = ["Describe the person's physical and psychological state."]
    elif len(condition) > MAX_SHORT:
        errors["condition"] = [f"At most {MAX_SHORT} characters."]
    if episode.kind == EpisodeKind.MECHANICAL:
        for name in MECHANICAL_ITEMS:
            if items.get(name) is None:
                errors[name] = ["Answer this for mechanical restraint."]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        locked = _active(episode)
        moment = _moment(observed_at, "observed_at", now, locked.started_at)
        note = (note or "").strip()[:500]
        if now - moment > LATE_ENTRY_AFTER and not note:
            # DESIGN.md rule 1: a late (back-filled) entry says why; it is flagged on the page.
            minutes = int(LATE_ENTRY_AFTER.total_seconds() // 60)
            raise invalid(
                "note", f"Entered more than {minutes} minutes after the check: say why in the note."
            )
        values = {
            name: (items.get(name) if locked.kind == EpisodeKind.MECHANICAL else None)
            for name in MECHANICAL_ITEMS
        }
        check = MonitoringCheck.objects.create(
            episode=locked,
            observed_by_id=acting.staff_pk,
            observed_at=moment,
            recorded_at=now,
            condition=condition,
            note=note,
            **values,
        )
        _deadline_met(
            locked, now, "A monitoring check was recorded.", ViolationKind.MISSED_MONITORING
        )
        _audit(
            actor,
            Action.CREATE,
            check,
            locked,
            event="monitoring",
            observed_at=moment.isoformat(),
            late_entry=check.is_late_entry,
            **{k: v for k, v in values.items() if v is not None},
        )
    return check


def release_episode(
    episode: RestraintEpisode,
    *,
    actor: Any,
    reason: str,
    released_at: datetime | None = None,
    late_reason: str = "",
) -> RestraintEpisode:
    """Release: the person met the release criteria (or why else). A release entered more than
    LATE_ENTRY_AFTER after it happened needs ``late_reason``."""
    acting = policy.require(actor, "incidents.restraint_order", episode)
    now = clock.now()
    reason = _text(reason, "reason", "Say why the person is released.")
    with transaction.atomic():
        locked = _active(episode)
        moment = _moment(released_at, "released_at", now, locked.started_at)
        if moment <= locked.started_at:
            raise invalid("released_at", "The release must come after the start.")
        checks = locked._checks()
        if checks and moment < checks[-1].observed_at:
            raise invalid("released_at", "The release is before the last monitoring check.")
        late = _is_late(now, moment)
        late_reason = _late_reason(late_reason, "The release" if late else None)
        locked.released_at = moment
        locked.released_by_id = acting.staff_pk
        locked.release_reason = reason
        locked.release_recorded_at = now
        locked.release_late_reason = late_reason
        locked.save(
            update_fields=[
                "released_at",
                "released_by",
                "release_reason",
                "release_recorded_at",
                "release_late_reason",
            ]
        )
        _refresh_sweep(locked, now)
        _close_alerts(locked, now, "The person was released.")
        _audit(
            actor,
            Action.UPDATE,
            locked,
            locked,
            event="release",
            released_at=moment.isoformat(),
            reason=reason,
            violations=[v.kind for v in locked.violations_at(moment)],
            late_entry=late,
        )
    return locked


def notify_guardian(
    episode: RestraintEpisode, *, actor: Any, note: str, notified_at: datetime | None = None
) -> RestraintEpisode:
    """Record that the guardian (or family, as the person wished) was told."""
    acting = policy.require(actor, "incidents.restraint_monitor", episode)
    now = clock.now()
    note = _text(note, "note", "Say who was told and how.", MAX_SHORT)
    with transaction.atomic():
        locked = load_episode(episode.pk, lock=True)
        if locked.guardian_notified_at is not None:
            raise invalid(None, "The guardian notice is recorded; correct it with an addendum.")
        moment = _moment(notified_at, "notified_at", now, locked.started_at)
        locked.guardian_notified_at = moment
        locked.guardian_notified_by_id = acting.staff_pk
        locked.guardian_note = note
        locked.save(update_fields=["guardian_notified_at", "guardian_notified_by", "guardian_note"])
        _audit(actor, Action.UPDATE, locked, locked, event="guardian", at=moment.isoformat())
    return locked


def record_debrief(
    episode: RestraintEpisode, *, actor: Any, notes: str, with_person: bool
) -> RestraintEpisode:
    """The debrief after release, with the person served and the staff involved."""
    acting = policy.require(actor, "incidents.restraint_monitor", episode)
    now = clock.now()
    notes = _text(notes, "notes", "Write what the debrief found.")
    with transaction.atomic():
        locked = load_episode(episode.pk, lock=True)
        if locked.released_at is None:
            raise invalid(None, "The debrief follows the release.")
        if locked.debriefed_at is not None:
            raise invalid(None, "The debrief is recorded; correct it with an addendum.")
        locked.debriefed_at = now
        locked.debriefed_by_id = acting.staff_pk
        locked.debrief_with_person = with_person
        locked.debrief_notes = notes
        locked.save(
            update_fields=["debriefed_at", "debriefed_by", "debrief_with_person", "debrief_notes"]
        )
        _audit(actor, Action.UPDATE, locked, locked, event="debrief", with_person=with_person)
    return locked


def add_addendum(
    episode: RestraintEpisode, *, actor: Any, reason: str, text: str, entry: str = ""
) -> RestraintAddendum:
    """A correction: the episode and its entries stay as signed; the addendum says what is
    corrected, by whom and why."""
    acting = policy.require(actor, "incidents.restraint_monitor", episode)
    reason, text = RestraintAddendum.cleaned(reason, text, about="the episode", max_text=MAX_TEXT)
    entry = (entry or "").strip()[:80]
    with adding(
        RestraintAddendum, reason, text, episode=episode, entry=entry, written_by_id=acting.staff_pk
    ) as addendum:
        _audit(actor, Action.CREATE, addendum, episode, reason=reason, entry=addendum.entry)
    return addendum


# --- The sweep --------------------------------------------------------------------------------

SYSTEM_LABEL = "pillars worker (restraint)"
EPISODE_SUBJECT = "incidents.restraintepisode"


SweepResult = sweeps.SweepResult


def _retry_later(pk: int, due: datetime, failures: int, now: datetime) -> None:
    """The failure policy's retry: push the stored deadline forward, longer after each failure."""
    RestraintEpisode.objects.filter(pk=pk, sweep_due_at=due).update(
        sweep_due_at=now + sweeps.backoff(failures), sweep_failures=failures
    )


def _alert_text(episode: RestraintEpisode, kind: str, at: datetime, text: str) -> str:
    zone = episode.unit.time_zone
    local = clock.local(at, zone)
    # In the repeated hour of the night the clocks go back, the zone's abbreviation says which.
    when = f"{local:%H:%M}{fold_mark(at, zone)}"
    return (f"{episode.get_kind_display()} of {episode.person.display_name}: {text} (due {when})")[
        :300
    ]


def _sweep_one(pk: int, due: datetime, now: datetime) -> int | None:
    """Claim one episode (compare-and-set on its stored deadline) and alert the shift lead of
    every violation not yet alerted. None when another worker claimed it first."""
    with transaction.atomic():
        episode = load_episode(pk)
        # A deadline at this very moment is not broken yet (every rule counts from "later
        # than"): it stays due, so the next pass alerts it once it is.
        moved = RestraintEpisode.objects.filter(pk=pk, sweep_due_at=due).update(
            sweep_due_at=min((d for d in episode.deadlines() if d >= now), default=None),
            sweep_failures=0,
        )
        if moved != 1:
            return None
        # The one on-duty rule (shift lead now, else the unit's nurses).
        leads = alerts.on_duty(episode.unit, now)
        drafted = [
            alert
            for v in episode.violations_at(now)
            for alert in alerts.draft(
                leads,
                kind=AlertKind.OTHER,
                message=_alert_text(episode, v.kind, v.at, v.text),
                due_at=v.at,
                dedupe_key=f"rs:{episode.public_id}:{v.kind}:{v.at.isoformat()}",
                unit=episode.unit,
                person=episode.person,
                subject=Subject(EPISODE_SUBJECT, episode.public_id),
                now=now,
            )
        ]
        new = alerts.write_many(drafted)
        if new:
            record_person_event(
                episode.person,
                actor=None,
                actor_label=SYSTEM_LABEL,
                action=Action.UPDATE,
                target=episode,
                detail={
                    "event": "restraint alerts",
                    "due_at": due.isoformat(),
                    "alerts": alerts.listed(new),
                },
            )
    return len(new)


def sweep_restraint(now: datetime | None = None, *, limit: int = 100) -> SweepResult:
    """One sweep: alert the shift lead of every restraint rule broken by ``now`` (no order,
    expired order, late face-to-face, missed monitoring, over a state total), once each. Safe
    from any number of workers at once. Each episode goes through the one failure policy
    (core.sweeps.guarded): one that raises is audited "failed" and its stored deadline pushed
    forward with back-off, so it is retried later and cannot jam the loop."""
    now = now or clock.now()
    result = SweepResult("restraint")
    rows = list(
        RestraintEpisode.objects.filter(sweep_due_at__lte=now)
        .order_by("sweep_due_at")
        .values_list("pk", "public_id", "sweep_due_at", "sweep_failures")[:limit]
    )
    # Keyed by the row and the deadline it was read at (never None here: filtered above).
    due_rows = [
        ((pk, due), public_id, failures) for pk, public_id, due, failures in rows if due is not None
    ]
    return sweeps.alert_each(
        result,
        due_rows,
        alert=lambda key: _sweep_one(*key, now),
        retry=lambda key, n: _retry_later(*key, n, now),
        label=SYSTEM_LABEL,
        object_type="incidents.restraintepisode",
    )
