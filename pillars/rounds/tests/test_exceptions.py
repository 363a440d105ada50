"""Monitoring exceptions pause and resume an order's clock: permission, validation, audit, the
clock while paused and after resume (also across midnight), pages and API."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.http import Http404

from pillars.audit.testing import events_since, last_seq
from pillars.core import clock
from pillars.core.errors import ValidationError
from pillars.people.testing import World
from pillars.rounds import services
from pillars.rounds.choices import CheckStatus
from pillars.rounds.models import MonitoringException, ObservationOrder
from pillars.rounds.services.exceptions import end_exception, start_exception
from pillars.rounds.tests.floor import local, order_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(world: World) -> ObservationOrder:
    return order_for(world)


def off_unit(order: ObservationOrder, user: Any, **overrides: Any) -> MonitoringException:
    values: dict[str, Any] = {
        "kind": "off_unit",
        "reason": "Dental appointment",
        "with_whom": "Sam (BHT) and transport",
        "where": "Main campus dental clinic",
    }
    values.update(overrides)
    return start_exception(order, actor=user, **values)


def check_now(order: ObservationOrder, user: Any) -> None:
    services.record_check(
        order,
        actor=user,
        observed_at=clock.now(),
        location="dayroom",
        activity="sitting",
        safety_status="safe",
        client_id=uuid.uuid4(),
    )


# --- Services -------------------------------------------------------------------------------


def test_starting_pauses_the_clock_and_is_audited(world: World, order: ObservationOrder) -> None:
    seq = last_seq()
    exception = off_unit(order, world.user("bht"))
    order.refresh_from_db()
    assert order.paused_at == exception.started_at
    assert order.due_at is None
    assert order.status_at(clock.now()) == CheckStatus.PAUSED
    assert exception.started_by == world.staff["bht"]
    [event] = events_since(seq, object_id=str(exception.public_id))
    assert event.action == "create"
    assert event.person_id == world.person_a.public_id
    assert event.detail["kind"] == "off_unit"
    assert event.detail["where"] == "Main campus dental clinic"


def test_ending_resumes_with_a_check_due_at_once(world: World, order: ObservationOrder) -> None:
    exception = off_unit(order, world.user("bht"))
    back = clock.now() + timedelta(hours=2)
    with time_machine.travel(back, tick=False):
        seq = last_seq()
        ended = end_exception(exception, actor=world.user("nurse"), note="Back on the unit")
        order.refresh_from_db()
        assert ended.ended_at == back
        assert ended.ended_by == world.staff["nurse"]
        assert order.paused_at is None
        assert order.resumed_at == back
        assert order.due_at == back
        assert order.escalation_step == 0
        assert order.status_at(back) == CheckStatus.DUE
        assert order.status_at(back + timedelta(seconds=1)) == CheckStatus.LATE
        [event] = events_since(seq, object_id=str(exception.public_id))
        assert event.action == "update"
        assert event.detail["note"] == "Back on the unit"
        # A check after the resume puts the ordinary interval back in charge.
        check_now(order, world.user("bht"))
    order.refresh_from_db()
    assert order.due_at == back + timedelta(minutes=15)


def test_no_missed_status_while_paused(world: World, order: ObservationOrder) -> None:
    check_now(order, world.user("bht"))
    off_unit(order, world.user("bht"))
    order.refresh_from_db()
    start = clock.now()
    for minutes in (1, 15, 23, 60, 8 * 60):
        assert order.status_at(start + timedelta(minutes=minutes)) == CheckStatus.PAUSED


def test_a_pause_across_midnight_resumes_in_the_morning(world: World) -> None:
    evening = local(2027, 1, 12, 23, 30)
    with time_machine.travel(evening, tick=False):
        order = order_for(world, started_at=evening - timedelta(hours=1))
        check_now(order, world.user("bht"))
        exception = start_exception(
            order, actor=world.user("nurse"), kind="refused", reason="Asked not to be woken"
        )
    morning = local(2027, 1, 13, 0, 45)
    order.refresh_from_db()
    assert order.status_at(morning) == CheckStatus.PAUSED
    with time_machine.travel(morning, tick=False):
        end_exception(exception, actor=world.user("bht"))
    order.refresh_from_db()
    assert order.next_due_at() == morning
    assert order.status_at(morning) == CheckStatus.DUE
    assert order.status_at(morning + timedelta(minutes=8)) == CheckStatus.MISSED


def test_off_unit_needs_with_whom_and_where_and_stores_nothing(
    world: World, order: ObservationOrder
) -> None:
    seq = last_seq()
    with pytest.raises(ValidationError) as info:
        off_unit(order, world.user("bht"), with_whom=" ", where="")
    assert set(info.value.message_dict) == {"with_whom", "where"}
    with pytest.raises(ValidationError) as info:
        start_exception(order, actor=world.user("bht"), kind="nap", reason="")
    assert set(info.value.message_dict) == {"kind", "reason"}
    with pytest.raises(ValidationError) as info:
        off_unit(order, world.user("bht"), started_at=clock.now() + timedelta(hours=1))
    assert "started_at" in info.value.message_dict
    with pytest.raises(ValidationError) as info:
        off_unit(order, world.user("bht"), started_at=order.started_at - timedelta(minutes=1))
    assert "started_at" in info.value.message_dict
    assert not MonitoringException.objects.exists()
    order.refresh_from_db()
    assert order.paused_at is None
    assert order.due_at is not None
    assert events_since(seq, action="create") == []


def test_one_open_exception_per_order(world: World, order: ObservationOrder) -> None:
    off_unit(order, world.user("bht"))
    with pytest.raises(ValidationError, match="already paused"):
        start_exception(order, actor=world.user("bht"), kind="refused", reason="Refused")
    assert MonitoringException.objects.count() == 1


def test_ending_twice_is_refused(world: World, order: ObservationOrder) -> None:
    exception = off_unit(order, world.user("bht"))
    end_exception(exception, actor=world.user("bht"))
    with pytest.raises(ValidationError, match="already ended"):
        end_exception(exception, actor=world.user("bht"))


def test_a_pause_cannot_start_before_the_last_check(world: World, order: ObservationOrder) -> None:
    check_now(order, world.user("bht"))
    with pytest.raises(ValidationError) as info:
        off_unit(order, world.user("bht"), started_at=clock.now() - timedelta(minutes=1))
    assert "started_at" in info.value.message_dict


def test_an_ended_order_cannot_be_paused(world: World, order: ObservationOrder) -> None:
    services.end_observation(order, actor=world.user("nurse"), reason="Discharged")
    with pytest.raises(ValidationError, match="has ended"):
        off_unit(order, world.user("bht"))


def test_permissions(world: World, order: ObservationOrder) -> None:
    with pytest.raises(PermissionDenied):
        off_unit(order, world.user("peer"))
    with pytest.raises(Http404):
        off_unit(order, world.user("outsider"))
    exception = off_unit(order, world.user("clinician"))
    with pytest.raises(PermissionDenied):
        end_exception(exception, actor=world.user("supervisor"))
    with pytest.raises(Http404):
        end_exception(exception, actor=world.user("outsider"))
    assert MonitoringException.objects.get().ended_at is None


# --- Pages and API --------------------------------------------------------------------------


def test_pause_and_resume_pages(world: World, order: ObservationOrder, signed_in: Any) -> None:
    from django.urls import reverse

    client = signed_in("bht")
    url = reverse("rounds:exception-start", kwargs={"public_id": order.public_id})
    refused = client.post(url, {"kind": "off_unit", "reason": "Clinic"})
    assert refused.status_code == 200
    assert "Say who the person is with" in refused.content.decode()
    assert not MonitoringException.objects.exists()
    done = client.post(
        url, {"kind": "off_unit", "reason": "Clinic", "with_whom": "Sam", "where": "Clinic B"}
    )
    assert done.status_code == 302
    exception = MonitoringException.objects.get()
    end_url = reverse("rounds:exception-end", kwargs={"public_id": exception.public_id})
    assert client.post(end_url, {"note": "Back"}).status_code == 302
    order.refresh_from_db()
    assert order.paused_at is None
    assert order.resumed_at is not None


def test_pause_and_resume_api(world: World, order: ObservationOrder) -> None:
    from pillars.core.tests.api_support import api_as, assert_problem

    api = api_as(world.user("nurse"))
    bad = api.post(f"/orders/{order.public_id}/exceptions", {"kind": "off_unit", "reason": "X"})
    assert set(assert_problem(bad, 422)["errors"]) == {"with_whom", "where"}
    made = api.post(f"/orders/{order.public_id}/exceptions", {"kind": "refused", "reason": "No"})
    assert made.status_code == 201, made.content
    ended = api.post(f"/exceptions/{made.json()['public_id']}/end", {"note": "Agreed"})
    assert ended.status_code == 200
    assert ended.json()["ended_at"] is not None
    assert_problem(
        api_as(world.user("peer")).post(
            f"/orders/{order.public_id}/exceptions", {"kind": "refused", "reason": "No"}
        ),
        403,
    )
