"""The behavior demo loader: a plan, two phases, a signed contract and months of ABC data with
a visible drop at the phase change, all through the services (audited, no late entries)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from pillars.audit.models import AuditEvent
from pillars.core import clock
from pillars.demo.incidents import behavior as demo
from pillars.demo.incidents.context import DemoContext
from pillars.incidents.models import BehaviorContract, BehaviorRecord, ContractStatus, PlanPhase
from pillars.people.models import Episode, Placement
from pillars.people.testing import World, make_person

# Demo loaders run once, in bin/test's SQLite stage, with the loaded demo's tests.
pytestmark = [pytest.mark.django_db, pytest.mark.demo]


def test_demo_loads_a_plan_phases_a_contract_and_a_visible_change(world: World) -> None:
    person = make_person("MRN-LONG", "Longstay")
    admitted = clock.now() - timedelta(days=120)
    episode = Episode.objects.create(
        person=person, admitted_at=admitted, admitted_by=world.staff["nurse"], recorded_at=admitted
    )
    Placement.objects.create(episode=episode, unit=world.unit_a, started_at=admitted)
    ctx = DemoContext(
        seed=7,
        scale="small",
        now=clock.now(),
        units=[world.unit_a],
        staff_by_unit={"a": {"clinician": [world.staff["clinician"]], "bht": [world.staff["bht"]]}},
        demo_staff={},
    )
    demo.load(ctx)
    phases = list(PlanPhase.objects.filter(person=person).order_by("started_on"))
    assert [p.name for p in phases] == ["Baseline", "Intervention"]
    contract = BehaviorContract.objects.get(person=person)
    assert contract.status == ContractStatus.SIGNED
    records = list(BehaviorRecord.objects.filter(person=person))
    assert len(records) > 60
    assert not any(r.is_late_entry for r in records)
    switch = phases[1].started_on
    zone = world.unit_a.time_zone
    before = [r for r in records if clock.local(r.observed_at, zone).date() < switch]
    after = [r for r in records if clock.local(r.observed_at, zone).date() >= switch]
    days_before = (switch - phases[0].started_on).days
    days_after = (clock.today_in(zone) - switch).days
    assert len(before) / days_before > 1.5 * len(after) / days_after
    assert AuditEvent.objects.filter(object_type="incidents.behaviorrecord").count() == len(records)
    # Loading again adds nothing for persons who already have a plan.
    demo.load(ctx)
    assert BehaviorRecord.objects.filter(person=person).count() == len(records)


def test_the_second_person_of_a_unit_has_an_ended_plan(world: World) -> None:
    from pillars.incidents.models import BehaviorPlan, PlanStatus

    persons = []
    for n in range(2):
        person = make_person(f"MRN-LONG{n}", f"Longstay{n}")
        admitted = clock.now() - timedelta(days=120 - n)
        episode = Episode.objects.create(
            person=person,
            admitted_at=admitted,
            admitted_by=world.staff["nurse"],
            recorded_at=admitted,
        )
        Placement.objects.create(episode=episode, unit=world.unit_a, started_at=admitted)
        persons.append(person)
    ctx = DemoContext(
        seed=7,
        scale="small",
        now=clock.now(),
        units=[world.unit_a],
        staff_by_unit={"a": {"clinician": [world.staff["clinician"]], "bht": [world.staff["bht"]]}},
        demo_staff={},
    )
    demo.load(ctx)
    first, second = (BehaviorPlan.objects.get(person=p) for p in persons)
    assert first.status == PlanStatus.ACTIVE
    assert second.status == PlanStatus.ENDED
    assert second.end_reason.startswith("Goals met")
    assert BehaviorContract.objects.get(person=persons[1]).status != ContractStatus.SIGNED
