"""Environment-of-care owners judged on the unit's calendar, not UTC's: a worker whose last day
is tomorrow still works on the unit this evening in Chicago (UTC is already tomorrow)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine

from pillars.core.roles import RoleCode
from pillars.people.models import Staff
from pillars.people.testing import World
from pillars.rounds.choices import ItemResult
from pillars.rounds.models import InspectionTemplate, WorkOrder
from pillars.rounds.services import inspections as eoc
from pillars.rounds.services.inspections import Answer

pytestmark = pytest.mark.django_db

# 03:00 UTC on 9 December is 21:00 on 8 December in Chicago (the units' zone).
EVENING = datetime(2026, 12, 9, 3, 0, tzinfo=UTC)


def _answers(failing: bool) -> tuple[InspectionTemplate, dict[str, Answer]]:
    t = InspectionTemplate.objects.get(code="bedroom-ligature", is_current=True)
    answers = {
        str(item.public_id): Answer(ItemResult.PASS) for item in t.items.order_by("position")
    }
    if failing:
        first = t.items.order_by("position").first()
        assert first is not None
        answers[str(first.public_id)] = Answer(ItemResult.FAIL, note="Cord from a charger")
    return t, answers


def test_a_work_order_goes_to_a_nurse_whose_last_day_is_tomorrow(world: World) -> None:
    nurse = world.staff[RoleCode.NURSE]
    last_day = date(2026, 12, 9)
    Staff.objects.filter(pk=nurse.pk).update(exited_on=last_day, exit_reason="resigned_pay")
    nurse.refresh_from_db()
    t, answers = _answers(failing=True)
    with time_machine.travel(EVENING, tick=False):
        eoc.record_inspection(
            actor=world.user(RoleCode.BHT),
            unit=world.unit_a,
            template=t,
            room=world.beds_a[0].room,
            answers=answers,
            owner=nurse,
        )
        order = WorkOrder.objects.get()
        assert order.owner == nurse
        eoc.update_work_order(
            order,
            actor=world.user(RoleCode.NURSE),
            status="in_progress",
            note="Handing over",
            owner=nurse,
        )
    assert WorkOrder.objects.get().status == "in_progress"
