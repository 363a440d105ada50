"""A surveyor's edges of the rounds rules (DESIGN.md "Facts and defaults"): what a late or
back-dated entry may not hide."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine

from pillars.core import clock
from pillars.core.errors import ValidationError
from pillars.people.testing import World
from pillars.rounds.choices import CheckStatus
from pillars.rounds.models import MonitoringException, ObservationOrder
from pillars.rounds.services import handoffs as handoff_services
from pillars.rounds.tests.floor import order_for
from pillars.rounds.tests.test_exceptions import check_now, off_unit
from pillars.rounds.tests.test_handoffs import END, START, _check, _order

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _end_of_shift() -> Any:
    """The handoff tests' day (test_handoffs.START, a 07:00 shift in the units' zone)."""
    with time_machine.travel(END - timedelta(minutes=10), tick=False):
        yield


def test_a_pause_entered_after_a_missed_check_cannot_be_dated_before_the_miss(
    world: World,
) -> None:
    """q15: checked at t, missed after t + 22.5 min. At t + 40 min a pause back-dated to t + 5
    min would turn the missed check into paused time (board and handoff alike): refused."""
    order: ObservationOrder = order_for(world)
    check_now(order, world.user("bht"))
    checked = clock.now()
    with time_machine.travel(checked + timedelta(minutes=40), tick=False):
        with pytest.raises(ValidationError) as info:
            off_unit(order, world.user("bht"), started_at=checked + timedelta(minutes=5))
        assert "started_at" in info.value.message_dict
        order.refresh_from_db()
        assert order.paused_at is None
        # Dated at (or after) the miss, the pause leaves the missed check in the record.
        exception = off_unit(order, world.user("bht"), started_at=order.missed_at())
        assert exception.started_at == order.missed_at()


def test_a_back_dated_pause_before_anything_was_missed_is_kept(world: World) -> None:
    order: ObservationOrder = order_for(world)
    check_now(order, world.user("bht"))
    checked = clock.now()
    with time_machine.travel(checked + timedelta(minutes=20), tick=False):
        exception = off_unit(order, world.user("bht"), started_at=checked + timedelta(minutes=5))
    assert exception.started_at == checked + timedelta(minutes=5)


# --- The handoff counts late and missed checks as the board does --------------------------


def test_handoff_counts_the_first_check_of_a_new_order_as_the_board_does(world: World) -> None:
    """The first check is due when the order starts (ObservationOrder.next_due_at) and, at q15,
    missed 7.5 minutes later (board, escalation). A first check 12 minutes in is a missed check
    in the handoff too, not an on-time one."""
    order = _order(world, "q15", START + timedelta(hours=1))
    assert order.status_at(START + timedelta(minutes=72)) == CheckStatus.MISSED
    _check(order, world, 72)
    _check(order, world, 85)
    person = _compiled(world)
    assert [(g["from_at"], g["minutes"]) for g in person["missed_checks"]] == [
        ((START + timedelta(hours=1)).isoformat(), 12)
    ]


def test_handoff_counts_the_check_after_a_pause_as_the_board_does(world: World) -> None:
    """Ending a monitoring exception makes a check due at once (services.exceptions): at q15 it
    is missed 7.5 minutes after the person is back, in the handoff as on the board."""
    order = _order(world, "q15", START - timedelta(hours=1))
    for minutes in [0, 14]:
        _check(order, world, minutes)
    MonitoringException.objects.create(
        order=order,
        kind="off_unit",
        reason="X-ray",
        with_whom="Transport",
        where="Radiology",
        started_at=START + timedelta(minutes=20),
        started_by=world.staff["nurse"],
        recorded_at=START + timedelta(minutes=20),
        ended_at=START + timedelta(minutes=60),
    )
    for minutes in [72, 85]:
        _check(order, world, minutes)
    person = _compiled(world)
    assert [(g["from_at"], g["minutes"]) for g in person["missed_checks"]] == [
        ((START + timedelta(minutes=60)).isoformat(), 12)
    ]


def test_handoff_keeps_a_check_on_time_within_the_interval_after_a_check(world: World) -> None:
    order = _order(world, "q15", START - timedelta(hours=1))
    for minutes in [0, 15, 30, 45]:
        _check(order, world, minutes)
    person = _compiled(world, minutes=50)
    assert person["missed_checks"] == []
    assert person["late_checks"] == []


def _compiled(world: World, minutes: int = 90) -> dict[str, Any]:
    with time_machine.travel(START + timedelta(minutes=minutes), tick=False):
        handoff = handoff_services.compile_handoff(
            world.unit_a, actor=world.user("nurse"), start=START, end=END
        )
    [person] = handoff.snapshot["persons"]
    return person
