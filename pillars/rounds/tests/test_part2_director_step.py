"""The director step of an escalation about a Part 2 order (an observation order made in a
substance-use program) always reaches someone: the program's own director hears it as any
director does; when the program has none, the organization's directors get an alert that names
no person (the unit, that a check there is overdue or unsafe and the program's team has not
answered, and to call the unit), so the last step of a missed check is never silent and the
person's Part 2 record stays with the program's team (42 CFR Part 2, DESIGN.md rule 6). A sweep
pass reads each program's team once, however many of its orders fall due."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pillars.audit.models import AuditEvent
from pillars.core import clock, partitions
from pillars.core.roles import RoleCode
from pillars.people.alerts import acknowledge
from pillars.people.choices import AlertKind
from pillars.people.models import Alert, PersonServed, Staff, Unit
from pillars.people.testing import World, make_person, make_staff, make_unit, place
from pillars.rounds import services
from pillars.rounds.models import ObservationLevel, ObservationOrder
from pillars.rounds.services import escalation
from pillars.rounds.services.escalation import escalate_due, sweep_emergency_climb

pytestmark = pytest.mark.django_db

MIN = timedelta(minutes=1)
DIRECTOR_STEP = 4  # the default chain: assigned, lead +5, manager +15, director +30


def _program(world: World, *, with_director: bool = False) -> tuple[Unit, Staff, Staff | None]:
    """A substance-use program beside unit A, with its nurse (and its own director)."""
    sud, _ = make_unit(world.site, "sud", part2=True)
    nurse = make_staff("sud-nurse", [RoleCode.NURSE], [sud])
    director = make_staff("sud-director", [RoleCode.DIRECTOR], [sud]) if with_director else None
    return sud, nurse, director


def _order_in(sud: Unit, nurse: Staff, record: str, family: str) -> ObservationOrder:
    person = make_person(record, family)
    place(person, sud, None, nurse)
    order = services.order_observation(
        person,
        actor=nurse.user,
        level=ObservationLevel.objects.get(code="q15", is_current=True),
        reason="Withdrawal watch on admission",
    )
    order.refresh_from_db()
    assert order.is_part2
    return order


def _names_nobody(alert: Alert, person: PersonServed, order: ObservationOrder) -> None:
    """The alert carries nothing of the person: no name, initials, level, link or record."""
    text = alert.message
    for said in (
        person.display_name,
        person.legal_given_name,
        person.legal_family_name,
        person.initials,
        person.record_number,
        order.level.name,
        order.level.code,
    ):
        assert said not in text, f"{said!r} is in {text!r}"
    assert alert.person_id is None
    assert (alert.subject_kind, alert.subject_id) == ("", None)


def test_without_a_director_of_its_own_the_organizations_director_hears_it_named_by_unit(
    world: World,
) -> None:
    sud, nurse, _ = _program(world)
    order = _order_in(sud, nurse, "MRN-S1", "Delgado")
    assert order.due_at is not None
    escalate_due(order.due_at + 30 * MIN)

    (alert,) = Alert.objects.filter(recipient=world.staff["director"])
    _names_nobody(alert, order.person, order)
    assert alert.unit_id == sud.pk
    assert alert.kind == AlertKind.ESCALATION
    assert alert.step_position == DIRECTOR_STEP
    assert alert.due_at == order.due_at + 30 * MIN
    assert alert.dedupe_key == escalation.dedupe_key(order, order.due_at, DIRECTOR_STEP)
    assert sud.name in alert.message
    assert "overdue" in alert.message
    assert "call the unit" in alert.message.lower()
    # The program's team still hears the steps that reached it, naming the person.
    named = Alert.objects.filter(subject_id=order.public_id)
    assert set(named.values_list("recipient", flat=True)) == {nurse.pk}
    # The audit event of the step lists the alert and names nobody either.
    (event,) = AuditEvent.objects.filter(
        object_id=str(order.public_id), actor_label=escalation.SYSTEM_LABEL
    )
    listed = json.dumps(event.detail)
    assert str(alert.public_id) in listed
    for said in (order.person.legal_family_name, order.person.initials):
        assert said not in listed

    # One alert per step and due time: a later pass writes nothing new.
    escalate_due(order.due_at + 45 * MIN)
    assert Alert.objects.filter(recipient=world.staff["director"]).count() == 1


def test_a_program_with_its_own_director_alerts_only_that_director_as_before(
    world: World,
) -> None:
    sud, nurse, director = _program(world, with_director=True)
    order = _order_in(sud, nurse, "MRN-S2", "Delgado")
    assert order.due_at is not None
    escalate_due(order.due_at + 30 * MIN)

    assert director is not None
    (alert,) = Alert.objects.filter(step_position=DIRECTOR_STEP)
    assert alert.recipient_id == director.pk
    assert alert.person_id == order.person_id
    assert (alert.subject_kind, alert.subject_id) == (escalation.ORDER_SUBJECT, order.public_id)
    assert order.person.display_name in alert.message
    assert not Alert.objects.filter(recipient=world.staff["director"]).exists()


def test_a_check_closes_the_organization_directors_alert_with_the_others(world: World) -> None:
    sud, nurse, _ = _program(world)
    order = _order_in(sud, nurse, "MRN-S3", "Delgado")
    assert order.due_at is not None
    late = order.due_at + 30 * MIN
    escalate_due(late)
    with clock.replaying_at(late):
        services.record_check(
            order,
            actor=nurse.user,
            observed_at=late,
            location="bedroom",
            activity="asleep",
            safety_status="safe",
            client_id=uuid.uuid4(),
        )
    (alert,) = Alert.objects.filter(recipient=world.staff["director"])
    assert alert.resolved_at == late


def test_the_emergency_climbs_director_step_reaches_the_organizations_director_named_by_unit(
    world: World,
) -> None:
    sud, nurse, _ = _program(world)
    order = _order_in(sud, nurse, "MRN-S4", "Okafor")
    now = clock.now()
    check = services.record_check(
        order,
        actor=nurse.user,
        observed_at=now,
        location="bathroom",
        activity="resting",
        safety_status="emergency",
        note="Found with a bottle of vodka",
        client_id=uuid.uuid4(),
    )
    sweep_emergency_climb(now + 11 * MIN)

    (alert,) = Alert.objects.filter(recipient=world.staff["director"])
    _names_nobody(alert, order.person, order)
    assert "vodka" not in alert.message
    assert alert.kind == AlertKind.EMERGENCY
    assert alert.unit_id == sud.pk
    assert sud.name in alert.message
    assert "call the unit" in alert.message.lower()
    event = AuditEvent.objects.get(
        object_id=str(check.public_id), actor_label=escalation.EMERGENCY_LABEL
    )
    assert str(alert.public_id) in json.dumps(event.detail)
    assert "Okafor" not in json.dumps(event.detail)

    # The climb is finished: later passes neither take it up again nor write anything.
    assert escalation.emergencies_waiting(now + 12 * MIN) == []
    sweep_emergency_climb(now + 20 * MIN)
    assert Alert.objects.filter(recipient=world.staff["director"]).count() == 1

    # The program's lead acknowledging the emergency closes the director's alert too.
    lead_alert = Alert.objects.get(kind=AlertKind.CHECK_NOT_SAFE, subject_id=check.public_id)
    acknowledge(lead_alert, actor=nurse.user)
    alert.refresh_from_db()
    assert alert.resolved_at is not None


def test_the_emergency_climb_of_a_program_with_its_own_director_names_the_person_to_them(
    world: World,
) -> None:
    sud, nurse, director = _program(world, with_director=True)
    order = _order_in(sud, nurse, "MRN-S5", "Okafor")
    now = clock.now()
    check = services.record_check(
        order,
        actor=nurse.user,
        observed_at=now,
        location="bathroom",
        activity="resting",
        safety_status="emergency",
        note="Found with a bottle of vodka",
        client_id=uuid.uuid4(),
    )
    sweep_emergency_climb(now + 11 * MIN)
    (alert,) = Alert.objects.filter(kind=AlertKind.EMERGENCY, step_position=2)
    assert director is not None
    assert alert.recipient_id == director.pk
    assert (alert.subject_kind, alert.subject_id) == (escalation.CHECK_SUBJECT, check.public_id)
    assert alert.person_id == order.person_id
    assert not Alert.objects.filter(recipient=world.staff["director"]).exists()


def _pass_queries(sud: Unit, nurse: Staff, count: int, first: int) -> int:
    orders = [_order_in(sud, nurse, f"MRN-P{n}", f"Family{n}") for n in range(first, first + count)]
    moment = max(o.due_at for o in orders if o.due_at is not None) + 30 * MIN
    with CaptureQueriesContext(connection) as queries:
        result = escalate_due(moment)
    assert (result.claimed, result.failed) == (count, 0)
    return len(queries)


def test_a_pass_reads_each_programs_team_once_whatever_the_number_of_its_orders(
    world: World,
) -> None:
    # What a process asks once (whether the alert table is partitioned) is asked before the
    # counting, as in the escalation sweep's own budget test.
    partitions.skips_conflicts_by_trigger(connection, Alert._meta.db_table)
    sud, nurse, _ = _program(world)
    few = _pass_queries(sud, nurse, 2, 1)
    many = _pass_queries(sud, nurse, 6, 10)
    assert many == few
    # Every order's steps were written: the assigned and lead steps to the program's nurse (the
    # program has no supervisor), the director step to the organization's director.
    assert Alert.objects.filter(recipient=nurse).count() == 8 * 2
    assert Alert.objects.filter(recipient=world.staff["director"]).count() == 8
