"""Ordering levels and recording checks: permission, validation, replay, late entry, audit."""

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
from pillars.people.testing import World, make_staff
from pillars.rounds import services
from pillars.rounds.choices import CheckStatus
from pillars.rounds.models import Check, ObservationLevel, ObservationOrder

pytestmark = pytest.mark.django_db


def q(code: str = "q15") -> ObservationLevel:
    return ObservationLevel.objects.get(code=code, is_current=True)


@pytest.fixture
def order(world: World) -> ObservationOrder:
    return services.order_observation(
        world.person_a,
        actor=world.user("nurse"),
        level=q(),
        reason="Admission default",
        precautions=["suicide"],
    )


def check(order: ObservationOrder, user: Any, **overrides: Any) -> Check:
    values: dict[str, Any] = {
        "observed_at": clock.now(),
        "location": "bedroom",
        "activity": "asleep",
        "safety_status": "safe",
        "client_id": uuid.uuid4(),
    }
    values.update(overrides)
    return services.record_check(order, actor=user, **values)


def test_default_levels_are_loaded() -> None:
    codes = set(ObservationLevel.objects.filter(is_current=True).values_list("code", flat=True))
    assert {"q5", "q15", "q30", "q60", "line-of-sight", "one-to-one", "two-to-one"} <= codes
    assert q().missed_after == timedelta(minutes=22, seconds=30)
    assert q("one-to-one").staff_ratio == 1


def test_order_is_audited_and_starts_the_clock(world: World, order: ObservationOrder) -> None:
    assert order.due_at == order.started_at
    event = AuditEvent.objects.get(object_id=str(order.public_id))
    assert event.person_id == world.person_a.public_id
    assert event.detail["level"] == "q15 v1"
    assert event.detail["precautions"] == ["suicide"]


def test_changing_the_level_ends_the_previous_order_at_the_same_moment(
    world: World, order: ObservationOrder
) -> None:
    new = services.order_observation(
        world.person_a, actor=world.user("clinician"), level=q("q5"), reason="Said a plan"
    )
    order.refresh_from_db()
    assert order.ended_at == new.started_at
    assert new.replaces == order
    assert (
        ObservationOrder.objects.filter(person=world.person_a, ended_at__isnull=True).get() == new
    )


def test_who_may_order(world: World) -> None:
    with pytest.raises(PermissionDenied):
        services.order_observation(world.person_a, actor=world.user("bht"), level=q(), reason="x")
    with pytest.raises(Http404):
        services.order_observation(
            world.person_a, actor=world.user("outsider"), level=q(), reason="x"
        )
    with pytest.raises(ValidationError):
        services.order_observation(
            world.person_a,
            actor=world.user("nurse"),
            level=q(),
            reason="  ",
            precautions=["moonwalking"],
        )
    assert not ObservationOrder.objects.exists()


def test_a_check_moves_the_clock_and_is_audited(world: World, order: ObservationOrder) -> None:
    c = check(order, world.user("bht"))
    order.refresh_from_db()
    assert order.last_observed_at == c.observed_at
    assert order.due_at == c.observed_at + timedelta(minutes=15)
    assert order.status_at(clock.now()) == CheckStatus.UPCOMING
    assert c.recorded_at >= c.observed_at
    event = AuditEvent.objects.get(object_id=str(c.public_id))
    assert event.detail["safety_status"] == "safe"


def test_a_replay_is_harmless_and_a_different_body_conflicts(
    world: World, order: ObservationOrder
) -> None:
    key = uuid.uuid4()
    moment = clock.now()
    first = check(order, world.user("bht"), client_id=key, observed_at=moment)
    again = check(order, world.user("bht"), client_id=key, observed_at=moment)
    assert again.pk == first.pk
    assert Check.objects.count() == 1
    with pytest.raises(Conflict):
        check(order, world.user("bht"), client_id=key, observed_at=moment, activity="pacing")


def test_a_replay_that_comes_late_is_still_the_first_answer(
    world: World, order: ObservationOrder
) -> None:
    """A tablet that resends a check after the late-entry window gets the stored check back,
    not a demand for a late reason; the stored check is not changed or doubled."""
    key = uuid.uuid4()
    moment = clock.now()
    first = check(order, world.user("bht"), client_id=key, observed_at=moment)
    with time_machine.travel(moment + timedelta(hours=2), tick=False):
        again = check(order, world.user("bht"), client_id=key, observed_at=moment)
        with pytest.raises(Conflict):
            check(order, world.user("bht"), client_id=key, observed_at=moment, note="changed")
    assert again.pk == first.pk
    assert Check.objects.count() == 1


def test_a_client_id_of_another_order_conflicts_whether_or_not_the_check_passes(
    world: World, order: ObservationOrder
) -> None:
    both = make_staff("t-bht-ab", ["bht"], [world.unit_a, world.unit_b]).user
    nurse_b = make_staff("t-nurse-b", ["nurse"], [world.unit_b]).user
    other = services.order_observation(world.person_b, actor=nurse_b, level=q(), reason="Default")
    key = uuid.uuid4()
    moment = clock.now()
    check(order, both, client_id=key, observed_at=moment)
    with pytest.raises(Conflict):
        check(other, both, client_id=key, observed_at=moment)
    with time_machine.travel(moment + timedelta(hours=2), tick=False), pytest.raises(Conflict):
        check(other, both, client_id=key, observed_at=moment)
    assert Check.objects.count() == 1


def test_a_late_entry_needs_a_reason_and_is_flagged(world: World, order: ObservationOrder) -> None:
    with time_machine.travel(clock.now() + timedelta(minutes=30), tick=False):
        earlier = clock.now() - timedelta(minutes=20)
        with pytest.raises(ValidationError) as info:
            check(order, world.user("bht"), observed_at=earlier)
        assert "late_reason" in info.value.message_dict
        assert not Check.objects.exists()
        c = check(
            order,
            world.user("bht"),
            observed_at=earlier,
            late_reason="Code on the unit; documented after",
        )
    assert c.is_late_entry
    assert c.entry_delay == timedelta(minutes=20)


def test_an_older_late_entry_never_moves_the_clock_back(
    world: World, order: ObservationOrder
) -> None:
    now = clock.now()
    with time_machine.travel(now + timedelta(minutes=30), tick=False):
        recent = check(order, world.user("bht"), observed_at=clock.now())
        check(
            order,
            world.user("bht"),
            observed_at=now + timedelta(minutes=5),
            late_reason="Paper record entered after the incident",
        )
    order.refresh_from_db()
    assert order.last_observed_at == recent.observed_at


def test_bad_check_input_stores_nothing(world: World, order: ObservationOrder) -> None:
    with pytest.raises(ValidationError) as info:
        check(
            order,
            world.user("bht"),
            location="roof",
            activity="",
            safety_status="fine",
            observed_at=clock.now() + timedelta(hours=1),
        )
    assert set(info.value.message_dict) == {"location", "activity", "safety_status", "observed_at"}
    assert not Check.objects.exists()


def test_who_may_record_a_check(world: World, order: ObservationOrder) -> None:
    with pytest.raises(PermissionDenied):
        check(order, world.user("peer"))
    with pytest.raises(Http404):
        check(order, world.user("outsider"))
    assert check(order, world.user("nurse")).order == order


def test_changing_a_level_makes_a_version_and_keeps_existing_orders(
    world: World, order: ObservationOrder
) -> None:
    from decimal import Decimal

    new = services.change_level(q(), actor=world.user("admin"), grace_factor=Decimal("2.00"))
    assert (new.code, new.version, new.is_current) == ("q15", 2, True)
    order.refresh_from_db()
    assert order.level.version == 1
    assert order.level.missed_after == timedelta(minutes=22, seconds=30)
    assert new.missed_after == timedelta(minutes=30)
    assert not ObservationLevel.objects.get(code="q15", version=1).is_current
    event = AuditEvent.objects.get(object_id=str(new.public_id))
    assert event.detail["changes"]["grace_factor"] == {"old": "1.50", "new": "2.00"}
    with pytest.raises(ValidationError):
        services.change_level(new, actor=world.user("admin"), interval_minutes=0)
    with pytest.raises(PermissionDenied):
        services.change_level(new, actor=world.user("nurse"), name="Fifteen")
    with pytest.raises(Conflict):
        services.change_level(order.level, actor=world.user("admin"))  # an old version
