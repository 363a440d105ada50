"""A check that is not safe alerts the on-duty lead at once, in the same transaction as the
check (one check and the batch sync alike); a check that puts an order back on time closes the
order's "check due" alerts itself, keeping when and why (issue 11 items 1 and 6)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest

from pillars.core import clock
from pillars.people.choices import AlertKind
from pillars.people.models import Alert, PersonServed
from pillars.people.testing import World
from pillars.rounds import services
from pillars.rounds.models import ObservationLevel, ObservationOrder
from pillars.rounds.models import ShiftAssignment as Assignment
from pillars.rounds.services.escalation import escalate_due
from pillars.rounds.services.sync import CheckItem, record_checks

pytestmark = pytest.mark.django_db


def start_order(world: World, person: PersonServed | None = None) -> ObservationOrder:
    return services.order_observation(
        person or world.person_a,
        actor=world.user("nurse"),
        level=ObservationLevel.objects.get(code="q15", is_current=True),
        reason="Admission default",
    )


def lead_on_shift(world: World) -> Assignment:
    now = clock.now()
    return Assignment.objects.create(
        unit=world.unit_a,
        staff=world.staff["supervisor"],
        kind="lead",
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(hours=11),
        assigned_by=world.staff["nurse"],
        recorded_at=now,
    )


def check(world: World, order: ObservationOrder, status: str, **extra: Any) -> Any:
    return services.record_check(
        order,
        actor=world.user("bht"),
        observed_at=clock.now(),
        location="bathroom",
        activity="other",
        safety_status=status,
        client_id=uuid.uuid4(),
        note=extra.get("note", "found with a ligature around the neck, removed"),
    )


@pytest.mark.parametrize("status", ["emergency", "concern"])
def test_a_check_that_is_not_safe_alerts_the_lead_at_once(world: World, status: str) -> None:
    order = start_order(world)
    lead = lead_on_shift(world)
    made = check(world, order, status)
    alerts = list(Alert.objects.filter(kind=AlertKind.CHECK_NOT_SAFE))
    assert [a.recipient_id for a in alerts] == [lead.staff_id]
    alert = alerts[0]
    assert (alert.subject_kind, alert.subject_id) == ("rounds.check", made.public_id)
    assert alert.person_id == order.person_id
    assert alert.unit_id == world.unit_a.pk
    assert alert.due_at == made.observed_at
    assert "ligature" in alert.message
    assert alert.acknowledged_at is None


def test_without_a_lead_the_units_nurses_are_alerted(world: World) -> None:
    order = start_order(world)
    check(world, order, "emergency")
    recipients = set(
        Alert.objects.filter(kind=AlertKind.CHECK_NOT_SAFE).values_list("recipient_id", flat=True)
    )
    assert world.staff["nurse"].pk in recipients


def test_a_safe_check_alerts_nobody(world: World) -> None:
    order = start_order(world)
    lead_on_shift(world)
    check(world, order, "safe")
    assert not Alert.objects.filter(kind=AlertKind.CHECK_NOT_SAFE).exists()


def test_the_batch_sync_alerts_too(world: World) -> None:
    order = start_order(world)
    lead = lead_on_shift(world)
    results = record_checks(
        [
            CheckItem(
                order=order.public_id,
                client_id=uuid.uuid4(),
                observed_at=clock.now(),
                location="bedroom",
                activity="other",
                safety_status="emergency",
                note="not breathing normally",
            )
        ],
        actor=world.user("bht"),
    )
    assert results[0].status == "created"
    alerts = list(Alert.objects.filter(kind=AlertKind.CHECK_NOT_SAFE))
    assert [a.recipient_id for a in alerts] == [lead.staff_id]


def test_a_check_closes_the_orders_due_alerts_with_time_and_reason(world: World) -> None:
    order = start_order(world)
    due = order.due_at
    assert due is not None
    escalate_due(due + 5 * timedelta(minutes=1))
    open_before = list(Alert.objects.filter(subject_id=order.public_id))
    assert open_before
    assert all(a.resolved_at is None for a in open_before)
    made = check(world, order, "safe", note="")
    for alert in Alert.objects.filter(subject_id=order.public_id):
        assert alert.resolved_at == made.recorded_at
        assert "check" in alert.resolved_reason.lower()


def test_ending_a_monitoring_exception_closes_the_alerts_of_the_step_reached(
    world: World,
) -> None:
    """The exception moves the chain back to step 0 with a check due now: the alerts raised
    before it close at once (a check at step 0 closes nothing, so none may be left open)."""
    from pillars.rounds.services.exceptions import (
        EXCEPTION_ENDED,
        end_exception,
        start_exception,
    )

    order = start_order(world)
    assert order.due_at is not None
    escalate_due(order.due_at + 5 * timedelta(minutes=1))
    assert Alert.objects.filter(subject_id=order.public_id, resolved_at__isnull=True).exists()
    exception = start_exception(
        order,
        actor=world.user("nurse"),
        kind="off_unit",
        reason="Dental appointment",
        with_whom="Sam (BHT)",
        where="Dental clinic",
    )
    ended = end_exception(exception, actor=world.user("nurse"))
    order.refresh_from_db()
    assert order.escalation_step == 0
    alerts = list(Alert.objects.filter(subject_id=order.public_id))
    assert alerts
    for alert in alerts:
        assert alert.resolved_at == ended.ended_at
        assert alert.resolved_reason == EXCEPTION_ENDED


def test_a_check_on_an_order_that_never_escalated_writes_no_alert_update(world: World) -> None:
    """At step 0 no "check due" alert is open, so a check does not look for one to close."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    order = start_order(world)
    check(world, order, "safe", note="")
    with CaptureQueriesContext(connection) as queries:
        check(world, order, "safe", note="")
    assert not [q for q in queries.captured_queries if "people_alert" in q["sql"]]
    order.refresh_from_db()
    assert order.check_count == 2


def test_the_three_former_copies_of_the_on_duty_rule_alert_the_same_staff(world: World) -> None:
    """The unsafe-check alert, the 1:1 lapse sweep and the ligature sweep each worked out
    "the shift lead now, else the unit's nurses" on their own (two with the UTC date): now
    each writes to the same staff. At 20:30 in Chicago the UTC date is already tomorrow: a
    nurse whose last day is tomorrow (local) still works today, one hired tomorrow (local)
    does not yet, and no lead is assigned, so the employed nurse alone hears every alert."""
    from datetime import datetime, time
    from zoneinfo import ZoneInfo

    import time_machine

    from pillars.people import alerts
    from pillars.people.testing import make_staff
    from pillars.rounds.choices import ItemResult
    from pillars.rounds.models import WorkOrder
    from pillars.rounds.services import coverage, inspections
    from pillars.rounds.tests.floor import another_person, order_for
    from pillars.rounds.tests.test_inspections import Answer, all_pass, inspect, template

    unit = world.unit_a
    # Tomorrow evening, after the world was built (its placements start now).
    tomorrow = clock.today_in(unit.time_zone) + timedelta(days=1)
    evening = datetime.combine(tomorrow, time(20, 30), tzinfo=ZoneInfo(unit.time_zone))
    local_tomorrow = evening.date() + timedelta(days=1)
    nurse = world.staff["nurse"]
    with time_machine.travel(evening, tick=False):
        now = clock.now()
        assert now.date() == local_tomorrow  # the UTC date has moved on
        assert clock.today_in(unit.time_zone) < local_tomorrow
        # A ligature risk: person A on suicide precautions in a room with an open finding.
        inspect(world, answers=all_pass(template(), p3=Answer(ItemResult.FAIL, note="Rod")))
        assert WorkOrder.objects.count() == 1
        order = services.order_observation(
            world.person_a,
            actor=world.user("nurse"),
            level=ObservationLevel.objects.get(code="q15", is_current=True),
            reason="Risk assessment",
            precautions=["suicide"],
        )
        # A 1:1 with nobody on it.
        order_for(world, another_person(world, "MRN-LAPSE"), code="one-to-one")
        # The nurse's last day is tomorrow; another nurse starts tomorrow (unit-local dates).
        type(nurse).objects.filter(pk=nurse.pk).update(
            exited_on=local_tomorrow, exit_reason="other"
        )
        starting = make_staff("t-nurse-new", ["nurse"], [unit])
        type(starting).objects.filter(pk=starting.pk).update(hired_on=local_tomorrow)
        check(world, order, "emergency")
        unsafe = [a.recipient for a in Alert.objects.filter(kind=AlertKind.CHECK_NOT_SAFE)]
        lapse = [a.recipient for a in coverage.sweep_coverage_lapses(now)]
        ligature = [a.recipient for a in inspections.sweep_ligature_alerts(now)]
        assert unsafe == lapse == ligature == alerts.on_duty(unit, now) == [nurse]


def test_the_board_shows_the_check_until_a_lead_acknowledges_and_offers_the_report(
    world: World, signed_in: Any
) -> None:
    from django.urls import reverse

    from pillars.people.alerts import acknowledge

    order = start_order(world)
    lead_on_shift(world)
    made = check(world, order, "emergency")
    board = reverse("rounds:board", kwargs={"public_id": world.unit_a.public_id})
    body = signed_in("bht").get(board).content.decode()
    assert "Not yet acknowledged by a lead. Emergency check for" in body
    assert "ligature around the neck" in body
    report = f"/incidents/reports/new/?unit={world.unit_a.public_id}&amp;check={made.public_id}"
    assert report in body
    assert "Report an incident from this check" in body
    # The report form starts from the check: person, time, place and note.
    response = signed_in("bht").get(report.replace("&amp;", "&"))
    form = response.content.decode()
    assert "found with a ligature around the neck, removed" in form
    assert clock.local(made.observed_at, world.unit_a.time_zone).strftime("%H:%M") in form
    assert response.context["form"].initial["persons"] == [order.person]
    assert response.context["form"].initial["location"] == "Bathroom"
    # A lead acknowledges: the flag and the link leave the board.
    alert = Alert.objects.get(kind=AlertKind.CHECK_NOT_SAFE)
    acknowledge(alert, actor=alert.recipient.user)
    body = signed_in("bht").get(board).content.decode()
    assert "Not yet acknowledged by a lead" not in body
    assert "Report an incident from this check" not in body
