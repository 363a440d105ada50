"""An emergency or concern recorded on a check alerts the lead on duty at once and stays on the
board until a lead acknowledges it; "check due" alerts close themselves when the check is made."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.urls import reverse

from pillars.core import clock
from pillars.people.testing import World
from pillars.rounds import services
from pillars.rounds.choices import AlertKind
from pillars.rounds.models import Alert, ObservationLevel, ObservationOrder
from pillars.rounds.selectors.escalation import unacknowledged_count
from pillars.rounds.services.escalation import acknowledge, escalate_due
from pillars.rounds.services.sync import CheckItem, record_checks
from pillars.rounds.tests.test_escalation import assign

pytestmark = pytest.mark.django_db

NOTE = "Found with a ligature around the neck, removed"


def start_order(world: World) -> ObservationOrder:
    return services.order_observation(
        world.person_a,
        actor=world.user("nurse"),
        level=ObservationLevel.objects.get(code="q15", is_current=True),
        reason="Admission default",
        started_at=clock.now() - timedelta(minutes=5),
    )


def check(world: World, order: ObservationOrder, status: str, **extra: Any) -> Any:
    return services.record_check(
        order,
        actor=world.user("bht"),
        observed_at=extra.pop("observed_at", clock.now()),
        location=extra.pop("location", "bathroom"),
        activity=extra.pop("activity", "other"),
        safety_status=status,
        client_id=extra.pop("client_id", uuid.uuid4()),
        note=extra.pop("note", NOTE),
    )


def board(world: World, client: Any) -> str:
    url = reverse("rounds:board", kwargs={"public_id": world.unit_a.public_id})
    return client.get(url).content.decode()


def test_an_emergency_alerts_the_shift_lead_at_once_and_stays_on_the_board(
    world: World, signed_in: Any
) -> None:
    order = start_order(world)
    # No shift lead assigned: the unit's nurses are alerted (the one on-duty rule).
    client_id = uuid.uuid4()
    emergency = check(world, order, "emergency", client_id=client_id)
    alerts = list(Alert.objects.filter(kind=AlertKind.EMERGENCY).select_related("recipient"))
    assert [a.recipient for a in alerts] == [world.staff["nurse"]]
    assert "EMERGENCY" in alerts[0].message
    assert NOTE in alerts[0].message
    assert alerts[0].due_at == emergency.observed_at
    assert unacknowledged_count(world.user("nurse")) == 1
    # A replay of the same check alerts nobody twice.
    check(world, order, "emergency", client_id=client_id, observed_at=emergency.observed_at)
    assert Alert.objects.filter(kind=AlertKind.EMERGENCY).count() == 1

    nurse = signed_in("nurse")
    page = board(world, nurse)
    assert "Emergency recorded, not yet acknowledged by a lead" in page
    report = f"?unit={world.unit_a.public_id}&amp;check={emergency.public_id}"
    assert report in page
    # The report form opens prefilled from the check.
    form = nurse.get(
        reverse("incidents:incident-new"),
        {"unit": str(world.unit_a.public_id), "check": str(emergency.public_id)},
    ).content.decode()
    assert NOTE in form
    assert "Bathroom" in form
    assert re.search(rf'value="{world.person_a.public_id}"[^>]*checked', form)

    # A later safe check does not clear it: only a lead acknowledging does.
    check(world, order, "safe", location="bedroom", activity="asleep", note="")
    assert "Emergency recorded" in board(world, nurse)
    acknowledge(alerts[0], actor=world.user("nurse"))
    assert "Emergency recorded" not in board(world, nurse)
    assert unacknowledged_count(world.user("nurse")) == 0


def test_the_lead_on_shift_is_alerted_and_one_acknowledgement_answers_for_all(
    world: World,
) -> None:
    order = start_order(world)
    lead, other = world.staff["nurse"], world.staff["clinician"]
    assign(world, lead, "lead")
    assign(world, other, "lead")
    check(world, order, "concern", note="Pacing, will not talk")
    alerts = list(Alert.objects.filter(kind=AlertKind.CONCERN).order_by("recipient_id"))
    assert {a.recipient_id for a in alerts} == {lead.pk, other.pk}
    acknowledge(alerts[0], actor=alerts[0].recipient.user)
    second = Alert.objects.get(pk=alerts[1].pk)
    assert second.acknowledged_at is None
    assert second.resolved_at is not None
    assert second.resolved_reason.startswith("Acknowledged by ")


def test_a_batch_sync_with_an_emergency_alerts_too(world: World) -> None:
    order = start_order(world)
    items = [
        CheckItem(
            order=order.public_id,
            client_id=uuid.uuid4(),
            observed_at=clock.now() - timedelta(seconds=30 - n),
            location="bedroom",
            activity="asleep",
            safety_status=status,
            note=NOTE if status == "emergency" else "",
        )
        for n, status in enumerate(["safe", "emergency", "safe"])
    ]
    results = record_checks(items, actor=world.user("bht"))
    assert [r.status for r in results] == ["created"] * 3
    assert Alert.objects.filter(kind=AlertKind.EMERGENCY).count() == 1


def test_a_safe_check_alerts_nobody(world: World) -> None:
    order = start_order(world)
    check(world, order, "safe", location="bedroom", activity="asleep", note="")
    assert not Alert.objects.exists()


def test_check_due_alerts_close_themselves_when_the_check_is_made(
    world: World, signed_in: Any
) -> None:
    order = start_order(world)
    assign(world, world.staff["bht"], "person", person=world.person_a)
    order.refresh_from_db()
    assert order.due_at is not None
    with time_machine.travel(order.due_at + timedelta(minutes=6), tick=False):
        escalate_due(clock.now())
        open_alerts = Alert.objects.filter(order=order, resolved_at__isnull=True)
        assert open_alerts.count() >= 2  # the technician at due, the lead at +5
        assert unacknowledged_count(world.user("bht")) == 1
        check(world, order, "safe", location="dayroom", activity="sitting", note="")
        assert unacknowledged_count(world.user("bht")) == 0
        assert unacknowledged_count(world.user("nurse")) == 0
        closed = list(Alert.objects.filter(order=order))
        assert all(a.resolved_at == clock.now() for a in closed)
        assert all(a.resolved_reason == "Answered: the check was recorded" for a in closed)
        assert all(a.acknowledged_at is None for a in closed)
        inbox = signed_in("bht").get(reverse("rounds:inbox")).content.decode()
        assert "Closed" in inbox
        assert "Answered: the check was recorded" in inbox
        assert "Acknowledge<" not in inbox
