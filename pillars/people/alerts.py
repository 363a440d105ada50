"""Alerts: the one way any app raises, closes and acknowledges them, and the one on-duty rule.

Writing: ``write`` (one alert to each of some recipients) or ``draft`` + ``write_many`` (a
sweep's alerts, in one insert). Each alert carries a dedupe key naming what it is about; a
recipient has at most one open alert with a given key (a unique partial index, and a read
before the insert), so a second sweep pass or a racing worker writes nothing new while the
first alert stands. Alerts are dated when they were due, not when a worker wrote them.

Closing: ``resolve(about(subject) | about(key_prefix=...), moment=, reason=)``, in the
transaction of the write that removed the cause; the time and the reason stay on the alert.

Who hears it: ``on_duty(unit, now)``, the shift lead on the unit now, else the unit's nurses,
employment judged in the unit's local date. The app that keeps shift assignments (rounds)
tells this module who leads a unit through ``set_lead_rule`` at ready(), so people imports
nothing from the apps above it.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NotRequired, TypedDict, Unpack, cast
from uuid import UUID, uuid4

from django.db import transaction
from django.db.models import Q

from pillars.audit import log as audit
from pillars.audit.choices import Action, Category, Purpose
from pillars.core import clock, policy
from pillars.core.bulk import insert_objects
from pillars.core.roles import RoleCode
from pillars.people.alert_models import Alert
from pillars.people.choices import AlertKind
from pillars.people.models import PersonServed, Staff, Unit
from pillars.people.selectors import employed_q, person_category

__all__ = [
    "Alert",
    "AlertKind",
    "Subject",
    "about",
    "acknowledge",
    "draft",
    "employed",
    "listed",
    "on_duty",
    "part2_team",
    "program_team",
    "resolve",
    "set_lead_rule",
    "staff_employed",
    "when_acknowledged",
    "write",
    "write_many",
]


@dataclass(frozen=True)
class Subject:
    """The record an alert is about: a kind label ("rounds.check") and its public id."""

    kind: str
    id: UUID


# --- Who is on duty ---------------------------------------------------------------------------

# Answers the staff (by pk) leading a unit's shift at a moment; set by the app that keeps
# shift assignments. Without one, nobody leads and the unit's nurses hear every alert.
LeadRule = Callable[[Unit, datetime], Any]
_lead_rule: LeadRule | None = None


def set_lead_rule(rule: LeadRule | None) -> None:
    """Name who leads a unit's shift at a moment: ``rule(unit, now)`` answers staff pks (a
    list or a ``values("staff_id")`` queryset)."""
    global _lead_rule
    _lead_rule = rule


def employed(unit: Unit, now: datetime) -> Q:
    """Never alert someone not yet hired or who has left (the one employment rule,
    ``employed_q``: exit date reached) or whose account is switched off. Hire and exit dates
    are dates in the unit's own calendar (DESIGN.md rule 1), so "today" is the unit's local
    date, never the UTC one: at 20:00 in Chicago the UTC date is already tomorrow."""
    return employed_q(clock.today_in(unit.time_zone)) & Q(user__is_active=True)


def staff_employed(q: Q, unit: Unit, now: datetime) -> list[Staff]:
    """The staff matching ``q`` who are employed now (judged in the unit's local date), by pk."""
    return list(Staff.objects.filter(q).filter(employed(unit, now)).distinct().order_by("pk"))


def on_duty(unit: Unit, now: datetime) -> list[Staff]:
    """The one on-duty rule every alert uses: the shift lead on the unit now; when nobody is,
    the unit's nurses (someone must hear it)."""
    if _lead_rule is not None:
        leads = staff_employed(Q(pk__in=_lead_rule(unit, now)), unit, now)
        if leads:
            return leads
    return staff_employed(Q(roles__code=RoleCode.NURSE, home_units=unit), unit, now)


def _team_q(unit_id: Any) -> Q:
    """The team of the program whose unit is ``unit_id``: staff with it as a home unit or in
    one of their programs."""
    return Q(home_units=unit_id) | Q(programs__units=unit_id)


def program_team(unit_id: Any) -> frozenset[int]:
    """Everyone (by pk) on the team of the program whose unit is ``unit_id``, in one query: a
    sweep reads it once per program and pass and hands it to ``part2_team``."""
    return frozenset(Staff.objects.filter(_team_q(unit_id)).values_list("pk", flat=True))


def part2_team(
    recipients: Iterable[Staff],
    record: Any,
    *,
    team: Callable[[Any], Collection[int]] | None = None,
) -> list[Staff]:
    """The recipients an alert about ``record`` (a ``Part2Labelled`` record, or one reached
    through it) may reach: everyone for a record that is not Part 2; for a Part 2 record only the
    team of the program it was made in (its unit a home unit or one of their programs' units),
    DESIGN.md rule 6. An alert is no disclosure: a consent or an emergency grant opens the
    record itself, never a message about it. One query, none for a record that is not Part 2;
    none either when ``team`` (``program_team`` or a caller's copy of it, by the program's unit
    id) answers who is on the team."""
    staff = list(recipients)
    if not getattr(record, "is_part2", False) or not staff:
        return staff
    unit_id = record.made_in_unit_id
    members: Collection[int]
    if team is not None:
        members = team(unit_id)
    else:
        members = set(
            Staff.objects.filter(pk__in=[s.pk for s in staff])
            .filter(_team_q(unit_id))
            .values_list("pk", flat=True)
        )
    return [s for s in staff if s.pk in members]


# --- Writing ----------------------------------------------------------------------------------


def draft(
    recipients: Iterable[Staff],
    *,
    kind: str,
    message: str,
    due_at: datetime,
    dedupe_key: str,
    unit: Unit | None = None,
    person: PersonServed | None = None,
    subject: Subject | None = None,
    step_position: int | None = None,
    now: datetime | None = None,
) -> list[Alert]:
    """The unsaved alerts of one thing to alert about, one per recipient (each recipient once),
    for ``write_many``. The message is cut to fit."""
    shared = {
        "kind": kind,
        "unit_id": unit.pk if unit is not None else None,
        "person_id": person.pk if person is not None else None,
        "subject_kind": subject.kind if subject else "",
        "subject_id": subject.id if subject else None,
        "step_position": step_position,
        "message": message[:300],
        "due_at": due_at,
        "created_at": now or clock.now(),
        "resolved_reason": "",
        "dedupe_key": dedupe_key[:200],
    }
    row = [shared.get(name) for name in _COLUMNS]
    seen: set[int] = set()
    alerts = []
    for staff in recipients:
        if staff.pk in seen:
            continue
        seen.add(staff.pk)
        alerts.append(_unsaved(row, recipient=staff, unit=unit, person=person))
    return alerts


# Alert's columns in the order its constructor takes them positionally, and its relations.
_COLUMNS = [f.attname for f in Alert._meta.concrete_fields]
_PUBLIC_ID, _RECIPIENT = _COLUMNS.index("public_id"), _COLUMNS.index("recipient_id")
_RELATIONS = [Alert._meta.get_field(name) for name in ("recipient", "unit", "person")]


def _unsaved(
    row: list[Any], *, recipient: Staff, unit: Unit | None, person: PersonServed | None
) -> Alert:
    """An unsaved alert built from its column values (``row``, by ``_COLUMNS``; positionally,
    as Django builds a row it read: a sweep drafts thousands), with its own public id and its
    recipient, unit and person attached."""
    values = list(row)
    values[_PUBLIC_ID], values[_RECIPIENT] = uuid4(), recipient.pk
    # Positional, as Django's from_db builds a row (the type checker's plugin reads a list
    # handed to a model's constructor as its first column: the call goes through Any).
    build: Any = Alert
    alert = cast(Alert, build(*values))
    for relation, related in zip(_RELATIONS, (recipient, unit, person), strict=True):
        relation.set_cached_value(alert, related)  # type: ignore[union-attr]
    return alert


def write_many(
    alerts: Sequence[Alert], *, audit_as: str = "", detail: Mapping[str, Any] | None = None
) -> list[Alert]:
    """Insert the alerts whose recipient has no open alert with the same dedupe key and answer
    them (the ones this writer added): every app that alerts staff writes through here, so
    nobody is alerted twice for the same thing even when two workers race (the insert skips a
    row the unique index refuses). With ``audit_as`` (the sweep's label) each new alert is also
    recorded as created in the audit log, in the caller's transaction, and the alerts answered
    are the stored rows; without it they are the drafts as inserted (no pk: ``public_id``
    names them), so a sweep of thousands reads nothing back."""
    if not alerts:
        return []
    keys = {a.dedupe_key for a in alerts}
    taken = set(
        Alert.objects.filter(dedupe_key__in=keys, resolved_at__isnull=True).values_list(
            "recipient_id", "dedupe_key"
        )
    )
    new = []
    for alert in alerts:
        mark = (alert.recipient_id, alert.dedupe_key)
        if mark not in taken:
            taken.add(mark)
            new.append(alert)
    insert_objects(new, skip_conflicts=True)
    if audit_as and new:
        # Only the rows that are really there: a racing worker's insert wins the conflict
        # (the rows as stored, for the caller and the audit target).
        new = list(
            Alert.objects.filter(public_id__in=[a.public_id for a in new])
            .select_related("person", "recipient")
            .order_by("pk")
        )
        for alert in new:
            person = alert.person
            audit.record(
                actor=None,
                actor_label=audit_as,
                action=Action.CREATE,
                target=alert,
                person_id=person.public_id if person is not None else None,
                category=person_category(person) if person is not None else Category.GENERAL,
                purpose=Purpose.TREATMENT,
                detail={
                    "kind": alert.kind,
                    "recipient": str(alert.recipient.public_id),
                    **(detail or {}),
                },
            )
    return new


class AlertAbout(TypedDict):
    """What one alert is about and when it was due, as ``draft`` takes it."""

    kind: str
    message: str
    due_at: datetime
    dedupe_key: str
    unit: NotRequired[Unit | None]
    person: NotRequired[PersonServed | None]
    subject: NotRequired[Subject | None]
    step_position: NotRequired[int | None]
    now: NotRequired[datetime | None]


def write(
    recipients: Iterable[Staff],
    *,
    audit_as: str = "",
    detail: Mapping[str, Any] | None = None,
    **about: Unpack[AlertAbout],
) -> list[Alert]:
    """Alert each recipient once about one thing (see ``draft`` and ``write_many``)."""
    return write_many(draft(recipients, **about), audit_as=audit_as, detail=detail)


def listed(new: Iterable[Alert], *, with_due_at: bool = False) -> list[dict[str, str]]:
    """Alerts as the audit event of the write that raised them names them: each one's public id
    and its recipient's (and when it was due, ``with_due_at``)."""
    return [
        {
            "id": str(a.public_id),
            "to": str(a.recipient.public_id),
            **({"due_at": a.due_at.isoformat()} if with_due_at else {}),
        }
        for a in new
    ]


# --- Closing ----------------------------------------------------------------------------------


def about(*subjects: Subject, key_prefix: str = "", kinds: Iterable[str] = ()) -> Q:
    """Which alerts a write closes: those about any of ``subjects``, or whose dedupe key starts
    with ``key_prefix``; only of ``kinds`` when given. Combine with ``|``. Names nothing when
    given nothing (never every alert)."""
    q = Q(pk__in=[])
    by_kind: dict[str, list[UUID]] = {}
    for subject in subjects:
        by_kind.setdefault(subject.kind, []).append(subject.id)
    for kind, ids in by_kind.items():
        q |= Q(subject_kind=kind, subject_id__in=ids)
    if key_prefix:
        q |= Q(dedupe_key__startswith=key_prefix)
    wanted = list(kinds)
    return q & Q(kind__in=wanted) if wanted else q


def resolve(which: Q, *, moment: datetime, reason: str) -> int:
    """Close the open alerts ``which`` names (``about``) because a write has just removed their
    cause (a work order closed, a notification sent, an episode released), in the caller's
    transaction; the time and the reason stay on each alert for the inbox history."""
    return (
        Alert.objects.filter(which)
        .filter(resolved_at__isnull=True)
        .update(resolved_at=moment, resolved_reason=reason[:200])
    )


# --- Acknowledging ----------------------------------------------------------------------------

# Called with each alert as it is acknowledged, inside the acknowledging transaction: an app
# whose alerts climb a chain closes the climb's other alerts (rounds' emergency climb).
_acknowledged_hooks: list[Callable[[Alert], None]] = []


def when_acknowledged(hook: Callable[[Alert], None]) -> None:
    """Run ``hook(alert)`` in the transaction that acknowledges an alert (registered once, at
    ready())."""
    if hook not in _acknowledged_hooks:
        _acknowledged_hooks.append(hook)


def acknowledge(alert: Alert, *, actor: Any) -> Alert:
    """The recipient says they have seen the alert. Only the recipient may (anyone else's alert
    is out of their scope: 404); acknowledging twice keeps the first moment."""
    policy.require(actor, "people.acknowledge_alert", alert)
    with transaction.atomic():
        locked = (
            Alert.objects.select_for_update(of=("self",))
            .select_related("person", "recipient")
            .get(public_id=alert.public_id)
        )
        if locked.acknowledged_at is not None:
            return locked
        locked.acknowledged_at = clock.now()
        locked.save(update_fields=["acknowledged_at"])
        for hook in _acknowledged_hooks:
            hook(locked)
        audit.record(
            actor,
            Action.UPDATE,
            locked,
            person_id=locked.person.public_id if locked.person else None,
            category=person_category(locked.person) if locked.person else Category.GENERAL,
            purpose=Purpose.TREATMENT,
            detail={
                "event": "acknowledge",
                "kind": locked.kind,
                "due_at": locked.due_at.isoformat(),
                **audit.changes(
                    {"acknowledged_at": None}, {"acknowledged_at": locked.acknowledged_at}
                ),
            },
        )
    return locked
