"""A check that is not safe alerts the on-duty lead at once, in the same transaction as the
check (one check and the batch sync alike); a check that puts an order back on time closes the
order's "check due" alerts itself, keeping when and why (issue 11 items 1 and 6)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest

from pillars.core import clock
from pillars.people.models import PersonServed
from pillars.people.testing import World
from pillars.rounds import services
from pillars.rounds.choices import AlertKind
from pillars.rounds.models import Alert, ObservationLevel, ObservationOrder
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
    assert alert.order_id == order.pk
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
    open_before = list(Alert.objects.filter(order=order))
    assert open_before
    assert all(a.resolved_at is None for a in open_before)
    made = check(world, order, "safe", note="")
    for alert in Alert.objects.filter(order=order):
        assert alert.resolved_at == made.recorded_at
        assert "check" in alert.resolved_reason.lower()


def test_every_sweep_uses_one_on_duty_rule_in_the_units_local_date(world: World) -> None:
    """At 20:30 in Chicago the UTC date is already tomorrow. A nurse whose last day is
    tomorrow (local) still works today and is alerted by every sweep alike; one whose account
    is switched off is alerted by none (the three copies drifted on both)."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    import time_machine

    from pillars.rounds.services import coverage, escalation, inspections

    unit = world.unit_a
    evening = datetime(2026, 3, 10, 20, 30, tzinfo=ZoneInfo(unit.time_zone))
    local_tomorrow = evening.date() + timedelta(days=1)
    nurse = world.staff["nurse"]
    type(nurse).objects.filter(pk=nurse.pk).update(exited_on=local_tomorrow, exit_reason="other")
    with time_machine.travel(evening, tick=False):
        now = clock.now()
        assert now.date() == local_tomorrow  # the UTC date has moved on
        expected = [nurse]
        assert escalation.on_duty(unit, now) == expected
        assert coverage._recipients(unit, now) == expected
        assert inspections.alert_recipients(unit, now) == expected
        nurse.user.is_active = False
        nurse.user.save()
        assert escalation.on_duty(unit, now) == []
        assert coverage._recipients(unit, now) == []
        assert inspections.alert_recipients(unit, now) == []


def test_the_board_shows_the_check_until_a_lead_acknowledges_and_offers_the_report(
    world: World, signed_in: Any
) -> None:
    from django.urls import reverse

    from pillars.rounds.services.escalation import acknowledge

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
