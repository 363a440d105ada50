"""Behavior plans, phases, contracts and ABC records: versioning, signing, replay, late entry,
bad input that stores nothing, permissions and audit."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.http import Http404

from pillars.audit.models import AuditEvent
from pillars.core import clock
from pillars.core.errors import Conflict, ValidationError
from pillars.incidents.models import (
    BehaviorContract,
    BehaviorPlan,
    BehaviorRecord,
    ContractStatus,
    PlanPhase,
    TargetBehavior,
)
from pillars.incidents.services import behavior as services
from pillars.people.testing import World

pytestmark = pytest.mark.django_db

TARGETS = [
    {
        "name": "Hitting",
        "definition": "Open or closed hand contact with another person, with force.",
        "measure": "frequency",
    },
    {
        "name": "Yelling",
        "definition": "Raised voice heard across the room, lasting more than 5 seconds.",
        "measure": "duration",
    },
]


def write(world: World, **overrides: Any) -> BehaviorPlan:
    values: dict[str, Any] = {
        "effective_on": clock.organization_today(),
        "targets": TARGETS,
        "antecedents": ["Asked to end a preferred activity", "Peer conflict"],
        "consequences": ["Verbal redirection", "Offered space"],
        "replacement_behaviors": "Ask for a break using the break card.",
        "reinforcement_schedule": "Praise and a token for each calm interval.",
        "reinforcement_interval_minutes": 30,
    }
    values.update(overrides)
    return services.write_plan(world.person_a, actor=world.user("clinician"), **values)


def hitting(plan: BehaviorPlan) -> TargetBehavior:
    return plan.targets.get(key="hitting")


def record(world: World, plan: BehaviorPlan, role: str = "bht", **overrides: Any) -> BehaviorRecord:
    values: dict[str, Any] = {
        "target": hitting(plan),
        "observed_at": clock.now(),
        "antecedent": "Peer conflict",
        "consequence": "Offered space",
        "client_id": uuid.uuid4(),
        "count": 2,
        "intensity": 3,
    }
    values.update(overrides)
    return services.record_behavior(world.person_a, actor=world.user(role), **values)


def test_plan_is_written_and_audited(world: World) -> None:
    plan = write(world)
    assert plan.version == 1
    assert plan.is_current
    assert [t.key for t in plan.targets.all()] == ["hitting", "yelling"]
    event = AuditEvent.objects.filter(object_id=str(plan.public_id)).get()
    assert event.action == "create"
    assert event.detail["targets"] == ["hitting", "yelling"]


def test_a_change_makes_a_new_version_and_keeps_the_old(world: World) -> None:
    first = write(world)
    with pytest.raises(ValidationError) as exc:
        write(world, targets=TARGETS[:1])
    assert "change_reason" in exc.value.error_dict
    second = write(world, targets=TARGETS[:1], change_reason="Yelling has stopped")
    first.refresh_from_db()
    assert (first.is_current, second.is_current) == (False, True)
    assert second.version == 2
    assert second.replaces == first
    assert first.targets.count() == 2
    assert second.targets.count() == 1
    assert hitting(second).key == hitting(first).key
    assert BehaviorPlan.objects.filter(person=world.person_a).count() == 2


def test_only_clinicians_write_plans(world: World) -> None:
    for role in ("bht", "nurse", "peer", "director"):
        with pytest.raises(PermissionDenied):
            services.write_plan(
                world.person_a,
                actor=world.user(role),
                effective_on=clock.organization_today(),
                targets=TARGETS,
            )
    with pytest.raises(Http404):
        services.write_plan(
            world.person_b,
            actor=world.user("clinician"),
            effective_on=clock.organization_today(),
            targets=TARGETS,
        )


def test_bad_plan_stores_nothing(world: World) -> None:
    before = AuditEvent.objects.count()
    with pytest.raises(ValidationError) as exc:
        write(
            world,
            targets=[{"name": "Hitting", "definition": "", "measure": "loudness"}],
            reinforcement_interval_minutes=0,
        )
    assert {"targets", "reinforcement_interval_minutes"} <= set(exc.value.error_dict)
    assert not BehaviorPlan.objects.exists()
    assert not TargetBehavior.objects.exists()
    assert AuditEvent.objects.count() == before


def test_phases_are_dated_and_follow_each_other(world: World) -> None:
    with pytest.raises(ValidationError):
        services.change_phase(
            world.person_a,
            actor=world.user("clinician"),
            name="Baseline",
            started_on=clock.organization_today(),
        )
    write(world)
    today = clock.organization_today()
    services.change_phase(
        world.person_a,
        actor=world.user("clinician"),
        name="Baseline",
        started_on=today - timedelta(days=14),
    )
    with pytest.raises(ValidationError) as exc:
        services.change_phase(
            world.person_a,
            actor=world.user("clinician"),
            name="Intervention",
            started_on=today - timedelta(days=20),
        )
    assert "started_on" in exc.value.error_dict
    services.change_phase(
        world.person_a, actor=world.user("clinician"), name="Intervention", started_on=today
    )
    assert list(PlanPhase.objects.values_list("name", flat=True)) == ["Baseline", "Intervention"]


def test_contract_is_signed_by_both_then_sealed_and_replaced(world: World) -> None:
    write(world)
    clinician = world.user("clinician")
    review = clock.organization_today() + timedelta(days=30)
    first = services.write_contract(
        world.person_a,
        actor=clinician,
        terms="Use the break card.",
        rewards="Outing",
        review_on=review,
    )
    assert first.status == ContractStatus.AWAITING
    with pytest.raises(ValidationError):
        services.sign_contract(first, actor=clinician, signer="person", signed_name=" ")
    services.sign_contract(first, actor=clinician, signer="person", signed_name="Alex Rivera")
    signed = services.sign_contract(first, actor=clinician, signer="staff")
    assert signed.status == ContractStatus.SIGNED
    assert signed.person_signed_name == "Alex Rivera"
    assert signed.staff_signed_by == world.staff["clinician"]
    assert signed.staff_signed_at
    with pytest.raises(Conflict):
        services.sign_contract(signed, actor=clinician, signer="staff")
    second = services.write_contract(
        world.person_a, actor=clinician, terms="New terms", rewards="Movie", review_on=review
    )
    # The signed contract stays in force until the new one is signed.
    first.refresh_from_db()
    assert first.status == ContractStatus.SIGNED
    services.sign_contract(second, actor=clinician, signer="person", signed_name="Alex Rivera")
    second = services.sign_contract(second, actor=clinician, signer="staff")
    first.refresh_from_db()
    assert first.status == ContractStatus.REPLACED
    assert second.replaces == first
    assert first.terms == "Use the break card."  # the old one is unchanged and readable
    assert BehaviorContract.objects.filter(person=world.person_a).count() == 2


def test_abc_record_is_audited(world: World) -> None:
    plan = write(world)
    rec = record(world, plan)
    assert rec.recorded_by == world.staff["bht"]
    assert not rec.is_late_entry
    event = AuditEvent.objects.filter(object_id=str(rec.public_id)).get()
    assert event.detail["target"] == "hitting"
    assert event.detail["count"] == 2


@pytest.mark.parametrize("role", ["bht", "nurse", "clinician", "peer"])
def test_the_floor_records_behavior(world: World, role: str) -> None:
    assert record(world, write(world), role=role).pk


@pytest.mark.parametrize("role", ["supervisor", "director", "privacy", "admin"])
def test_others_do_not_record(world: World, role: str) -> None:
    plan = write(world)
    with pytest.raises((PermissionDenied, Http404)):
        record(world, plan, role=role)
    assert not BehaviorRecord.objects.exists()


def test_replay_returns_the_first_and_different_details_conflict(world: World) -> None:
    plan = write(world)
    key = uuid.uuid4()
    moment = clock.now()
    first = record(world, plan, client_id=key, observed_at=moment)
    again = record(world, plan, client_id=key, observed_at=moment)
    assert again.pk == first.pk
    assert BehaviorRecord.objects.count() == 1
    with pytest.raises(Conflict):
        record(world, plan, client_id=key, observed_at=moment, count=5)
    assert BehaviorRecord.objects.count() == 1


def test_a_racing_replay_never_answers_with_another_persons_record(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two writes under one client id at once, for two persons: the one that loses the race on
    the key is refused, not handed the other person's record (same target, same details)."""
    for role in ("clinician", "bht"):  # both persons in their scope
        world.staff[role].home_units.add(world.unit_b)
    plan = write(world)
    other = services.write_plan(
        world.person_b,
        actor=world.user("clinician"),
        effective_on=clock.organization_today(),
        targets=TARGETS,
        antecedents=["Peer conflict"],
        consequences=["Offered space"],
        replacement_behaviors="Ask for a break.",
        reinforcement_schedule="Praise.",
        reinforcement_interval_minutes=30,
    )
    key, moment = uuid.uuid4(), clock.now()
    first = record(world, plan, client_id=key, observed_at=moment)
    # The second write looks for the key before the first has stored it.
    looked = services._replayed_record
    calls: list[int] = []

    def not_yet(client_id: Any, person: Any) -> Any:
        calls.append(1)
        return None if len(calls) == 1 else looked(client_id, person)

    monkeypatch.setattr(services, "_replayed_record", not_yet)
    with pytest.raises(Conflict):
        services.record_behavior(
            world.person_b,
            actor=world.user("bht"),
            target=hitting(other),
            observed_at=moment,
            antecedent="Peer conflict",
            consequence="Offered space",
            client_id=key,
            count=2,
            intensity=3,
        )
    assert len(calls) == 2
    assert list(BehaviorRecord.objects.values_list("pk", flat=True)) == [first.pk]


def test_late_entry_needs_a_reason_and_is_flagged(world: World) -> None:
    plan = write(world)
    with time_machine.travel(clock.now(), tick=False):
        eleven = clock.now() - timedelta(minutes=11)
        with pytest.raises(ValidationError) as exc:
            record(world, plan, observed_at=eleven)
        assert "late_reason" in exc.value.error_dict
        assert not BehaviorRecord.objects.exists()
        on_time = record(world, plan, observed_at=clock.now() - timedelta(minutes=10))
        assert not on_time.is_late_entry
        late = record(world, plan, observed_at=eleven, late_reason="Was in a restraint debrief")
        assert late.is_late_entry
        assert late.late_reason == "Was in a restraint debrief"


def test_bad_record_stores_nothing(world: World) -> None:
    plan = write(world)
    before = AuditEvent.objects.count()
    with pytest.raises(ValidationError) as exc:
        record(
            world,
            plan,
            antecedent=" ",
            consequence="",
            count=0,
            intensity=6,
            observed_at=clock.now() + timedelta(hours=1),
        )
    assert {"antecedent", "consequence", "count", "intensity", "observed_at"} <= set(
        exc.value.error_dict
    )
    yelling = plan.targets.get(key="yelling")
    with pytest.raises(ValidationError) as exc:
        record(world, plan, target=yelling)
    assert "duration_seconds" in exc.value.error_dict
    assert not BehaviorRecord.objects.exists()
    assert AuditEvent.objects.count() == before


def test_a_target_of_an_old_version_or_another_person_is_refused(world: World) -> None:
    first = write(world)
    write(world, change_reason="Adjusted definitions")
    with pytest.raises(ValidationError):
        record(world, first)


def test_emergency_access_reads_only(world: World) -> None:
    from pillars.people.models import EmergencyAccess

    plan = write(world)
    outsider = world.staff["outsider"]
    now = clock.now()
    EmergencyAccess.objects.create(
        staff=outsider,
        person=world.person_a,
        reason="Crisis on the other unit",
        started_at=now,
        expires_at=now + timedelta(hours=1),
    )
    from pillars.core import policy

    user = world.user("outsider")
    policy.forget(user)
    assert policy.can(user, "incidents.view_behavior", plan)
    with pytest.raises(PermissionDenied):
        record(world, plan, role="outsider")


def test_correction_is_an_addendum(world: World) -> None:
    rec = record(world, write(world))
    with pytest.raises(ValidationError):
        services.add_record_addendum(rec, actor=world.user("bht"), reason="", text="")
    add = services.add_record_addendum(
        rec, actor=world.user("bht"), reason="Wrong count", text="It was 3 times, not 2."
    )
    rec.refresh_from_db()
    assert rec.count == 2
    assert add.record == rec
    assert add.written_by == world.staff["bht"]


def test_a_contract_review_date_is_read_on_the_units_calendar(world: World) -> None:
    """At 8 pm in Chicago it is already tomorrow in UTC; tomorrow in Chicago is still a valid
    review date, and today in Chicago is not."""
    from datetime import UTC, date, datetime

    evening = datetime(2026, 6, 10, 1, 0, tzinfo=UTC)  # 8 pm on June 9 in America/Chicago
    with time_machine.travel(evening, tick=False):
        write(world)
        clinician = world.user("clinician")
        with pytest.raises(ValidationError, match="after today"):
            services.write_contract(
                world.person_a,
                actor=clinician,
                terms="Use the break card.",
                rewards="Outing",
                review_on=date(2026, 6, 9),
            )
        contract = services.write_contract(
            world.person_a,
            actor=clinician,
            terms="Use the break card.",
            rewards="Outing",
            review_on=date(2026, 6, 10),
        )
    assert contract.review_on == date(2026, 6, 10)
