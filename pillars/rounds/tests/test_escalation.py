"""The escalation chain: each step once, at its moment, dated when due; catching up; resets,
pauses and ends; a failing row; who is alerted; acknowledging; a unit's own chain."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.http import Http404
from django.test.utils import CaptureQueriesContext

from pillars.audit.choices import Outcome
from pillars.audit.models import AuditEvent
from pillars.core import clock, partitions, sweeps
from pillars.core.errors import ValidationError
from pillars.people.alerts import acknowledge
from pillars.people.choices import AlertKind
from pillars.people.models import Alert, Organization, PersonServed, Site, Staff
from pillars.people.testing import World, make_person, make_staff, make_unit, place
from pillars.rounds import services
from pillars.rounds.models import EscalationStep, ObservationLevel, ObservationOrder
from pillars.rounds.models import ShiftAssignment as Assignment
from pillars.rounds.services import escalation
from pillars.rounds.services.escalation import escalate_due, steps_for

pytestmark = pytest.mark.django_db

SECOND = timedelta(seconds=1)
MIN = timedelta(minutes=1)


def start_order(world: World, person: PersonServed | None = None) -> ObservationOrder:
    return services.order_observation(
        person or world.person_a,
        actor=world.user("nurse"),
        level=ObservationLevel.objects.get(code="q15", is_current=True),
        reason="Admission default",
    )


def assign(world: World, staff: Staff, kind: str, **covers: Any) -> Assignment:
    now = clock.now()
    return Assignment.objects.create(
        unit=world.unit_a,
        staff=staff,
        kind=kind,
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(hours=11),
        assigned_by=world.staff["nurse"],
        recorded_at=now,
        **covers,
    )


def alerts_of(order: ObservationOrder) -> list[tuple[str, str, Any]]:
    return [
        (a.recipient.user.username, a.kind, a.due_at)
        for a in Alert.objects.filter(subject_id=order.public_id)
        .select_related("recipient__user")
        .order_by("due_at", "recipient_id")
    ]


def escalation_events(order: ObservationOrder, outcome: str = Outcome.SUCCESS) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(
            object_id=str(order.public_id), actor_label=escalation.SYSTEM_LABEL, outcome=outcome
        ).order_by("seq")
    )


def test_the_default_chain_is_loaded() -> None:
    chain = [(s.position, s.after_minutes, s.recipient) for s in steps_for(None)]
    assert chain == [(1, 0, "assigned"), (2, 5, "lead"), (3, 15, "manager"), (4, 30, "director")]


def test_each_step_fires_once_at_its_moment_dated_when_due(world: World) -> None:
    order = start_order(world)
    assign(world, world.staff["bht"], "person", person=world.person_a)
    due = order.due_at
    assert due is not None

    assert escalate_due(due - SECOND).claimed == 0
    assert alerts_of(order) == []

    first = escalate_due(due)
    assert (first.claimed, first.alerts, first.failed) == (1, 1, 0)
    assert alerts_of(order) == [("t-bht", AlertKind.CHECK_DUE, due)]
    assert escalate_due(due).claimed == 0  # a second sweep at the same moment: nothing new

    assert escalate_due(due + 5 * MIN - SECOND).claimed == 0
    escalate_due(due + 5 * MIN)
    # No shift lead is assigned: the unit's nurses are alerted instead.
    assert alerts_of(order)[1:] == [("t-nurse", AlertKind.ESCALATION, due + 5 * MIN)]

    assert escalate_due(due + 15 * MIN - SECOND).claimed == 0
    escalate_due(due + 15 * MIN)
    escalate_due(due + 30 * MIN)
    assert escalate_due(due + 3 * 60 * MIN).claimed == 0  # the chain is done
    assert alerts_of(order)[2:] == [
        ("t-supervisor", AlertKind.ESCALATION, due + 15 * MIN),
        ("t-director", AlertKind.ESCALATION, due + 30 * MIN),
    ]
    order.refresh_from_db()
    assert order.escalation_step == 4
    events = escalation_events(order)
    assert [e.detail["changes"]["escalation_step"] for e in events] == [
        {"old": 0, "new": 1},
        {"old": 1, "new": 2},
        {"old": 2, "new": 3},
        {"old": 3, "new": 4},
    ]
    assert events[0].actor_id is None
    assert events[0].person_id == world.person_a.public_id
    assert events[1].detail["steps"][0]["due_at"] == (due + 5 * MIN).isoformat()


def test_a_worker_that_was_down_writes_each_missed_step_once_dated_when_due(
    world: World,
) -> None:
    order = start_order(world)
    due = order.due_at
    assert due is not None
    result = escalate_due(due + 2 * 60 * MIN)
    assert (result.claimed, result.alerts) == (1, 4)
    assert [(who, at) for who, _, at in alerts_of(order)] == [
        ("t-nurse", due),  # nobody assigned to the person: the lead stands in, then the nurses
        ("t-nurse", due + 5 * MIN),
        ("t-supervisor", due + 15 * MIN),
        ("t-director", due + 30 * MIN),
    ]
    assert all(
        a.created_at == due + 2 * 60 * MIN for a in Alert.objects.filter(subject_id=order.public_id)
    )
    (event,) = escalation_events(order)
    assert event.detail["changes"]["escalation_step"] == {"old": 0, "new": 4}
    assert len(event.detail["alerts"]) == 4
    assert escalate_due(due + 3 * 60 * MIN).claimed == 0


def test_a_check_resets_the_chain(world: World) -> None:
    order = start_order(world)
    due = order.due_at
    assert due is not None
    escalate_due(due + 5 * MIN)
    assert Alert.objects.filter(subject_id=order.public_id).count() == 2
    services.record_check(
        order,
        actor=world.user("bht"),
        observed_at=clock.now(),
        location="bedroom",
        activity="asleep",
        safety_status="safe",
        client_id=uuid.uuid4(),
    )
    order.refresh_from_db()
    assert order.escalation_step == 0
    assert order.due_at is not None
    assert order.due_at > due
    assert escalate_due(order.due_at - SECOND).claimed == 0
    escalate_due(order.due_at)
    assert Alert.objects.filter(subject_id=order.public_id, due_at=order.due_at).count() == 1
    assert Alert.objects.filter(subject_id=order.public_id).count() == 3


def test_paused_and_ended_orders_never_escalate(world: World) -> None:
    ended = start_order(world)
    services.end_observation(ended, actor=world.user("nurse"), reason="No longer needed")
    other = make_person("MRN-A2", "Nguyen")
    place(other, world.unit_a, world.beds_a[1], world.staff["nurse"])
    paused = start_order(world, other)
    # What a monitoring exception does to the clock (coverage area): paused, no due time.
    ObservationOrder.objects.filter(pk=paused.pk).update(paused_at=clock.now(), due_at=None)
    result = escalate_due(clock.now() + 6 * 60 * MIN)
    assert result.claimed == 0
    assert not Alert.objects.exists()


def test_a_discharged_person_without_a_unit_is_not_escalated(world: World) -> None:
    order = start_order(world)
    world.person_a.episodes.get().placements.update(ended_at=clock.now())
    assert escalate_due(clock.now() + 60 * MIN).claimed == 0
    order.refresh_from_db()
    assert order.escalation_step == 0


def test_a_failing_row_is_logged_counted_and_skipped_and_does_not_jam_the_loop(
    world: World, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    broken = start_order(world)
    other = make_person("MRN-A2", "Nguyen")
    place(other, world.unit_a, world.beds_a[1], world.staff["nurse"])
    healthy = start_order(world, other)
    real = escalation.recipients_for

    def flaky(recipient: str, order: ObservationOrder, unit: Any, now: Any) -> list[Staff]:
        if order.pk == broken.pk:
            raise RuntimeError("recipient lookup failed")
        return real(recipient, order, unit, now)

    monkeypatch.setattr(escalation, "recipients_for", flaky)
    moment = clock.now() + 10 * MIN
    result = escalate_due(moment)
    assert (result.claimed, result.failed) == (1, 1)
    assert "escalation of order" in caplog.text
    assert Alert.objects.filter(subject_id=healthy.public_id).count() == 2
    assert not Alert.objects.filter(subject_id=broken.public_id).exists()
    # The row is pushed back (retry in 1 minute), so the next loop does not spin on it...
    again = escalate_due(moment)
    assert (again.claimed, again.failed) == (0, 0)
    # ...the failure is on the record, and the steps are NOT dropped: the claim did not move...
    (failed,) = escalation_events(broken, Outcome.FAILED)
    assert failed.detail["retry_at"] == (moment + MIN).isoformat()
    assert "recipient lookup failed" in failed.detail["error"]
    broken.refresh_from_db()
    assert broken.escalation_step == 0
    # ...a second failure backs off further (2 minutes)...
    assert escalate_due(moment + MIN).failed == 1
    broken.refresh_from_db()
    assert broken.escalation_retry_at == moment + 3 * MIN
    # ...and once the lookup works again, every missed step is written, dated when it was due.
    monkeypatch.setattr(escalation, "recipients_for", real)
    assert escalate_due(moment + 2 * MIN).claimed == 0  # not yet: backing off
    assert escalate_due(moment + 3 * MIN).claimed == 1
    due = broken.due_at
    assert due is not None
    assert sorted(a.due_at for a in Alert.objects.filter(subject_id=broken.public_id)) == [
        due,
        due + 5 * MIN,
    ]
    broken.refresh_from_db()
    assert (broken.escalation_retry_at, broken.escalation_failures) == (None, 0)


def test_a_stale_claim_loses(world: World) -> None:
    order = start_order(world)
    assert order.due_at is not None
    escalate_due(order.due_at)
    # A second worker that read step 0 before the first one moved it claims nothing.
    assert escalation._claim(order.pk, order.due_at, 0, 1) is False
    assert escalation._claim(order.pk, order.due_at + SECOND, 1, 2) is False


def test_recipients_assigned_room_lead_and_program_director(world: World) -> None:
    order = start_order(world)
    now = clock.now()
    unit = world.unit_a
    room_tech = make_staff("t-room-tech", ["bht"], [unit])
    lead = make_staff("t-lead", ["nurse"], [unit])
    assign(world, room_tech, "room", room=world.beds_a[0].room)
    assign(world, lead, "lead")
    assert escalation.recipients_for("assigned", order, unit, now) == [room_tech]
    assert escalation.recipients_for("lead", order, unit, now) == [lead]
    # A director of a program that includes the unit, as well as the unit's own.
    program_director = make_staff("t-prog-director", ["director"], [])
    program_director.programs.add(world.program)
    world.program.units.add(unit)
    assert set(escalation.recipients_for("director", order, unit, now)) == {
        world.staff["director"],
        program_director,
    }


def test_staff_who_have_left_are_never_alerted(world: World) -> None:
    order = start_order(world)
    now = clock.now()
    unit = world.unit_a
    # Exit dates are in the unit's calendar (DESIGN.md rule 1).
    today = clock.local(now, unit.time_zone).date()
    gone_lead = make_staff("t-gone-lead", ["nurse"], [unit])
    assign(world, gone_lead, "lead")
    Staff.objects.filter(pk=gone_lead.pk).update(exited_on=today, exit_reason="other")
    # The assigned lead has left: the unit's (other) nurses are alerted instead.
    assert escalation.recipients_for("lead", order, unit, now) == [world.staff["nurse"]]
    Staff.objects.filter(pk=world.staff["director"].pk).update(exited_on=today, exit_reason="other")
    assert escalation.recipients_for("director", order, unit, now) == []
    world.staff["supervisor"].user.is_active = False
    world.staff["supervisor"].user.save()
    assert escalation.recipients_for("manager", order, unit, now) == []
    Staff.objects.filter(pk=world.staff["director"].pk).update(exited_on=date(2099, 1, 1))
    # Leaving later is not leaving yet; and with no director on the unit, every director.
    world.staff["director"].home_units.clear()
    assert escalation.recipients_for("director", order, unit, now) == [world.staff["director"]]


def test_the_every_director_fallback_stays_in_the_units_organization(world: World) -> None:
    order = start_order(world)
    now = clock.now()
    other = Organization.objects.create(name="Elsewhere Health")
    far_unit, _ = make_unit(Site.objects.create(organization=other, name="Far campus"), "q")
    elsewhere = make_staff("t-elsewhere-director", ["director"], [far_unit])
    # No director on the unit or its programs: every director of the unit's organization.
    world.staff["director"].home_units.clear()
    assert escalation.recipients_for("director", order, world.unit_a, now) == [
        world.staff["director"]
    ]
    # None in the organization at all: nobody (the sweep logs it), never another's director.
    world.staff["director"].roles.clear()
    assert escalation.recipients_for("director", order, world.unit_a, now) == []
    assert escalation.recipients_for("director", order, far_unit, now) == [elsewhere]


def test_the_recipient_acknowledges_and_it_is_audited(world: World) -> None:
    order = start_order(world)
    assert order.due_at is not None
    escalate_due(order.due_at + 5 * MIN)
    alert = Alert.objects.filter(recipient=world.staff["nurse"]).first()
    assert alert is not None
    done = acknowledge(alert, actor=world.user("nurse"))
    assert done.acknowledged_at is not None
    event = AuditEvent.objects.get(object_id=str(alert.public_id))
    assert event.actor_id == world.user("nurse").pk
    assert event.detail["event"] == "acknowledge"
    again = acknowledge(alert, actor=world.user("nurse"))
    assert again.acknowledged_at == done.acknowledged_at
    assert AuditEvent.objects.filter(object_id=str(alert.public_id)).count() == 1


@pytest.mark.parametrize("who", ["bht", "supervisor", "director", "outsider"])
def test_someone_else_cannot_acknowledge(world: World, who: str) -> None:
    order = start_order(world)
    assert order.due_at is not None
    escalate_due(order.due_at)
    alert = Alert.objects.get(recipient=world.staff["nurse"])
    with pytest.raises(Http404):
        acknowledge(alert, actor=world.user(who))
    alert.refresh_from_db()
    assert alert.acknowledged_at is None


def test_an_admin_gives_a_unit_its_own_chain_versioned(world: World) -> None:
    admin = world.user("admin")
    chain = [
        {"position": 1, "after_minutes": 0, "recipient": "assigned"},
        {"position": 2, "after_minutes": 2, "recipient": "lead"},
        {"position": 5, "after_minutes": 10, "recipient": "director"},
    ]
    escalation.replace_steps(world.unit_a, actor=admin, steps=chain)
    first = steps_for(world.unit_a)
    assert [(s.position, s.after_minutes) for s in first] == [(1, 0), (2, 2), (5, 10)]
    assert [s.after_minutes for s in steps_for(world.unit_b)] == [0, 5, 15, 30]
    escalation.replace_steps(world.unit_a, actor=admin, steps=chain[:2])
    assert len(steps_for(world.unit_a)) == 2
    # The old version is kept, inactive, never deleted.
    assert EscalationStep.objects.filter(unit=world.unit_a, is_active=False).count() == 3
    last = AuditEvent.objects.filter(object_id=str(world.unit_a.public_id)).order_by("seq").last()
    assert last is not None
    assert last.detail["changes"]["steps"]["new"] == [[1, 0, "assigned"], [2, 2, "lead"]]

    order = start_order(world)
    assert order.due_at is not None
    escalate_due(order.due_at + 2 * MIN)  # the unit's own +2 lead step
    assert Alert.objects.filter(subject_id=order.public_id).count() == 2

    escalation.use_default_steps(world.unit_a, actor=admin)
    assert steps_for(world.unit_a) == steps_for(None)


@pytest.mark.parametrize(
    ("steps", "field"),
    [
        ([], "steps"),
        (
            [
                {"position": 2, "after_minutes": 0, "recipient": "assigned"},
                {"position": 2, "after_minutes": 5, "recipient": "lead"},
            ],
            "position",
        ),
        (
            [
                {"position": 1, "after_minutes": 10, "recipient": "assigned"},
                {"position": 2, "after_minutes": 5, "recipient": "lead"},
            ],
            "after_minutes",
        ),
        ([{"position": 1, "after_minutes": 0, "recipient": "janitor"}], "recipient"),
        ([{"position": 0, "after_minutes": -1, "recipient": "lead"}], "after_minutes"),
    ],
)
def test_a_bad_chain_is_refused_and_nothing_is_stored(
    world: World, steps: list[dict[str, Any]], field: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        escalation.replace_steps(world.unit_a, actor=world.user("admin"), steps=steps)
    assert field in caught.value.message_dict
    assert not EscalationStep.objects.filter(unit=world.unit_a).exists()


def test_only_the_admin_keeps_chains(world: World) -> None:
    steps = [{"position": 1, "after_minutes": 0, "recipient": "lead"}]
    with pytest.raises(PermissionDenied):
        escalation.replace_steps(world.unit_a, actor=world.user("nurse"), steps=steps)
    assert not EscalationStep.objects.filter(unit=world.unit_a).exists()


def _sweep_queries(world: World, count: int, first: int) -> tuple[int, Any]:
    for n in range(first, first + count):
        person = make_person(f"MRN-Q{n}", f"Family{n}")
        place(person, world.unit_a, None, world.staff["nurse"])
        start_order(world, person)
    moment = clock.now() + 10 * MIN
    with CaptureQueriesContext(connection) as queries:
        result = escalate_due(moment)
    return len(queries), result


def test_a_pass_claims_and_writes_in_bulk_whatever_the_number_of_orders(world: World) -> None:
    """Recipients are resolved once per unit and pass, alerts and audit events written in
    bulk: three due orders and thirty cost the same queries."""
    # What a process asks once (whether the alert table is partitioned) is asked before the
    # counting: the test counts the same whether or not an earlier test asked it.
    partitions.skips_conflicts_by_trigger(connection, Alert._meta.db_table)
    few, result = _sweep_queries(world, 3, 1)
    assert (result.claimed, result.failed) == (3, 0)
    many, result = _sweep_queries(world, 30, 10)
    assert (result.claimed, result.failed) == (30, 0)
    assert many == few
    assert Alert.objects.filter(person__record_number="MRN-Q12").count() == 2
    assert AuditEvent.objects.filter(actor_label=escalation.SYSTEM_LABEL).count() == 33


def test_a_batch_claims_only_what_it_read(world: World) -> None:
    """The compare-and-set of a batch: an order another worker moved since the read is left to
    that worker; the rest of the batch is claimed."""
    stale = start_order(world)
    other = make_person("MRN-A2", "Nguyen")
    place(other, world.unit_a, world.beds_a[1], world.staff["nurse"])
    fresh = start_order(world, other)
    steps = escalation.Chains.load().default
    items = [escalation._Due(o.pk, o.due_at, 0, 1, world.unit_a.pk, steps) for o in (stale, fresh)]  # type: ignore[arg-type]
    ObservationOrder.objects.filter(pk=stale.pk).update(escalation_step=1)  # another worker
    with transaction.atomic():
        claimed = escalation._claim_many(items)
    assert [i.pk for i in claimed] == [fresh.pk]
    assert ObservationOrder.objects.get(pk=fresh.pk).escalation_step == 1


def test_a_backlog_past_the_budget_is_left_due_for_the_next_loop(
    world: World, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pass stops taking batches once its time budget is spent (core.sweeps), so the other
    sweeps of the loop still run; the orders left are still due and the next pass takes them."""
    monkeypatch.setattr(escalation, "BATCH", 2)
    for n in range(5):
        person = make_person(f"MRN-BL{n}", f"Backlog{n}")
        place(person, world.unit_a, None, world.staff["nurse"])
        start_order(world, person)
    settings.SWEEP_BUDGET_SECONDS = 1
    ticks = iter(range(0, 100, 2))  # every look at the clock is two seconds later
    monkeypatch.setattr(sweeps.time, "monotonic", lambda: next(ticks))
    moment = clock.now() + 10 * MIN
    first = escalate_due(moment)
    assert (first.claimed, first.deferred) == (2, 3)
    second = escalate_due(moment)
    assert (second.claimed, second.deferred) == (2, 1)
    third = escalate_due(moment)
    assert (third.claimed, third.deferred) == (1, 0)
    assert escalate_due(moment).claimed == 0
