"""Escalation: the chain that runs when a check is due and not done, and the alerts a check
raises at once (written through people.alerts, the one alert writer).

The shape is the healthchecks one (STYLE.md). The stored, indexed ``ObservationOrder.due_at``
finds due rows; each order's next steps are claimed with a compare-and-set UPDATE
(``... WHERE escalation_step = k AND due_at = <the value read>``), so any number of workers can
sweep at once and only the worker whose UPDATE changed the row writes those steps' alerts; the
alert's dedupe key (one open alert per recipient and key) is the second guard. Each alert is
dated when its step was due (the check's due time plus the step's delay), not when a worker got
round to it, so a worker that was down catches up by writing every missed step once, each dated
when it was due.

Default chain (DESIGN.md facts, loaded by migration 0004): the assigned staff member at due,
the shift lead at +5 minutes, the unit manager at +15, the director at +30. Units may have their
own chain (``replace_steps``); old versions are kept inactive, never deleted. A step whose own
recipients are nobody is heard by the next rung up (``LADDER``), so no chain is ever silent;
a person transferred mid-chain starts the new unit's chain from its first step (each step
still once per recipient and due time), since the new unit's staff have heard nothing.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, OuterRef, Q, QuerySet, Subquery

from pillars.audit import log as audit
from pillars.audit.choices import Action, Category, Purpose
from pillars.core import clock, policy, sweeps
from pillars.core.errors import ValidationError, invalid
from pillars.core.roles import RoleCode
from pillars.core.templatetags.pillars_time import fold_mark
from pillars.people import alerts
from pillars.people.alerts import Alert, AlertKind, Subject
from pillars.people.models import Placement, Staff, Unit
from pillars.people.selectors import part2_person_ids, record_person_event
from pillars.rounds.choices import AssignmentKind, Recipient, SafetyStatus
from pillars.rounds.models import (
    Check,
    Coverage,
    EscalationStep,
    ObservationOrder,
    ShiftAssignment,
)

logger = logging.getLogger(__name__)

# Who wrote an escalation in the audit log: the sweep runs with no signed-in user.
SYSTEM_LABEL = "pillars worker (escalation)"
MAX_STEPS = 10
MAX_AFTER_MINUTES = 24 * 60


# --- The chain --------------------------------------------------------------------------------


def steps_for(unit: Unit | None) -> list[EscalationStep]:
    """The unit's own active steps when it has any, else the default chain; by position."""
    if unit is not None:
        own = list(EscalationStep.objects.filter(unit=unit, is_active=True).order_by("position"))
        if own:
            return own
    return list(
        EscalationStep.objects.filter(unit__isnull=True, is_active=True).order_by("position")
    )


@dataclass(frozen=True)
class Chains:
    """Every active chain, loaded once per sweep (a small table)."""

    default: list[EscalationStep]
    by_unit: dict[int, list[EscalationStep]]

    def for_unit(self, unit_id: int) -> list[EscalationStep]:
        return self.by_unit.get(unit_id) or self.default

    @classmethod
    def load(cls) -> Chains:
        default: list[EscalationStep] = []
        by_unit: dict[int, list[EscalationStep]] = defaultdict(list)
        for step in EscalationStep.objects.filter(is_active=True).order_by("unit_id", "position"):
            if step.unit_id is None:
                default.append(step)
            else:
                by_unit[step.unit_id].append(step)
        return cls(default, dict(by_unit))


def _steps_due(delays: Sequence[int], now: datetime) -> Q:
    """Orders (annotated with their unit) whose next step under this chain is due by ``now``."""
    q = Q(pk__in=[])
    for k, minutes in enumerate(delays):
        q |= Q(escalation_step=k, due_at__lte=now - timedelta(minutes=minutes))
    return q


def _due_filter(chains: Chains, now: datetime) -> Q:
    """One filter for every chain: units grouped by their chain's delays keep it small."""
    groups: dict[tuple[int, ...], list[int]] = defaultdict(list)
    for unit_id, steps in chains.by_unit.items():
        groups[tuple(s.after_minutes for s in steps)].append(unit_id)
    q = Q(pk__in=[])
    for delays, unit_ids in groups.items():
        q |= _steps_due(delays, now) & Q(unit_now__in=unit_ids)
    if chains.default:
        delays = tuple(s.after_minutes for s in chains.default)
        q |= _steps_due(delays, now) & ~Q(unit_now__in=list(chains.by_unit))
    return q


def _current_unit() -> Subquery:
    return Subquery(
        Placement.objects.filter(episode_id=OuterRef("episode_id"), ended_at__isnull=True).values(
            "unit_id"
        )[:1]
    )


def _moved(now: datetime) -> Q:
    """Orders (annotated with their unit) whose steps were alerted on another unit: the person
    was transferred mid-chain, and the new unit's chain starts again from its first step."""
    return Q(escalation_step__gt=0, due_at__lte=now, escalation_unit__isnull=False) & ~Q(
        escalation_unit=F("unit_now")
    )


def due_orders(now: datetime, chains: Chains | None = None) -> QuerySet[ObservationOrder]:
    """Open, running orders whose next escalation step is due by ``now`` (or whose chain starts
    again on the unit they moved to), oldest due first."""
    chains = chains or Chains.load()
    return (
        ObservationOrder.objects.filter(
            ended_at__isnull=True, paused_at__isnull=True, due_at__isnull=False
        )
        .filter(Q(escalation_retry_at__isnull=True) | Q(escalation_retry_at__lte=now))
        .annotate(unit_now=_current_unit())
        .filter(unit_now__isnull=False)
        .filter(_due_filter(chains, now) | _moved(now))
        .order_by("due_at", "pk")
    )


# --- Who is alerted ---------------------------------------------------------------------------


def _on_shift(unit: Unit, now: datetime) -> QuerySet[ShiftAssignment]:
    return ShiftAssignment.objects.filter(
        Q(ended_at__isnull=True) | Q(ended_at__gt=now),
        unit=unit,
        starts_at__lte=now,
        ends_at__gt=now,
    )


def shift_leads(unit: Unit, now: datetime) -> QuerySet[ShiftAssignment, int]:
    """The staff (``staff_id``) assigned to lead the unit's shift now: the lead rule rounds
    gives people.alerts at ready(), behind its one on-duty rule (``alerts.on_duty``)."""
    return _on_shift(unit, now).filter(kind=AssignmentKind.LEAD).values_list("staff_id", flat=True)


def _manager(unit: Unit, now: datetime) -> list[Staff]:
    return alerts.staff_employed(Q(roles__code=RoleCode.SUPERVISOR, home_units=unit), unit, now)


def _directors_q(unit: Unit) -> Q:
    return Q(roles__code=RoleCode.DIRECTOR, organization_id=unit.organization_id)


def _own_directors(unit: Unit, now: datetime) -> list[Staff]:
    """The unit's own directors: of the unit, or of a program that includes it."""
    return alerts.staff_employed(
        _directors_q(unit) & (Q(home_units=unit) | Q(programs__units=unit)), unit, now
    )


def _organization_directors(unit: Unit, now: datetime) -> list[Staff]:
    """Every director of the unit's organization, never another organization's."""
    return alerts.staff_employed(_directors_q(unit), unit, now)


class Roster:
    """Who each step alerts, resolved once per unit and pass rather than once per order: the
    on-duty lead, the unit's supervisors and directors (each read when first asked for), the
    staff rounding on the unit now, and, for the orders given to ``read_orders``, the room
    each person's bed is in and who is on 1:1/2:1 coverage with them (one query each for all
    the orders). ``recipients_for`` asks the roster of the sweep pass it runs in, or a roster
    of its own for one order: the rules are written once, here."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.rooms: dict[int, int | None] = {}  # order pk -> room of the person's bed
        self.covering: dict[int, set[int]] = {}  # order pk -> staff on coverage with them
        self._by_unit: dict[tuple[str, int], list[Staff]] = {}
        self._rounding: dict[int, tuple[dict[int, set[int]], dict[int, set[int]]]] = {}
        self._employed: dict[int, dict[int, Staff | None]] = {}
        self._teams: dict[Any, frozenset[int]] = {}  # program unit id -> its team's staff pks

    def read_orders(self, orders: Iterable[ObservationOrder]) -> None:
        """Each order's bed room and open coverage, in two queries for all of them."""
        new = [o for o in orders if o.pk not in self.rooms]
        if not new:
            return
        room_of = dict(
            Placement.objects.filter(
                episode_id__in={o.episode_id for o in new}, ended_at__isnull=True
            ).values_list("episode_id", "bed__room_id")
        )
        for order in new:
            self.rooms[order.pk] = room_of.get(order.episode_id)
            self.covering[order.pk] = set()
        for order_id, staff_id in Coverage.objects.filter(
            order_id__in=[o.pk for o in new], ended_at__isnull=True
        ).values_list("order_id", "staff_id"):
            self.covering[order_id].add(staff_id)

    def _unit_list(self, name: str, unit: Unit) -> list[Staff]:
        """A unit's lead, managers, directors (its own; when none, the organization's) or
        organization's directors, each read once per pass."""
        key = (name, unit.pk)
        if key not in self._by_unit:
            if name == "director":
                found = _own_directors(unit, self.now) or self._unit_list("organization", unit)
            else:
                read = {
                    "lead": alerts.on_duty,
                    "manager": _manager,
                    "organization": _organization_directors,
                }[name]
                found = read(unit, self.now)
            self._by_unit[key] = found
        return self._by_unit[key]

    def _rounding_on(self, unit: Unit) -> tuple[dict[int, set[int]], dict[int, set[int]]]:
        """Staff on shift on the unit now rounding on a person, and on a room (by id)."""
        if unit.pk not in self._rounding:
            persons: dict[int, set[int]] = defaultdict(set)
            rooms: dict[int, set[int]] = defaultdict(set)
            for kind, staff_id, person_id, room_id in (
                _on_shift(unit, self.now)
                .filter(kind__in=[AssignmentKind.PERSON, AssignmentKind.ROOM])
                .values_list("kind", "staff_id", "person_id", "room_id")
            ):
                if kind == AssignmentKind.PERSON and person_id is not None:
                    persons[person_id].add(staff_id)
                elif kind == AssignmentKind.ROOM and room_id is not None:
                    rooms[room_id].add(staff_id)
            self._rounding[unit.pk] = (persons, rooms)
        return self._rounding[unit.pk]

    def _employed_of(self, unit: Unit, ids: set[int]) -> list[Staff]:
        """The staff among ``ids`` employed now (judged in the unit's local date), by pk; the
        first call for a unit reads everyone rounding on it or covering an order read."""
        known = self._employed.setdefault(unit.pk, {})
        missing = ids - set(known)
        if missing:
            if not known:
                persons, rooms = self._rounding_on(unit)
                missing |= set().union(*persons.values(), *rooms.values(), *self.covering.values())
            found = {s.pk: s for s in alerts.staff_employed(Q(pk__in=missing), unit, self.now)}
            known.update({pk: found.get(pk) for pk in missing})
        return [s for pk in sorted(ids) if (s := known.get(pk)) is not None]

    def program_team(self, unit_id: Any) -> frozenset[int]:
        """The team (staff pks) of the program whose unit is ``unit_id``, read once per pass
        however many of its orders and steps are alerted (``alerts.part2_team`` filters by it)."""
        if unit_id not in self._teams:
            self._teams[unit_id] = alerts.program_team(unit_id)
        return self._teams[unit_id]

    def unnamed_directors(
        self, recipient: str, order: ObservationOrder, unit: Unit, heard: Sequence[Staff]
    ) -> list[Staff]:
        """Who hears a director step that the Part 2 rule (``_in_the_program``) left with
        nobody: every director of the unit's organization (the director step's own fallback),
        told of the unit and never of the person (``_Wording.unnamed``, ``_unnamed_emergency``),
        so the chain's last step is never silent and the record stays with the program's team
        (DESIGN.md rule 6). Nobody for any other step, for a step someone heard, or for an
        order that is not Part 2."""
        if heard or recipient != Recipient.DIRECTOR or not order.is_part2:
            return []
        return self._unit_list("organization", unit)

    def program_on_duty(self, unit_id: int) -> list[Staff]:
        """The on-duty rule of the program a Part 2 order was made in, by the unit's id."""
        key = ("program", unit_id)
        if key not in self._by_unit:
            program = Unit.objects.filter(pk=unit_id).first()
            self._by_unit[key] = alerts.on_duty(program, self.now) if program else []
        return self._by_unit[key]

    def recipients(self, recipient: str, order: ObservationOrder, unit: Unit) -> list[Staff]:
        """Who hears a step: its own recipients, or when there are none (nobody leads, the
        unit's only nurse left today, a unit without a supervisor), the next rung up the
        ``LADDER``, so that no step of any chain, the unit's own or the default, is silent."""
        if recipient not in LADDER:
            raise ValueError(f"unknown recipient {recipient!r}")
        for rung in LADDER[LADDER.index(recipient) :]:
            if found := self._rung(rung, order, unit):
                return found
        return []

    def _rung(self, recipient: str, order: ObservationOrder, unit: Unit) -> list[Staff]:
        if recipient == Recipient.ASSIGNED:
            self.read_orders([order])
            persons, rooms = self._rounding_on(unit)
            room = self.rooms[order.pk]
            ids = set(persons.get(order.person_id, ())) | self.covering[order.pk]
            if room is not None:
                ids |= rooms.get(room, set())
            return self._employed_of(unit, ids)
        if recipient == Recipient.LEAD:
            # The on-duty rule (the shift lead, else the unit's nurses); when it finds nobody,
            # whoever is on shift on the unit now, rounding on anyone: they are on the floor.
            return self._unit_list("lead", unit) or self._on_shift(unit)
        if recipient == Recipient.MANAGER:
            return self._unit_list("manager", unit)
        return self._unit_list("director", unit)

    def _on_shift(self, unit: Unit) -> list[Staff]:
        persons, rooms = self._rounding_on(unit)
        return self._employed_of(unit, set().union(*persons.values(), *rooms.values()))


# Who stands in, in turn, when a step's own recipients are nobody (``Roster.recipients``).
LADDER: tuple[str, ...] = (
    Recipient.ASSIGNED,
    Recipient.LEAD,
    Recipient.MANAGER,
    Recipient.DIRECTOR,
)


# The roster of the sweep pass running now (escalate_due), if any.
_pass_roster: ContextVar[Roster | None] = ContextVar("escalation_roster", default=None)


def recipients_for(
    recipient: str, order: ObservationOrder, unit: Unit, now: datetime
) -> list[Staff]:
    """Who a step alerts, among staff employed now.

    assigned: staff on shift now rounding on the person (or on the room their bed is in), and
    anyone on 1:1/2:1 coverage with them. lead: the shift lead assigned on the unit now; when
    none, the nurses of the unit; when none, the staff on shift on the unit. manager:
    supervisors of the unit. director: directors of the unit or of a program that includes it;
    when none, every director of the unit's organization. A step that finds nobody is heard by
    the next of these (``LADDER``: assigned, lead, manager, director), so an overdue check
    always reaches someone. A Part 2 order's steps reach only its program's team
    (``_in_the_program``); a director step that leaves nobody is told, without the person, to
    the organization's directors (``Roster.unnamed_directors``). Inside a sweep pass the
    pass's roster answers (read once per unit and pass).
    """
    roster = roster_at(now)
    return _in_the_program(roster.recipients(recipient, order, unit), order, unit, roster)


def roster_at(now: datetime) -> Roster:
    """The roster of the sweep pass running now, or a roster of its own."""
    roster = _pass_roster.get()
    if roster is None or roster.now != now:
        roster = Roster(now)
    return roster


def on_duty_for(order: ObservationOrder, unit: Unit, now: datetime) -> list[Staff]:
    """Who hears an alert about the order on the unit at once: the unit's on-duty rule, within
    the program for a Part 2 order (``_in_the_program``)."""
    roster = Roster(now)
    return _in_the_program(roster.recipients(Recipient.LEAD, order, unit), order, unit, roster)


def _in_the_program(
    found: list[Staff], order: ObservationOrder, unit: Unit, roster: Roster
) -> list[Staff]:
    """An order made in a substance-use program is a Part 2 record: its alerts name the person
    and quote checks, so only the program's team hears them (DESIGN.md rule 6), never the unit
    the person moved to nor a director outside the program. When the person has left the
    program with the order still open, the unit they are on now neither reads it nor rounds on
    it (it is asked to order observation of its own: rounds.unordered), so the program's
    on-duty rule hears it, rather than nobody."""
    heard = alerts.part2_team(found, order, team=roster.program_team)
    if heard or not order.is_part2 or order.made_in_unit_id in (None, unit.pk):
        return heard
    return roster.program_on_duty(order.made_in_unit_id)


# --- The sweep --------------------------------------------------------------------------------


SweepResult = sweeps.SweepResult


# What an alert about an observation order (its chain's steps, a coverage lapse) names.
ORDER_SUBJECT = "rounds.observationorder"


def order_subject(order: ObservationOrder) -> Subject:
    return Subject(ORDER_SUBJECT, order.public_id)


def dedupe_key(order: ObservationOrder, due_at: datetime, position: int) -> str:
    """One step of one order's chain for one due time (each recipient is alerted once)."""
    return f"{_key_prefix(order, due_at)}:{position}"


def _key_prefix(order: ObservationOrder, due_at: datetime) -> str:
    return f"{_order_key_prefix(order)}{due_at.isoformat()}"


def _order_key_prefix(order: ObservationOrder) -> str:
    """What every step's dedupe key of the order starts with, whatever its due time."""
    return f"esc:{order.public_id}:"


# Why an alert to a director outside a Part 2 program names no person.
UNNAMED_WHY = "The person is not named: the record belongs to a substance-use program."


@dataclass(frozen=True)
class _Wording:
    """What every step's alert of one order and due time says and is keyed by, worked out once
    for all its steps."""

    who: str
    level: str
    due: str  # the due time in the unit's zone
    key: str  # the dedupe key without the step's position
    where: str  # the unit's name

    @classmethod
    def of(cls, order: ObservationOrder, unit: Unit, due_at: datetime) -> _Wording:
        local = clock.local(due_at, unit.time_zone)
        key = _key_prefix(order, due_at)
        # 01:30 happens twice on the night the clocks go back: the zone says which.
        due = f"{local:%H:%M}{fold_mark(due_at, unit.time_zone)}"
        return cls(order.person.display_name, order.level.name, due, key, unit.name)

    def message(self, step: EscalationStep) -> str:
        if step.after_minutes == 0:
            text = f"Check due for {self.who} ({self.level}) at {self.due}."
        else:
            text = (
                f"Check for {self.who} ({self.level}) is {step.after_minutes} minutes overdue "
                f"(due {self.due}); alerting the {step.get_recipient_display().lower()}."
            )
        return text[:300]

    def unnamed(self, step: EscalationStep) -> str:
        """The step's message for directors outside a Part 2 program (``unnamed_directors``):
        the unit and the check's due time, never the person, the level or a note."""
        if step.after_minutes == 0:
            text = f"A check on {self.where} is due at {self.due}."
        else:
            text = (
                f"A check on {self.where} is {step.after_minutes} minutes overdue (due {self.due})."
            )
        text += f" The program's team has not answered: call the unit. {UNNAMED_WHY}"
        return text[:300]

    def dedupe_key(self, step: EscalationStep) -> str:
        return f"{self.key}:{step.position}"


def _claim(pk: int, due_at: datetime, k: int, j: int) -> bool:
    """Compare-and-set: move the order's chain from step k to step j only if nobody else has
    (and no check has moved its due time) since it was read. Call inside a transaction."""
    # On PostgreSQL a row another worker holds is skipped rather than waited for; SQLite has no
    # row locks (Django leaves the clause out) and its IMMEDIATE transactions queue writers.
    held = (
        ObservationOrder.objects.select_for_update(skip_locked=True)
        .filter(pk=pk, escalation_step=k, due_at=due_at)
        .values_list("pk", flat=True)
    )
    if not list(held):
        return False
    moved = ObservationOrder.objects.filter(pk=pk, escalation_step=k, due_at=due_at).update(
        escalation_step=j, escalation_retry_at=None, escalation_failures=0
    )
    return moved == 1


@dataclass(frozen=True)
class _Due:
    """One order whose steps first..j-1 have fallen due, as the sweep read it at step k (first
    is k, or 0 when the person moved to this unit after steps were alerted on another)."""

    pk: int
    due_at: datetime
    k: int
    j: int
    unit_id: int
    steps: Sequence[EscalationStep]
    first: int | None = None

    @property
    def start(self) -> int:
        return self.k if self.first is None else self.first

    @property
    def alerted(self) -> Sequence[EscalationStep]:
        return self.steps[self.start : self.j]


def _claim_many(items: Sequence[_Due]) -> list[_Due]:
    """Compare-and-set for many orders at once: lock the rows nobody else holds (SKIP LOCKED on
    PostgreSQL; SQLite's IMMEDIATE transaction holds the database), keep those still at the
    step and due time the sweep read, and move each group to its new step. Call inside a
    transaction; answers the items claimed."""
    held = {
        pk: (step, due_at)
        for pk, step, due_at in ObservationOrder.objects.select_for_update(skip_locked=True)
        .filter(pk__in=[i.pk for i in items])
        .values_list("pk", "escalation_step", "due_at")
    }
    claimed = [i for i in items if held.get(i.pk) == (i.k, i.due_at)]
    moves: dict[tuple[int, int, int], list[int]] = defaultdict(list)
    for item in claimed:
        moves[(item.k, item.j, item.unit_id)].append(item.pk)
    for (k, j, unit_id), pks in moves.items():
        moved = ObservationOrder.objects.filter(pk__in=pks, escalation_step=k).update(
            escalation_step=j,
            escalation_unit_id=unit_id,
            escalation_retry_at=None,
            escalation_failures=0,
        )
        assert moved == len(pks), "a claimed order changed under its lock"
    return claimed


# What the sweep reads of each claimed order: its names for the alerts and the audit event, and
# the keys the roster follows (thousands a pass: nothing more).
ORDER_READ = (
    "public_id",
    "episode_id",
    "is_part2",
    "made_in_unit_id",
    "person__public_id",
    "person__preferred_name",
    "person__legal_given_name",
    "person__legal_family_name",
    "level__name",
)


def _escalate_many(
    items: Sequence[_Due], roster: Roster, units: Mapping[int, Unit]
) -> tuple[int, int]:
    """Claim the due steps of these orders and write their alerts and one audit event per
    order, in bulk: one claim, one read of the orders, the roster's reads, one alert insert
    and one append to the audit chain. Call inside a transaction (all or nothing). Answers how
    many orders were claimed and how many alerts were new; orders another worker claimed
    first are left to it."""
    claimed = _claim_many(items)
    if not claimed:
        return 0, 0
    orders = (
        ObservationOrder.objects.select_related("person", "level")
        .only(*ORDER_READ)
        .in_bulk([i.pk for i in claimed])
    )
    roster.read_orders(orders.values())
    drafted: dict[int, list[Alert]] = {}
    for item in claimed:
        order, unit = orders[item.pk], units[item.unit_id]
        found = drafted[item.pk] = []
        wording, subject = _Wording.of(order, unit, item.due_at), order_subject(order)
        for step in item.alerted:
            heard = recipients_for(step.recipient, order, unit, roster.now)
            kind = AlertKind.CHECK_DUE if step.after_minutes == 0 else AlertKind.ESCALATION
            due_at = item.due_at + timedelta(minutes=step.after_minutes)
            found += alerts.draft(
                heard,
                kind=kind,
                message=wording.message(step),
                due_at=due_at,
                dedupe_key=wording.dedupe_key(step),
                unit=unit,
                person=order.person,
                subject=subject,
                step_position=step.position,
                now=roster.now,
            )
            # The same step and key, about the unit only: no person, no link to the order.
            found += alerts.draft(
                roster.unnamed_directors(step.recipient, order, unit, heard),
                kind=kind,
                message=wording.unnamed(step),
                due_at=due_at,
                dedupe_key=wording.dedupe_key(step),
                unit=unit,
                step_position=step.position,
                now=roster.now,
            )
    new = {a.public_id for a in alerts.write_many([a for f in drafted.values() for a in f])}
    part2 = part2_person_ids({o.person_id for o in orders.values()})
    events = []
    for item in claimed:
        order, unit = orders[item.pk], units[item.unit_id]
        if item.alerted and not drafted[item.pk]:
            logger.warning("escalation of order %s: nobody to alert on %s", order.public_id, unit)
        events.append(
            {
                "actor": None,
                "actor_label": SYSTEM_LABEL,
                "action": Action.UPDATE,
                "target": order,
                "person_id": order.person.public_id,
                "category": Category.SUBSTANCE_USE
                if order.person_id in part2
                else Category.GENERAL,
                "purpose": Purpose.TREATMENT,
                "detail": _event_detail(
                    item, unit, [a for a in drafted[item.pk] if a.public_id in new]
                ),
            }
        )
    audit.record_many(events)
    return len(claimed), len(new)


def _event_detail(item: _Due, unit: Unit, new: Sequence[Alert]) -> dict[str, Any]:
    return {
        "event": "escalation",
        "due_at": item.due_at.isoformat(),
        "unit": unit.code,
        "changes": {"escalation_step": {"old": item.k, "new": item.j}},
        **({"chain_restarted": True} if item.start != item.k else {}),
        "steps": [
            {
                "position": s.position,
                "after_minutes": s.after_minutes,
                "recipient": s.recipient,
                "due_at": (item.due_at + timedelta(minutes=s.after_minutes)).isoformat(),
            }
            for s in item.alerted
        ],
        "alerts": alerts.listed(new),
        **_unnamed(new),
    }


def _unnamed(new: Sequence[Alert]) -> dict[str, list[str]]:
    """For an audit event's detail: the alerts among ``new`` that name no person (a Part 2
    order's director step heard by the organization's directors), by public id; nothing when
    every alert names the person."""
    ids = [str(a.public_id) for a in new if a.person_id is None]
    return {"unnamed_alerts": ids} if ids else {}


def _defer(
    pk: int, due_at: datetime, k: int, j: int, error: Exception, now: datetime, result: SweepResult
) -> None:
    """The one failure policy (core.sweeps): the steps are NOT claimed, so their alerts are
    written later rather than dropped; the order is pushed back with back-off (1, 2, 4 ...
    minutes) so it cannot spin the loop; the failure is logged and audited "failed"."""
    retry_at = None
    person_id = None
    try:
        with transaction.atomic():
            row = (
                ObservationOrder.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("person")
                .filter(pk=pk, escalation_step=k, due_at=due_at)
                .first()
            )
            if row is not None:
                failures = row.escalation_failures + 1
                retry_at = now + sweeps.backoff(failures)
                person_id = row.person.public_id
                ObservationOrder.objects.filter(pk=pk).update(
                    escalation_failures=failures, escalation_retry_at=retry_at
                )
    except Exception:
        logger.exception("could not defer the failed escalation of order pk=%s", pk)
    public_id = ObservationOrder.objects.filter(pk=pk).values_list("public_id", flat=True).first()
    sweeps.record_failure(
        result,
        label=SYSTEM_LABEL,
        object_type="rounds.observationorder",
        object_id=str(public_id or pk),
        error=error,
        person_id=person_id,
        detail={
            "due_at": due_at.isoformat(),
            "steps": {"from": k, "to": j},
            "retry_at": retry_at.isoformat() if retry_at else None,
        },
    )


# Orders claimed and written together, in one transaction.
BATCH = 250


def escalate_due(now: datetime | None = None, *, limit: int = 2000) -> SweepResult:
    """One sweep: alert every escalation step that has fallen due by ``now`` (at most ``limit``
    orders a pass, oldest due first; the next pass takes the rest).

    Safe to run from any number of workers at once (see the module docstring). Orders are
    claimed and written in batches, each in one transaction; when a batch raises, each of its
    orders is tried again on its own, so the failure policy applies to the one bad row: it is
    logged, counted, audited "failed" and retried later with its steps unclaimed (``_defer``),
    and it never stops the sweep.
    """
    now = now or clock.now()
    result = SweepResult("escalation")
    chains = Chains.load()
    # unit_now is the annotation due_orders adds (the stubs cannot see it).
    rows = due_orders(now, chains).values_list(
        "pk",
        "due_at",
        "escalation_step",
        "unit_now",  # type: ignore[misc]
        "escalation_unit",
    )
    due: list[_Due] = []
    for pk, due_at, k, unit_id, alerted_on in rows[:limit]:
        steps = chains.for_unit(unit_id)
        # Moved since its steps were alerted: the new unit's chain from its first step.
        first = 0 if k > 0 and alerted_on is not None and alerted_on != unit_id else k
        j = first
        while j < len(steps) and due_at + timedelta(minutes=steps[j].after_minutes) <= now:
            j += 1
        if j > first or first != k:
            due.append(_Due(pk, due_at, k, j, unit_id, steps, first))
    if not due:
        return result
    roster = Roster(now)
    units = Unit.objects.in_bulk({item.unit_id for item in due})
    token = _pass_roster.set(roster)
    try:
        batches = [due[start : start + BATCH] for start in range(0, len(due), BATCH)]
        for batch in sweeps.within_budget(result, batches, size=len):
            _sweep_batch(batch, roster, units, result)
    finally:
        _pass_roster.reset(token)
    return result


def _sweep_batch(
    batch: Sequence[_Due], roster: Roster, units: Mapping[int, Unit], result: SweepResult
) -> None:
    """One batch in one transaction; when it raises, each order again on its own, and the one
    that still raises gets the failure policy."""
    try:
        with transaction.atomic():
            claimed, alerts = _escalate_many(batch, roster, units)
    except Exception as exc:
        if len(batch) > 1:
            logger.warning("an escalation batch of %d orders failed; each is retried", len(batch))
            for item in batch:
                _sweep_batch([item], roster, units, result)
            return
        (item,) = batch
        logger.exception("escalation of order pk=%s failed; retried later", item.pk)
        _defer(item.pk, item.due_at, item.k, item.j, exc, roster.now, result)
        return
    result.claimed += claimed
    result.alerts += alerts


# --- Alerts raised by a write (same transaction) ---------------------------------------------


def _not_safe_message(check: Any, order: ObservationOrder, unit: Unit) -> str:
    local = clock.local(check.observed_at, unit.time_zone)
    status = check.get_safety_status_display()
    text = (
        f"{status} check for {order.person.display_name} at "
        f"{local:%H:%M}{fold_mark(check.observed_at, unit.time_zone)}, "
        f"{check.get_location_display().lower()}"
    )
    if check.note:
        text += f": {check.note}"
    return text[:300]


CHECK_SUBJECT = "rounds.check"


def alert_checks_not_safe(checks: Sequence[Any], orders: Mapping[int, ObservationOrder]) -> int:
    """Alert the unit's on-duty lead (else its nurses) at once about every check whose status
    is not safe (issue 11: an emergency must reach the lead and charge nurse at once, not wait
    for the next escalation step). Called inside the transaction that stores the checks, by
    the one-check path and the batch sync alike, so a stored emergency is never unalerted.
    The alert stays open (and on the board) until a lead acknowledges it."""
    unsafe = [c for c in checks if c.safety_status != SafetyStatus.SAFE]
    if not unsafe:
        return 0
    now = clock.now()
    episodes = {orders[c.order_id].episode_id for c in unsafe}
    unit_of = dict(
        Placement.objects.filter(episode_id__in=episodes, ended_at__isnull=True).values_list(
            "episode_id", "unit_id"
        )
    )
    units = Unit.objects.in_bulk(set(unit_of.values()))
    roster = Roster(now)
    drafted: list[Alert] = []
    for check in unsafe:
        order = orders[check.order_id]
        unit = units.get(unit_of.get(order.episode_id, -1))
        if unit is None:
            logger.warning("check %s is not safe but its person has no unit", check.public_id)
            continue
        on_duty = _in_the_program(
            roster.recipients(Recipient.LEAD, order, unit), order, unit, roster
        )
        if not on_duty:
            logger.warning("check %s is not safe and nobody is on duty on %s", check.pk, unit)
        drafted += alerts.draft(
            on_duty,
            kind=AlertKind.CHECK_NOT_SAFE,
            message=_not_safe_message(check, order, unit),
            due_at=check.observed_at,
            dedupe_key=f"chk:{check.public_id}",
            unit=unit,
            person=order.person,
            subject=Subject(CHECK_SUBJECT, check.public_id),
            now=now,
        )
    return len(alerts.write_many(drafted))


# --- An emergency nobody acknowledges climbs the chain --------------------------------------

# Who is alerted, in turn, about an emergency check no lead has acknowledged: the unit's
# supervisors after one delay (PILLARS_EMERGENCY_ESCALATION_MINUTES, default 5), the director
# after two. The same recipients as the overdue-check chain's manager and director steps.
EMERGENCY_CLIMB = (Recipient.MANAGER, Recipient.DIRECTOR)
# An emergency is climbed for a day at most: one older than that and still unacknowledged is on
# the board and in the inbox, but a worker that was down for a day does not wake a director.
EMERGENCY_WINDOW = timedelta(hours=24)
EMERGENCY_LABEL = "pillars worker (emergency escalation)"


def emergency_delay() -> timedelta:
    return timedelta(minutes=settings.EMERGENCY_ESCALATION_MINUTES)


def _emergency_key(recipient: str, check_id: Any) -> str:
    return f"emg:{recipient}:{check_id}"


def _acknowledged_checks() -> Any:
    """Checks (by public id) whose emergency someone in the chain has acknowledged: any lead
    alerted at once, or a supervisor alerted on the way up."""
    return Alert.objects.filter(
        kind__in=[AlertKind.CHECK_NOT_SAFE, AlertKind.EMERGENCY],
        subject_kind=CHECK_SUBJECT,
        acknowledged_at__isnull=False,
    ).values("subject_id")


def emergencies_waiting(now: datetime) -> list[tuple[Any, datetime, int]]:
    """Emergency checks whose lead alert nobody has acknowledged for at least one delay and
    whose climb is not finished: (check public id, when the lead was alerted, unit pk), oldest
    first. A finished climb (the last step's alerts written) is left out."""
    delay = emergency_delay()
    last = EMERGENCY_CLIMB[-1]
    finished = Alert.objects.filter(
        kind=AlertKind.EMERGENCY, dedupe_key__startswith=f"emg:{last}:"
    ).values("subject_id")
    rows = (
        Alert.objects.filter(
            kind=AlertKind.CHECK_NOT_SAFE,
            subject_kind=CHECK_SUBJECT,
            subject_id__isnull=False,
            resolved_at__isnull=True,
            created_at__lte=now - delay,
            created_at__gt=now - EMERGENCY_WINDOW,
        )
        .exclude(subject_id__in=_acknowledged_checks())
        .exclude(subject_id__in=finished)
        .values_list("subject_id", "created_at", "unit_id")
        .order_by("created_at", "pk")
    )
    first: dict[Any, tuple[datetime, int]] = {}
    for subject_id, created_at, unit_id in rows:
        first.setdefault(subject_id, (created_at, unit_id))
    if first:
        # A last step heard only by directors outside a Part 2 program names no check
        # (``unnamed_directors``): its dedupe key still does.
        keys = {_emergency_key(last, cid): cid for cid in first}
        for key in Alert.objects.filter(
            kind=AlertKind.EMERGENCY, dedupe_key__in=list(keys)
        ).values_list("dedupe_key", flat=True):
            first.pop(keys[key], None)
    emergencies = set(
        Check.objects.filter(
            public_id__in=list(first), safety_status=SafetyStatus.EMERGENCY
        ).values_list("public_id", flat=True)
    )
    return [(cid, at, unit_id) for cid, (at, unit_id) in first.items() if cid in emergencies]


def _emergency_message(check: Check, unit: Unit, recipient: str, minutes: int) -> str:
    local = clock.local(check.observed_at, unit.time_zone)
    text = (
        f"Emergency check for {check.order.person.display_name} at {local:%H:%M %Z} on "
        f"{unit.name}: no lead has acknowledged it after {minutes} minutes; alerting the "
        f"{Recipient(recipient).label.lower()}."
    )
    if check.note:
        text += f" Note: {check.note}"
    return text[:300]


def _unnamed_emergency(check: Check, unit: Unit, minutes: int) -> str:
    """The climb's message for directors outside a Part 2 program (``unnamed_directors``):
    the unit and the check's time, never the person, the level or the note."""
    local = clock.local(check.observed_at, unit.time_zone)
    return (
        f"An emergency check was recorded on {unit.name} at {local:%H:%M %Z} and the "
        f"program's team has not acknowledged it after {minutes} minutes: call the unit. "
        f"{UNNAMED_WHY}"
    )[:300]


def _climb_one(check_id: Any, alerted_at: datetime, unit_id: int, now: datetime) -> list[Alert]:
    """Write the climb's steps that are due for one emergency (one row of the sweep, in the
    guard's transaction), with an audit event naming whom each step alerted."""
    if Alert.objects.filter(
        subject_kind=CHECK_SUBJECT, subject_id=check_id, acknowledged_at__isnull=False
    ).exists():
        return []  # acknowledged a moment ago
    check = Check.objects.select_related("order__person", "order__level").get(public_id=check_id)
    order = check.order
    unit = Unit.objects.get(pk=unit_id)
    delay = emergency_delay()
    roster = roster_at(now)
    drafted: list[Alert] = []
    for n, recipient in enumerate(EMERGENCY_CLIMB, start=1):
        moment = alerted_at + delay * n
        if moment > now:
            break
        minutes = int((delay * n).total_seconds() // 60)
        staff_list = _in_the_program(roster.recipients(recipient, order, unit), order, unit, roster)
        unnamed = roster.unnamed_directors(recipient, order, unit, staff_list)
        if not staff_list and not unnamed:
            logger.warning("emergency %s: no %s to alert on %s", check_id, recipient, unit)
        drafted += alerts.draft(
            staff_list,
            kind=AlertKind.EMERGENCY,
            message=_emergency_message(check, unit, recipient, minutes),
            due_at=moment,
            dedupe_key=_emergency_key(recipient, check.public_id),
            unit=unit,
            person=order.person,
            subject=Subject(CHECK_SUBJECT, check.public_id),
            step_position=n,
            now=now,
        )
        # The same step and key, about the unit only: no person, no link to the check.
        drafted += alerts.draft(
            unnamed,
            kind=AlertKind.EMERGENCY,
            message=_unnamed_emergency(check, unit, minutes),
            due_at=moment,
            dedupe_key=_emergency_key(recipient, check.public_id),
            unit=unit,
            step_position=n,
            now=now,
        )
    new = alerts.write_many(drafted)
    if new:
        record_person_event(
            order.person,
            actor=None,
            actor_label=EMERGENCY_LABEL,
            action=Action.CREATE,
            target=check,
            detail={
                "event": "emergency escalation",
                "unit": unit.code,
                "lead_alerted_at": alerted_at.isoformat(),
                "alerts": alerts.listed(new, with_due_at=True),
                **_unnamed(new),
            },
        )
    return new


def sweep_emergency_climb(now: datetime | None = None) -> SweepResult:
    """One pass: for each emergency check no lead has acknowledged, alert the unit's
    supervisors one delay after the lead was alerted and the director after two, each once
    (the dedupe key names the step, the check and the recipient, so two workers or two passes
    never alert anyone twice). An acknowledgement by anyone alerted about the check stops the
    climb. Each alert is dated when its step fell due; each check is guarded (core.sweeps), so
    one that raises is audited "failed" and tried again next loop while the others go on."""
    now = now or clock.now()
    result = SweepResult("emergency escalation")
    for check_id, alerted_at, unit_id in sweeps.within_budget(result, emergencies_waiting(now)):
        written = sweeps.guarded(
            result,
            lambda c=check_id, a=alerted_at, u=unit_id: _climb_one(c, a, u, now),  # type: ignore[misc]
            label=EMERGENCY_LABEL,
            object_type="rounds.check",
            object_id=str(check_id),
        )
        if written:
            result.claimed += 1
            result.alerts += len(written)
    return result


CHECK_DONE = "A check was recorded; the observation is on time again."


def resolve_check_alerts(
    orders: Iterable[ObservationOrder], moment: datetime, *, reason: str = CHECK_DONE
) -> int:
    """Close the open "check due" and "check overdue" alerts of orders a check has just put
    back on time (issue 11: alerts never cleared), or whose clock starts again, in the caller's
    transaction; the time and the reason stay on the alert for the inbox history. Alerts of a
    check that was not safe stay open until a lead acknowledges them. A Part 2 order's step
    heard by directors outside its program names no order, only its dedupe key: it closes by
    the key."""
    kinds = [AlertKind.CHECK_DUE, AlertKind.ESCALATION]
    orders = list(orders)
    which = alerts.about(*(order_subject(o) for o in orders), kinds=kinds)
    for order in orders:
        if order.is_part2:
            which |= alerts.about(key_prefix=_order_key_prefix(order), kinds=kinds)
    return alerts.resolve(which, moment=moment, reason=reason)


def close_climb(alert: Alert) -> None:
    """A lead's acknowledgement of an unsafe check removes the cause of the supervisors' and
    director's emergency alerts (no lead had acknowledged): they close, keeping when and why.
    Run by people.alerts.acknowledge (registered at ready()), in its transaction."""
    if alert.kind != AlertKind.CHECK_NOT_SAFE or alert.subject_id is None:
        return
    alerts.resolve(
        alerts.about(
            Subject(alert.subject_kind, alert.subject_id),
            # The director step heard outside a Part 2 program names no check, only its key.
            key_prefix=_emergency_key(Recipient.DIRECTOR, alert.subject_id),
            kinds=[AlertKind.EMERGENCY],
        ),
        moment=alert.acknowledged_at or clock.now(),
        reason=f"Acknowledged by the lead {alert.recipient.display_name}.",
    )


# --- Keeping a unit's chain -------------------------------------------------------------------


def _clean_steps(steps: Iterable[Mapping[str, Any]]) -> list[tuple[int, int, str]]:
    rows = list(steps)
    errors: dict[str, list[str]] = {}
    if not rows:
        raise invalid("steps", "A chain needs at least one step.")
    if len(rows) > MAX_STEPS:
        raise invalid("steps", f"A chain has at most {MAX_STEPS} steps.")
    cleaned: list[tuple[int, int, str]] = []
    for n, row in enumerate(rows, start=1):
        position, minutes, recipient = (
            row.get("position"),
            row.get("after_minutes"),
            row.get("recipient"),
        )
        if not isinstance(position, int) or position < 1:
            errors.setdefault("position", []).append(f"Step {n}: the position is 1 or more.")
        if not isinstance(minutes, int) or not 0 <= minutes <= MAX_AFTER_MINUTES:
            errors.setdefault("after_minutes", []).append(
                f"Step {n}: minutes after due are 0 to {MAX_AFTER_MINUTES}."
            )
        if recipient not in Recipient.values:
            errors.setdefault("recipient", []).append(f"Step {n}: choose who is alerted.")
        if not errors:
            cleaned.append((int(position), int(minutes), str(recipient)))  # type: ignore[arg-type]
    if not errors:
        for (p0, m0, _), (p1, m1, _) in pairwise(cleaned):
            if p1 <= p0:
                errors.setdefault("position", []).append(
                    "Positions must increase from one step to the next."
                )
                break
            if m1 < m0:
                errors.setdefault("after_minutes", []).append(
                    "Each step comes no earlier than the one before it."
                )
                break
    if errors:
        raise ValidationError(errors)
    return cleaned


def replace_steps(
    unit: Unit, *, actor: Any, steps: Iterable[Mapping[str, Any]]
) -> list[EscalationStep]:
    """Give a unit its own chain. The previous version is kept (inactive), never deleted, so
    which chain alerted whom stays answerable. ``steps``: position, after_minutes, recipient."""
    policy.require(actor, "rounds.manage_escalation", unit)
    cleaned = _clean_steps(steps)
    with transaction.atomic():
        Unit.objects.select_for_update().filter(pk=unit.pk).first()
        old = list(EscalationStep.objects.filter(unit=unit, is_active=True).order_by("position"))
        before = [(s.position, s.after_minutes, s.recipient) for s in old] or None
        EscalationStep.objects.filter(pk__in=[s.pk for s in old]).update(is_active=False)
        made = [
            EscalationStep.objects.create(
                unit=unit, position=p, after_minutes=m, recipient=r, is_active=True
            )
            for p, m, r in cleaned
        ]
        _audit_chain(
            actor,
            unit,
            [list(s) for s in before] if before else "default chain",
            [list(s) for s in cleaned],
        )
    return made


def use_default_steps(unit: Unit, *, actor: Any) -> None:
    """Return a unit to the default chain; its own steps are kept, inactive."""
    policy.require(actor, "rounds.manage_escalation", unit)
    with transaction.atomic():
        Unit.objects.select_for_update().filter(pk=unit.pk).first()
        old = list(EscalationStep.objects.filter(unit=unit, is_active=True).order_by("position"))
        if not old:
            return
        EscalationStep.objects.filter(pk__in=[s.pk for s in old]).update(is_active=False)
        _audit_chain(
            actor, unit, [[s.position, s.after_minutes, s.recipient] for s in old], "default chain"
        )


def _audit_chain(
    actor: Any, unit: Unit, before: list[list[Any]] | str, after: list[list[Any]] | str
) -> None:
    """Audit a change of a unit's chain: its steps before and after, each as
    ``[position, after_minutes, recipient]``, or "default chain"."""
    audit.record(
        actor,
        Action.UPDATE,
        unit,
        purpose=Purpose.ADMINISTRATION,
        detail={"event": "escalation chain", **audit.changes({"steps": before}, {"steps": after})},
    )
