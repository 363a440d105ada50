"""Shift handoffs in the demo: on each inpatient unit, the last few shifts were handed over
(compiled from the shift's data, a note or two, signed by the outgoing lead and then by the
incoming one with their badge PIN), and the shift under way has its handoff compiled and waiting
for signatures. Everything goes through ``pillars.rounds.services.handoffs``, each step replayed
at the moment it would have happened on the floor (``clock.replaying_at``).

Deterministic for the seed: which shifts, who signs, which notes and about whom. An incoming
signer who has no PIN yet sets one first (as staff do, through ``people.services.set_pin``); that
PIN is random and never shown, so only the demo accounts' published PIN opens the tablet.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from pillars.core import clock
from pillars.demo.accounts import DEMO_PIN, DEMO_PIN_USERS
from pillars.people import services as people_services
from pillars.people.choices import UnitKind
from pillars.people.models import PersonServed, Staff, Unit
from pillars.rounds.models import Handoff
from pillars.rounds.selectors.assignments import shift_leads_at
from pillars.rounds.services import handoffs
from pillars.rounds.services.assignments import shift_bounds

INPATIENT = (UnitKind.ACUTE_ADULT, UnitKind.ADOLESCENT, UnitKind.CRISIS)
PAST_SHIFTS = 3
DAY_STARTS, NIGHT_STARTS = time(7), time(19)

GENERAL_NOTES = (
    "Milieu calm overall; groups ran on time.",
    "The unit phone was out for an hour; maintenance reset it and it works now.",
    "Linen came late: extra blankets are in the clean utility room.",
    "Two new staff are shadowing; walk them through the ligature checklist.",
    "Fire drill done at the start of the shift; everyone accounted for in four minutes.",
)
PERSON_NOTES = (
    "Slept poorly; offered a snack and a quiet space, settled after an hour.",
    "Asked twice about the discharge date; the clinician will see them this morning.",
    "Refused the meal, ate a snack later. Keep offering.",
    "Family visit went well; mood brighter afterwards.",
    "Paced the hall after a phone call; used the comfort room and calmed with staff nearby.",
)


@dataclass(frozen=True)
class Shift:
    starts_at: datetime
    ends_at: datetime


def current_shift(unit: Unit, now: datetime) -> Shift:
    """Day 07:00-19:00 and night 19:00-07:00 in the unit's zone, as the demo's rounds run."""
    local = clock.local(now, unit.time_zone)
    if DAY_STARTS <= local.time() < NIGHT_STARTS:
        return Shift(*shift_bounds(unit, local.date(), DAY_STARTS, NIGHT_STARTS))
    day = local.date() if local.time() >= NIGHT_STARTS else local.date() - timedelta(days=1)
    return Shift(*shift_bounds(unit, day, NIGHT_STARTS, DAY_STARTS))


def shifts_before(unit: Unit, shift: Shift, count: int) -> list[Shift]:
    """The ``count`` shifts that ended before ``shift``, oldest first."""
    found: list[Shift] = []
    moment = shift.starts_at
    for _ in range(count):
        previous = current_shift(unit, moment - timedelta(minutes=1))
        found.append(previous)
        moment = previous.starts_at
    return found[::-1]


class HandoffLoader:
    """Makes the demo's handoffs on every inpatient unit (see the module docstring)."""

    def __init__(
        self, *, seed: int, units: Iterable[Unit], staff_by_unit: dict[str, dict[str, list[Staff]]]
    ) -> None:
        self.rng = random.Random(seed * 53 + 11)
        self.units = [u for u in units if u.kind in INPATIENT]
        self.staff_by_unit = staff_by_unit
        self.now = clock.now()
        self.made = 0
        self.pins: dict[int, str] = {}

    def run(self) -> int:
        for unit in sorted(self.units, key=lambda u: u.code):
            self._unit(unit)
        return self.made

    def _unit(self, unit: Unit) -> None:
        people = self.staff_by_unit.get(unit.code, {})
        nurses = list(people.get("nurse") or [])
        bhts = list(people.get("bht") or [])
        leads_now = shift_leads_at(unit, self.now)
        if not nurses or not leads_now:
            return
        lead_now = leads_now[0]
        rota = [lead_now, *[n for n in nurses if n != lead_now]]
        now_shift = current_shift(unit, self.now)
        past = shifts_before(unit, now_shift, PAST_SHIFTS)
        # Who led each shift: the current lead now, the unit's nurses in turn before that.
        leads = [rota[(len(past) - n) % len(rota)] for n in range(len(past))] + [lead_now]
        for n, shift in enumerate(past):
            outgoing, incoming = leads[n], leads[n + 1]
            if incoming == outgoing and bhts:
                incoming = bhts[n % len(bhts)]
            if incoming == outgoing:
                continue  # nobody signs both sides
            self._signed(unit, shift, outgoing, incoming)
        self._under_way(unit, now_shift, lead_now)

    def _signed(self, unit: Unit, shift: Shift, outgoing: Staff, incoming: Staff) -> None:
        with clock.replaying_at(shift.ends_at - timedelta(minutes=30)):
            handoff = handoffs.compile_handoff(
                unit, actor=outgoing.user, start=shift.starts_at, end=shift.ends_at
            )
        for k in range(1 + self.rng.randrange(2)):
            with clock.replaying_at(shift.ends_at - timedelta(minutes=25 - 5 * k)):
                self._note(handoff, outgoing, about_person=k == 0)
        with clock.replaying_at(shift.ends_at - timedelta(minutes=5)):
            handoffs.sign_outgoing(handoff, actor=outgoing.user)
        with clock.replaying_at(min(shift.ends_at + timedelta(minutes=10), self.now)):
            pin = self._pin_of(incoming)
            handoffs.sign_incoming(handoff, actor=incoming.user, pin=pin)
        self.made += 1

    def _under_way(self, unit: Unit, shift: Shift, lead: Staff) -> None:
        """The shift now: compiled by its lead, with a note, and not signed by anyone yet."""
        handoff = handoffs.compile_handoff(
            unit, actor=lead.user, start=shift.starts_at, end=shift.ends_at
        )
        self._note(handoff, lead, about_person=True)
        self.made += 1

    def _note(self, handoff: Handoff, author: Staff, *, about_person: bool) -> None:
        listed = [p["person"] for p in handoff.snapshot.get("persons", [])]
        person = None
        if about_person and listed:
            person = PersonServed.objects.get(public_id=listed[self.rng.randrange(len(listed))])
        notes = PERSON_NOTES if person is not None else GENERAL_NOTES
        handoffs.add_note(handoff, actor=author.user, text=self.rng.choice(notes), person=person)

    def _pin_of(self, staff: Staff) -> str:
        """The PIN the incoming staff member confirms with: the demo accounts' published PIN,
        else one they set the first time they sign, random and never shown."""
        if staff.user.username in DEMO_PIN_USERS:
            return DEMO_PIN
        if staff.pk not in self.pins:
            self.pins[staff.pk] = _random_pin()
            people_services.set_pin(staff, actor=staff.user, pin=self.pins[staff.pk])
        return self.pins[staff.pk]


def _random_pin() -> str:
    """Six random digits that set_pin accepts (not a run, not one digit repeated)."""
    while True:
        pin = "".join(secrets.choice("0123456789") for _ in range(6))
        if len(set(pin)) > 1 and pin not in "0123456789012345" and pin not in "9876543210987654":
            return pin
