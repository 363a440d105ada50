"""An emergency check no lead acknowledges climbs the chain: the unit's supervisors after the
delay (PILLARS_EMERGENCY_ESCALATION_MINUTES, default 5), the director after twice that, each
once; an acknowledgement stops it (issue 11 item 1, beyond the lead)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.test import override_settings

from pillars.audit.models import AuditEvent
from pillars.core import clock
from pillars.core.management.commands.worker import registered_sweeps
from pillars.people.alerts import acknowledge
from pillars.people.choices import AlertKind
from pillars.people.models import Alert
from pillars.people.testing import World
from pillars.rounds import services
from pillars.rounds.models import ObservationLevel, ObservationOrder, ShiftAssignment
from pillars.rounds.services.escalation import sweep_emergency_climb

pytestmark = pytest.mark.django_db

# 02:10 in Chicago (CST), on a night shift.
T0 = datetime(2026, 1, 15, 8, 10, tzinfo=UTC)


@pytest.fixture
def pinned() -> Any:
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


def _order(world: World, person: Any = None, by: Any = None) -> ObservationOrder:
    with clock.replaying_at(clock.now() - timedelta(minutes=30)):
        return services.order_observation(
            person or world.person_a,
            actor=by or world.user("nurse"),
            level=ObservationLevel.objects.get(code="q15", is_current=True),
            reason="Admission default",
        )


def _lead(world: World) -> None:
    now = clock.now()
    ShiftAssignment.objects.create(
        unit=world.unit_a,
        staff=world.staff["nurse"],
        kind="lead",
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(hours=11),
        assigned_by=world.staff["nurse"],
        recorded_at=now,
    )


def _check(world: World, order: ObservationOrder, status: str = "emergency") -> Any:
    return services.record_check(
        order,
        actor=world.user("bht"),
        observed_at=clock.now() - timedelta(minutes=1),
        location="bathroom",
        activity="other",
        safety_status=status,
        client_id=uuid.uuid4(),
        note="found with a ligature around the neck, removed",
    )


def _climb() -> list[tuple[str, datetime]]:
    return list(
        Alert.objects.filter(kind=AlertKind.EMERGENCY)
        .order_by("due_at", "recipient__user__username")
        .values_list("recipient__user__username", "due_at")
    )


def _sweep_at(pinned: Any, minutes: float) -> Any:
    pinned.move_to(T0 + timedelta(minutes=minutes))
    return sweep_emergency_climb()


def test_nothing_before_the_delay_then_the_manager_once_then_the_director_once(
    world: World, pinned: Any
) -> None:
    _lead(world)
    made = _check(world, _order(world))
    assert Alert.objects.filter(kind=AlertKind.CHECK_NOT_SAFE).count() == 1
    assert _sweep_at(pinned, 4 + 59 / 60).alerts == 0
    assert _climb() == []
    result = _sweep_at(pinned, 5)
    assert result.alerts == 1
    assert _climb() == [("t-supervisor", T0 + timedelta(minutes=5))]
    alert = Alert.objects.get(kind=AlertKind.EMERGENCY)
    assert alert.unit == world.unit_a
    assert alert.person == world.person_a
    assert alert.subject_id == made.public_id
    # The person and the check's time in the unit's zone (02:09 CST), not UTC.
    assert alert.message.startswith(f"Emergency check for {world.person_a.display_name} at 02:09")
    assert "CST" in alert.message
    assert "08:09" not in alert.message
    assert "unit manager" in alert.message
    assert _sweep_at(pinned, 7).alerts == 0
    assert _sweep_at(pinned, 10).alerts == 1
    assert _climb() == [
        ("t-supervisor", T0 + timedelta(minutes=5)),
        ("t-director", T0 + timedelta(minutes=10)),
    ]
    director = Alert.objects.get(kind=AlertKind.EMERGENCY, recipient=world.staff["director"])
    assert "program director" in director.message
    assert _sweep_at(pinned, 30).alerts == 0
    assert _sweep_at(pinned, 60 * 3).alerts == 0
    assert len(_climb()) == 2
    audited = AuditEvent.objects.filter(
        object_id=str(made.public_id), detail__event="emergency escalation"
    )
    assert audited.count() == 2


def test_a_lead_who_acknowledges_in_time_stops_the_climb(world: World, pinned: Any) -> None:
    _lead(world)
    _check(world, _order(world))
    pinned.move_to(T0 + timedelta(minutes=3))
    lead_alert = Alert.objects.get(kind=AlertKind.CHECK_NOT_SAFE)
    acknowledge(lead_alert, actor=world.user("nurse"))
    for minutes in (5, 10, 60):
        assert _sweep_at(pinned, minutes).alerts == 0
    assert _climb() == []


def test_an_acknowledgement_after_the_manager_stops_the_director_and_closes_the_managers_alert(
    world: World, pinned: Any
) -> None:
    _lead(world)
    _check(world, _order(world))
    _sweep_at(pinned, 6)
    assert [who for who, _ in _climb()] == ["t-supervisor"]
    pinned.move_to(T0 + timedelta(minutes=8))
    acknowledge(Alert.objects.get(kind=AlertKind.CHECK_NOT_SAFE), actor=world.user("nurse"))
    manager = Alert.objects.get(kind=AlertKind.EMERGENCY)
    assert manager.resolved_at == T0 + timedelta(minutes=8)
    assert "T Nurse" in manager.resolved_reason
    assert _sweep_at(pinned, 10).alerts == 0
    assert _sweep_at(pinned, 20).alerts == 0
    assert [who for who, _ in _climb()] == ["t-supervisor"]


def test_the_supervisor_acknowledging_spares_the_director(world: World, pinned: Any) -> None:
    _lead(world)
    _check(world, _order(world))
    _sweep_at(pinned, 5)
    acknowledge(Alert.objects.get(kind=AlertKind.EMERGENCY), actor=world.user("supervisor"))
    assert _sweep_at(pinned, 10).alerts == 0


def test_a_worker_that_was_down_writes_each_step_once_dated_when_it_was_due(
    world: World, pinned: Any
) -> None:
    _lead(world)
    _check(world, _order(world))
    assert _sweep_at(pinned, 12).alerts == 2
    assert _climb() == [
        ("t-supervisor", T0 + timedelta(minutes=5)),
        ("t-director", T0 + timedelta(minutes=10)),
    ]
    assert Alert.objects.filter(kind=AlertKind.EMERGENCY, created_at=T0 + timedelta(minutes=12))


def test_a_concern_does_not_climb(world: World, pinned: Any) -> None:
    _lead(world)
    _check(world, _order(world), status="concern")
    assert _sweep_at(pinned, 30).alerts == 0
    assert _climb() == []


@override_settings(EMERGENCY_ESCALATION_MINUTES=2)
def test_the_delay_is_a_setting(world: World, pinned: Any) -> None:
    _lead(world)
    _check(world, _order(world))
    assert _sweep_at(pinned, 1).alerts == 0
    assert _sweep_at(pinned, 2).alerts == 1
    assert _sweep_at(pinned, 4).alerts == 1
    assert [at for _, at in _climb()] == [T0 + timedelta(minutes=2), T0 + timedelta(minutes=4)]
    assert "after 2 minutes" in Alert.objects.get(recipient=world.staff["supervisor"]).message


def test_another_units_emergency_alerts_that_units_supervisors(world: World, pinned: Any) -> None:
    from pillars.people.testing import make_staff

    make_staff("t-supervisor-b", ["supervisor"], [world.unit_b])
    nurse_b = make_staff("t-nurse-b", ["nurse"], [world.unit_b])
    order = _order(world, world.person_b, by=nurse_b.user)
    services.record_check(
        order,
        actor=world.user("outsider"),
        observed_at=clock.now(),
        location="bedroom",
        activity="other",
        safety_status="emergency",
        client_id=uuid.uuid4(),
    )
    lead_alert = Alert.objects.get(kind=AlertKind.CHECK_NOT_SAFE)
    assert lead_alert.recipient == nurse_b
    _sweep_at(pinned, 5)
    assert [who for who, _ in _climb()] == ["t-supervisor-b"]


def test_the_worker_runs_the_climb() -> None:
    assert sweep_emergency_climb in registered_sweeps()


def test_one_check_that_fails_is_audited_and_the_others_still_climb(
    world: World, pinned: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pillars.audit.choices import Outcome
    from pillars.people.testing import make_person, place
    from pillars.rounds.services import escalation

    _lead(world)
    second = make_person("MRN-A2", "Nguyen")
    place(second, world.unit_a, world.beds_a[1], world.staff["nurse"])
    broken = _check(world, _order(world))
    _check(world, _order(world, second))
    real = escalation._emergency_message

    def failing(check: Any, *args: Any) -> str:
        if check.public_id == broken.public_id:
            raise RuntimeError("boom")
        return real(check, *args)

    monkeypatch.setattr(escalation, "_emergency_message", failing)
    result = _sweep_at(pinned, 5)
    assert result.failed == 1
    assert result.failed_rows == [str(broken.public_id)]
    assert [a.person for a in Alert.objects.filter(kind=AlertKind.EMERGENCY)] == [second]
    assert AuditEvent.objects.filter(object_id=str(broken.public_id), outcome=Outcome.FAILED)
    monkeypatch.setattr(escalation, "_emergency_message", real)
    assert _sweep_at(pinned, 6).alerts == 1  # tried again on the next loop
