"""The summary tables: the sweep keeps them equal to a rebuild from the raw records, whatever
stream of writes, late entries, addenda and voids came through the real services."""

from __future__ import annotations

import random
import uuid
from datetime import date, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.core.management import call_command

from pillars.audit.models import LANES
from pillars.core import clock
from pillars.incidents.services import restraint as restraint_services
from pillars.insights.compute import compute, floor_hour
from pillars.insights.models import FIGURES, SweepCursor, UnitDay, UnitHour
from pillars.insights.summaries import rebuild, sweep_summaries
from pillars.people.models import PersonServed
from pillars.people.services import admit_person
from pillars.people.testing import World, make_person
from pillars.recovery.models import Instrument
from pillars.recovery.services import capital, encounters
from pillars.rounds import services
from pillars.rounds.models import ObservationLevel, ObservationOrder

pytestmark = pytest.mark.django_db


def snapshot() -> tuple[dict[Any, dict[str, int]], dict[Any, dict[str, int]]]:
    hours = {
        (row["unit_id"], row["hour"]): {k: row[k] for k in FIGURES}
        for row in UnitHour.objects.values("unit_id", "hour", *FIGURES)
    }
    days = {
        (row["unit_id"], row["day"]): {k: row[k] for k in FIGURES}
        for row in UnitDay.objects.values("unit_id", "day", *FIGURES)
    }
    return hours, days


def _order(world: World, person: PersonServed, level: str = "q15") -> ObservationOrder:
    return services.order_observation(
        person,
        actor=world.user("nurse"),
        level=ObservationLevel.objects.get(code=level, is_current=True),
        reason="Admission default",
    )


def _check(world: World, order: ObservationOrder, observed: datetime, late: bool = False) -> Any:
    return services.record_check(
        order,
        actor=world.user("bht"),
        observed_at=observed,
        location="bedroom",
        activity="asleep",
        safety_status="safe",
        client_id=uuid.uuid4(),
        late_reason="Tablet was offline" if late else "",
    )


def test_missed_late_and_on_time_checks_are_counted_in_their_hours(world: World) -> None:
    start = floor_hour(clock.now()) + timedelta(hours=1, minutes=2)
    with time_machine.travel(start, tick=False):
        order = _order(world, world.person_a)
    # q15, grace 22.5 min: the first check due at the start (as on the board) and made then,
    # 10 min on time, then 20 min late, then 40 min (one missed at 22.5).
    with time_machine.travel(start, tick=False):
        _check(world, order, clock.now())
    with time_machine.travel(start + timedelta(minutes=10), tick=False):
        _check(world, order, clock.now())
    with time_machine.travel(start + timedelta(minutes=30), tick=False):
        _check(world, order, clock.now())
    with time_machine.travel(start + timedelta(minutes=70), tick=False):
        _check(world, order, clock.now())
        now = clock.now()
    hour = floor_hour(start)
    figures = compute([world.unit_a.pk], hour, hour + timedelta(hours=2), now)
    first = figures[(world.unit_a.pk, hour)]
    second = figures[(world.unit_a.pk, hour + timedelta(hours=1))]
    assert first["checks_done"] == 3
    assert first["checks_on_time"] == 2
    assert first["checks_late"] == 1
    # Missed at 30 + 22.5 = 52.5 min (first hour) ...
    assert first["checks_missed"] == 1
    assert first["checks_due"] == 4
    # ... one more an interval later (67.5 min), and the check at 70 min only ends the
    # missed gap: done, but neither on time nor late.
    assert second["checks_done"] == 1
    assert second["checks_missed"] == second["checks_due"] == 1
    assert "checks_on_time" not in second
    assert "checks_late" not in second
    # The census: person A placed two days ago counts the whole first hour, in the adult stratum.
    assert first["patient_seconds_adult"] == 3600


def test_a_late_entry_moves_the_old_hour_and_undoes_its_missed_checks(world: World) -> None:
    start = floor_hour(clock.now()) - timedelta(hours=3)
    with time_machine.travel(start, tick=False):
        order = _order(world, world.person_a)
        rebuild()
    with time_machine.travel(start + timedelta(hours=2, minutes=30), tick=False):
        sweep_summaries()
        hours, _ = snapshot()
        missed_before = sum(v["checks_missed"] for v in hours.values())
        assert missed_before > 0
        # The check seen when the order started (its first check is due then) arrives now, as
        # a late entry.
        _check(world, order, start, late=True)
        sweep_summaries()
        hours, _ = snapshot()
    first = hours[(world.unit_a.pk, start)]
    assert first["late_entries"] == 1
    assert first["backfilled"] == 1
    assert first["checks_on_time"] == 1
    # Every missed check is now counted from the late entry on, never before it.
    assert sum(v["checks_missed"] for v in hours.values()) < missed_before


def _stream(world: World, seed: int) -> None:
    """A seeded random stream of writes through the services, with the clock moving on."""
    rng = random.Random(seed)
    base = floor_hour(clock.now()) - timedelta(hours=30)
    barc = Instrument.objects.get(code="barc-10")
    with time_machine.travel(base, tick=False):
        rebuild()
        # An adolescent admitted to unit A through the service (for the strata).
        young = make_person("MRN-Y1", "Nguyen", dob=date(2010, 3, 1))
        admit_person(young, actor=world.user("nurse"), unit=world.unit_a, bed=world.beds_a[1])
        persons = [world.person_a, young]
        orders = {p.pk: _order(world, p) for p in persons}
    checks: list[Any] = []
    assessments: list[Any] = []
    found: list[Any] = []
    episode = None
    moment = base
    for step in range(60):
        moment += timedelta(minutes=rng.choice([3, 7, 12, 20, 35, 50]))
        with time_machine.travel(moment, tick=False):
            person = rng.choice(persons)
            order = orders[person.pk]
            action = rng.random()
            if action < 0.45:
                checks.append(_check(world, order, clock.now() - timedelta(minutes=1)))
            elif action < 0.55:
                # A late entry from up to three hours ago.
                observed = clock.now() - timedelta(minutes=rng.randint(15, 180))
                observed = max(observed, order.started_at + timedelta(seconds=30))
                if clock.now() - observed <= timedelta(minutes=11):
                    continue
                checks.append(_check(world, order, observed, late=True))
            elif action < 0.62 and checks:
                services.add_addendum(
                    rng.choice(checks),
                    actor=world.user("nurse"),
                    reason="Wrong room",
                    text="Day room",
                )
            elif action < 0.70:
                orders[person.pk] = _order(world, person, rng.choice(["q15", "q30"]))
            elif action < 0.76 and episode is None and person == world.person_a:
                episode = restraint_services.start_episode(
                    person,
                    actor=world.user("nurse"),
                    kind=rng.choice(["physical_hold", "seclusion"]),
                    reason="Hitting staff",
                    release_criteria="Calm for five minutes",
                    ordered_by=world.staff["clinician"],
                    ordered_at=clock.now(),
                )
            elif action < 0.80 and episode is not None:
                restraint_services.release_episode(
                    episode, actor=world.user("nurse"), reason="Calm and safe"
                )
                episode = None
            elif action < 0.87:
                found.append(
                    encounters.record_encounter(
                        person,
                        actor=world.user("peer"),
                        modality="in_person",
                        setting="unit",
                        started_at=clock.now() - timedelta(minutes=30),
                        minutes=rng.choice([15, 30, 45]),
                        what_was_done="Talked about the week ahead.",
                        credential="CPS",
                    )
                )
            elif action < 0.91 and found:
                victim = found.pop(rng.randrange(len(found)))
                encounters.void_encounter(victim, actor=world.user("peer"), reason="Wrong person")
            elif action < 0.96:
                assessments.append(
                    capital.record_assessment(
                        person,
                        actor=world.user("peer"),
                        instrument=barc,
                        answers={str(n): rng.randint(1, 6) for n in range(1, 11)},
                        administered_on=clock.today_in("America/Chicago")
                        - timedelta(days=rng.randint(0, 2)),
                    )
                )
            elif assessments:
                capital.void_assessment(
                    assessments.pop(rng.randrange(len(assessments))),
                    actor=world.user("peer"),
                    reason="Entered for the wrong person",
                )
            if step % 7 == 0:
                sweep_summaries()
    with time_machine.travel(moment + timedelta(minutes=1), tick=False):
        sweep_summaries()


@pytest.mark.parametrize("seed", [3, 17])
def test_the_sweep_equals_a_rebuild_after_a_random_stream(world: World, seed: int) -> None:
    _stream(world, seed)
    live = snapshot()
    figures = {k for row in live[0].values() for k, v in row.items() if v}
    # The stream moved the figures that matter (a test that cannot fail is a defect).
    assert {"checks_on_time", "checks_missed", "late_entries", "patient_seconds_adult"} <= figures
    assert "patient_seconds_adolescent" in figures
    with time_machine.travel(SweepCursor.objects.get().swept_at, tick=False):
        call_command("insights", "rebuild")
    rebuilt = snapshot()
    assert rebuilt[0] == live[0]
    assert rebuilt[1] == live[1]


def test_a_bucket_the_sweep_missed_would_show(world: World) -> None:
    """The comparison above can fail: a write the sweep never saw leaves the tables behind."""
    start = floor_hour(clock.now()) - timedelta(hours=3)
    with time_machine.travel(start, tick=False):
        order = _order(world, world.person_a)
    with time_machine.travel(start + timedelta(hours=2, minutes=5), tick=False):
        rebuild()
    with time_machine.travel(start + timedelta(hours=2, minutes=10), tick=False):
        _check(world, order, start + timedelta(minutes=10), late=True)
        # The cursor jumps past the late entry's audit event, as a skipping cursor would.
        SweepCursor.objects.update(lanes={str(lane): 10**9 for lane in range(1, LANES + 1)})
        sweep_summaries()
        live = snapshot()
        rebuild()
    assert snapshot() != live
