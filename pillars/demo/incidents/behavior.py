"""Demo data for the behavior area of incidents: on each unit, a few persons served with a
behavior plan written by the unit's clinician, a baseline and an intervention phase, a signed
contract, and a few months of ABC data whose rate drops after the phase change.

Everything goes through the real services, replayed at the moment it happened
(``clock.replaying_at``), so the audit log and the late-entry rules hold for demo data too.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from pillars.core import clock
from pillars.demo.incidents.context import DemoContext
from pillars.incidents.models import BehaviorPlan
from pillars.incidents.services import behavior as services
from pillars.people.models import Placement, Unit

PERSONS_PER_UNIT = 2
DAYS = 90
INTERVENTION_AFTER_DAYS = 40
# Mean entries a day in each phase: the intervention halves the behavior and more.
BASELINE_RATE = 2.6
INTERVENTION_RATE = 1.0

TARGETS = [
    {
        "name": "Physical aggression",
        "definition": "Hitting, kicking or pushing someone with force; each contact counts once.",
        "measure": "frequency",
    },
    {
        "name": "Shouting",
        "definition": "Raised voice heard across the room for more than 5 seconds.",
        "measure": "duration",
    },
]
ANTECEDENTS = [
    "Asked to end a preferred activity",
    "Denied a request",
    "Peer conflict",
    "Loud or crowded day room",
    "Waiting for a phone call",
]
CONSEQUENCES = [
    "Verbal redirection",
    "Offered space",
    "Offered a choice",
    "Reduced stimulation",
    "Peer moved away",
]
SETTINGS = ["Day room", "Hallway", "Dining room", "Bedroom", "Group room"]


def load(ctx: DemoContext) -> None:
    """A plan, two phases, a contract and about three months of ABC data per chosen person."""
    for unit in ctx.units:
        _unit(ctx, unit)


def _unit(ctx: DemoContext, unit: Unit) -> None:
    staff = ctx.staff_by_unit.get(unit.code, {})
    clinician = ctx.first_staff(unit, "clinician")
    recorders = [s for role in ("bht", "nurse") for s in staff.get(role, [])]
    if clinician is None or not recorders:
        return
    rng = ctx.rng(f"behavior:{unit.code}")
    placements = list(
        Placement.objects.current()
        .filter(unit=unit)
        .select_related("episode__person")
        .order_by("episode__admitted_at", "pk")[:PERSONS_PER_UNIT]
    )
    zone = ZoneInfo(unit.time_zone)
    today = ctx.now.astimezone(zone).date()
    for n, placement in enumerate(placements):
        person = placement.episode.person
        if BehaviorPlan.objects.filter(person=person).exists():
            continue
        admitted = placement.episode.admitted_at.astimezone(zone).date()
        start = max(today - timedelta(days=DAYS), admitted)
        if (today - start).days < 14:
            continue
        switch = start + timedelta(days=min(INTERVENTION_AFTER_DAYS, (today - start).days // 2))
        written = datetime.combine(start, time(10, 0), tzinfo=zone).astimezone(UTC)
        with clock.replaying_at(written):
            plan = services.write_plan(
                person,
                actor=clinician.user,
                effective_on=start,
                targets=TARGETS,
                antecedents=ANTECEDENTS,
                consequences=CONSEQUENCES,
                summary="Aggression when demands or crowding build up; teach asking for a break.",
                replacement_behaviors="Ask for a break with words or the break card.",
                antecedent_strategies="Warn five minutes before transitions; offer two choices.",
                reinforcement_schedule="Praise and a token each calm hour; tokens buy an outing.",
                reinforcement_interval_minutes=60,
            )
            services.change_phase(person, actor=clinician.user, name="Baseline", started_on=start)
        targets = {t.key: t for t in plan.targets.all()}
        with clock.replaying_at(datetime.combine(switch, time(9, 0), tzinfo=zone).astimezone(UTC)):
            services.change_phase(
                person,
                actor=clinician.user,
                name="Intervention",
                started_on=switch,
                note="Break card and token schedule start.",
            )
            contract = services.write_contract(
                person,
                actor=clinician.user,
                terms="I ask for a break instead of hitting or shouting; staff give me space.",
                rewards="A token each calm hour; ten tokens for an outing.",
                review_on=switch + timedelta(days=30),
            )
            services.sign_contract(
                contract,
                actor=clinician.user,
                signer=services.PERSON,
                signed_name=person.display_name,
            )
            services.sign_contract(contract, actor=clinician.user, signer=services.STAFF)
        day = start
        while day < today:
            rate = BASELINE_RATE if day < switch else INTERVENTION_RATE
            entries = max(0, round(rng.gauss(rate, rate / 2)))
            for _ in range(entries):
                # Awake hours, in the unit's own time.
                minute = rng.randrange(7 * 60, 22 * 60)
                local = datetime.combine(day, time(minute // 60, minute % 60), tzinfo=zone)
                observed = local.astimezone(UTC)
                key = "physical-aggression" if rng.random() < 0.6 else "shouting"
                target = targets[key]
                with clock.replaying_at(observed + timedelta(minutes=rng.randrange(1, 6))):
                    services.record_behavior(
                        person,
                        actor=rng.choice(recorders).user,
                        target=target,
                        observed_at=observed,
                        antecedent=rng.choice(ANTECEDENTS),
                        consequence=rng.choice(CONSEQUENCES),
                        client_id=uuid.UUID(int=rng.getrandbits(128)),
                        count=1 + (rng.random() < 0.3) + (rng.random() < 0.1),
                        duration_seconds=rng.randrange(10, 300) if key == "shouting" else None,
                        intensity=rng.randint(1, 4 if day >= switch else 5),
                        setting=rng.choice(SETTINGS),
                    )
            day += timedelta(days=1)
        if n == 1:
            # The second person's goals were met: the team ended the plan this morning (its
            # history and chart stay readable; the board no longer offers to record).
            morning = datetime.combine(today, time(9, 30), tzinfo=zone).astimezone(UTC)
            with clock.replaying_at(min(morning, ctx.now)):
                services.end_plan(
                    person,
                    actor=clinician.user,
                    ended_on=today,
                    reason="Goals met for four weeks in a row; ended at the team meeting.",
                )
