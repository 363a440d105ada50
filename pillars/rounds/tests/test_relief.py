"""The relief handoff and ending a 1:1 (issue 11 item 7): who may sign is settled before any
form, the board row links to the handoff, Cancel goes back to the board, ending a stretch names
a successor or a new level (never leaving the person with nobody), and a coverage-lapse alert
closes itself when coverage is restored or the order changes."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from pillars.audit.testing import events_since, last_seq
from pillars.core import clock
from pillars.core.errors import ValidationError
from pillars.people import services as people_services
from pillars.people.models import Alert, Staff
from pillars.people.testing import World, make_staff
from pillars.rounds.models import Coverage, ObservationOrder
from pillars.rounds.services.coverage import (
    end_coverage,
    start_coverage,
    sweep_coverage_lapses,
)
from pillars.rounds.services.orders import end_observation
from pillars.rounds.tests.floor import level, order_for

pytestmark = pytest.mark.django_db

PIN = "482913"


@pytest.fixture
def one_to_one(world: World) -> ObservationOrder:
    return order_for(world, code="one-to-one")


@pytest.fixture
def bht2(world: World) -> Staff:
    staff = make_staff("t-bht-two", ["bht"], [world.unit_a], badge="B900")
    people_services.set_pin(staff, actor=staff.user, pin=PIN)
    staff.refresh_from_db()
    return staff


@pytest.fixture
def with_bht(world: World, one_to_one: ObservationOrder) -> Coverage:
    return start_coverage(one_to_one, actor=world.user("nurse"), staff=world.staff["bht"])


def _url(name: str, public_id: Any) -> str:
    return reverse(name, kwargs={"public_id": public_id})


def _board(world: World) -> str:
    return _url("rounds:board", world.unit_a.public_id)


# --- Who may sign, first ----------------------------------------------------------------------


def test_someone_not_with_the_person_reads_who_signs_and_gets_no_form(
    world: World, with_bht: Coverage, bht2: Staff, signed_in: Any
) -> None:
    client = signed_in("nurse")
    url = _url("rounds:coverage-relieve", with_bht.public_id)
    page = client.get(url)
    body = page.content.decode()
    assert page.status_code == 200
    assert "Only T Bht, who has been with Alex Rivera since" in body
    assert 'name="pin"' not in body
    assert 'name="incoming_staff"' not in body
    assert _url("rounds:coverage-end", with_bht.public_id) in body
    assert f'href="{_board(world)}"' in body
    # A post anyway is refused by the policy before the PIN is read: nothing changes.
    seq = last_seq()
    refused = client.post(url, {"incoming_staff": str(bht2.public_id), "pin": "000000"})
    assert refused.status_code == 403
    with_bht.refresh_from_db()
    assert with_bht.ended_at is None
    assert not events_since(seq, detail__event="relief_pin_failed")


def test_the_staff_member_with_the_person_gets_the_form_and_cancel_goes_to_the_board(
    world: World, with_bht: Coverage, bht2: Staff, signed_in: Any
) -> None:
    client = signed_in("bht")
    url = _url("rounds:coverage-relieve", with_bht.public_id)
    body = client.get(url).content.decode()
    assert 'name="pin"' in body
    assert f'<a class="button secondary" href="{_board(world)}">Cancel</a>' in body
    assert 'href="/">Cancel' not in body
    wrong = client.post(url, {"incoming_staff": str(bht2.public_id), "pin": "111111"})
    assert "That PIN does not match T Bht Two" in wrong.content.decode()
    done = client.post(url, {"incoming_staff": str(bht2.public_id), "pin": PIN})
    assert done.status_code == 302
    assert done["Location"] == _board(world)
    assert Coverage.objects.get(ended_at__isnull=True).staff == bht2


def test_the_relief_api_refuses_anyone_but_the_staff_member_with_the_person(
    world: World, with_bht: Coverage, bht2: Staff
) -> None:
    from pillars.core.tests.api_support import api_as

    answer = api_as(world.user("nurse")).post(
        f"/coverage/{with_bht.public_id}/relieve",
        {"incoming_staff": str(bht2.public_id), "incoming_pin": PIN},
    )
    assert answer.status_code == 403
    assert Coverage.objects.filter(ended_at__isnull=True).get() == with_bht


def test_out_of_scope_and_wrong_role_are_refused(
    world: World, with_bht: Coverage, signed_in: Any
) -> None:
    url = _url("rounds:coverage-relieve", with_bht.public_id)
    assert signed_in("outsider").get(url).status_code == 404
    assert signed_in("clinician").get(url).status_code == 403
    end_url = _url("rounds:coverage-end", with_bht.public_id)
    assert signed_in("outsider").post(end_url, {"reason": "x"}).status_code == 404
    assert signed_in("supervisor").post(end_url, {"reason": "x"}).status_code == 403
    with_bht.refresh_from_db()
    assert with_bht.ended_at is None


# --- The board row ----------------------------------------------------------------------------


def test_the_board_row_links_to_the_relief_handoff(
    world: World, with_bht: Coverage, signed_in: Any
) -> None:
    relieve = _url("rounds:coverage-relieve", with_bht.public_id)
    mine = signed_in("bht").get(_board(world)).content.decode()
    assert f'<a href="{relieve}"><span aria-hidden="true">⇄</span> Hand off to a colleague' in mine
    theirs = signed_in("nurse").get(_board(world)).content.decode()
    assert "Relief handoff from T Bht" in theirs
    # The clinician may see the board but not cover: no handoff link.
    assert relieve not in signed_in("clinician").get(_board(world)).content.decode()


def test_a_person_left_with_nobody_links_to_putting_someone_with_them(
    world: World, one_to_one: ObservationOrder, signed_in: Any
) -> None:
    body = signed_in("bht").get(_board(world)).content.decode()
    assert _url("rounds:coverage-start", one_to_one.public_id) in body
    assert "Put someone with them" in body


def test_the_board_extras_read_in_a_constant_number_of_queries(
    world: World, with_bht: Coverage, django_assert_max_num_queries: Any
) -> None:
    from django.test import RequestFactory

    from pillars.rounds import board_coverage

    request = RequestFactory().get("/")
    request.user = world.user("nurse")
    board_coverage.rows(request, world.unit_a, [world.person_a.pk])  # warm the actor cache
    with django_assert_max_num_queries(2):
        found = board_coverage.rows(request, world.unit_a, [world.person_a.pk, 999_999])
    assert [extra.label for extra in found[world.person_a.pk]] == ["Relief handoff from T Bht"]


# --- Ending a stretch -------------------------------------------------------------------------


def test_ending_needs_a_successor_or_a_new_level_and_stores_nothing_otherwise(
    world: World, with_bht: Coverage
) -> None:
    seq = last_seq()
    with pytest.raises(ValidationError) as info:
        end_coverage(with_bht, actor=world.user("nurse"), reason="Going on break")
    assert "Name who takes over from T Bht" in info.value.message_dict["successor"][0]
    assert "level" in info.value.message_dict
    with pytest.raises(ValidationError) as info:
        end_coverage(
            with_bht,
            actor=world.user("nurse"),
            reason="Break",
            successor=world.staff["nurse"],
            level=level("q15"),
        )
    assert "not both" in info.value.message_dict["level"][0]
    # A BHT may not change the level: the refusal names the field.
    with pytest.raises(ValidationError) as info:
        end_coverage(with_bht, actor=world.user("bht"), reason="Calmer", level=level("q15"))
    assert "Only a nurse or clinician" in info.value.message_dict["level"][0]
    # A level needing as many staff is no way out of 1:1.
    with pytest.raises(ValidationError) as info:
        end_coverage(with_bht, actor=world.user("nurse"), reason="x", level=level("two-to-one"))
    assert "fewer staff" in info.value.message_dict["level"][0]
    with pytest.raises(ValidationError) as info:
        end_coverage(
            with_bht, actor=world.user("nurse"), reason="x", successor=world.staff["clinician"]
        )
    assert "successor" in info.value.message_dict
    with_bht.refresh_from_db()
    assert with_bht.ended_at is None
    assert Coverage.objects.count() == 1
    assert ObservationOrder.objects.filter(ended_at__isnull=True).count() == 1
    assert events_since(seq) == []


def test_ending_with_a_successor_leaves_no_gap_and_is_audited(
    world: World, with_bht: Coverage
) -> None:
    later = clock.now() + timedelta(minutes=40)
    with time_machine.travel(later, tick=False):
        seq = last_seq()
        ended = end_coverage(
            with_bht,
            actor=world.user("nurse"),
            reason="Called away",
            successor=world.staff["nurse"],
        )
    taken = Coverage.objects.get(ended_at__isnull=True)
    assert ended.ended_at == later == taken.started_at
    assert taken.staff == world.staff["nurse"]
    assert taken.started_by == world.staff["nurse"]
    [end_event] = events_since(seq, object_id=str(with_bht.public_id))
    assert end_event.detail["successor"] == str(world.staff["nurse"].public_id)
    assert end_event.detail["reason"] == "Called away"
    [start_event] = events_since(seq, object_id=str(taken.public_id))
    assert start_event.detail["event"] == "successor"


def test_ending_with_a_lower_level_changes_the_order_in_the_same_write(
    world: World, with_bht: Coverage
) -> None:
    seq = last_seq()
    end_coverage(with_bht, actor=world.user("nurse"), reason="Calm all evening", level=level("q15"))
    with_bht.refresh_from_db()
    assert with_bht.ended_at is not None
    old = ObservationOrder.objects.get(pk=with_bht.order_id)
    new = ObservationOrder.objects.get(ended_at__isnull=True)
    assert old.ended_at is not None
    assert new.level.code == "q15"
    assert new.replaces == old
    assert new.reason == "Calm all evening"
    assert not Coverage.objects.filter(ended_at__isnull=True).exists()
    assert events_since(seq, object_id=str(new.public_id))


def test_a_two_to_one_stepped_down_keeps_the_other_staff_member(world: World) -> None:
    order = order_for(world, code="two-to-one")
    first = start_coverage(order, actor=world.user("nurse"), staff=world.staff["bht"])
    second = start_coverage(order, actor=world.user("nurse"), staff=world.staff["nurse"])
    end_coverage(first, actor=world.user("nurse"), reason="Settled", level=level("one-to-one"))
    [carried] = Coverage.objects.filter(ended_at__isnull=True)
    second.refresh_from_db()
    assert carried.staff == world.staff["nurse"]
    assert carried.order.level.code == "one-to-one"
    assert second.ended_at == carried.started_at
    assert second.end_reason.startswith("Order changed to")


def test_end_page_names_the_fields_and_cancel_goes_to_the_board(
    world: World, with_bht: Coverage, signed_in: Any
) -> None:
    client = signed_in("bht")
    url = _url("rounds:coverage-end", with_bht.public_id)
    body = client.get(url).content.decode()
    assert 'name="successor"' in body
    assert 'name="level"' not in body  # a BHT does not change levels
    assert f'<a class="button secondary" href="{_board(world)}">Cancel</a>' in body
    refused = client.post(url, {"reason": "Break"}).content.decode()
    assert "Name who takes over from T Bht" in refused
    nurse_page = signed_in("nurse").get(url).content.decode()
    assert 'name="level"' in nurse_page
    done = signed_in("nurse").post(url, {"reason": "Calmer", "level": str(level("q15").public_id)})
    assert done.status_code == 302
    assert done["Location"] == _board(world)
    assert ObservationOrder.objects.get(ended_at__isnull=True).level.code == "q15"


# --- Lapse alerts close themselves -----------------------------------------------------------


def test_a_lapse_alert_closes_when_someone_is_put_with_the_person(
    world: World, one_to_one: ObservationOrder, signed_in: Any
) -> None:
    [alert] = sweep_coverage_lapses(clock.now())
    later = clock.now() + timedelta(minutes=3)
    with time_machine.travel(later, tick=False):
        seq = last_seq()
        row = start_coverage(one_to_one, actor=world.user("nurse"), staff=world.staff["bht"])
    alert.refresh_from_db()
    assert alert.resolved_at == later
    assert alert.resolved_reason == "T Bht is with them now."
    assert events_since(seq, object_id=str(row.public_id))[0].detail["alerts_resolved"] == 1
    inbox = signed_in("nurse").get(reverse("alerts:inbox")).content.decode()
    assert "Closed by itself" in inbox
    assert "T Bht is with them now." in inbox


def test_a_lapse_alert_closes_when_the_order_changes_or_ends(world: World) -> None:
    first = order_for(world, code="one-to-one")
    [alert] = sweep_coverage_lapses(clock.now())
    later = clock.now() + timedelta(minutes=5)
    with time_machine.travel(later, tick=False):
        second = order_for(world, code="q15", started_at=later)
    alert.refresh_from_db()
    assert alert.resolved_at == later
    assert "changed to" in alert.resolved_reason
    assert alert.subject_id == first.public_id
    # Stopping observation outright closes the alerts and ends the stretches too.
    with time_machine.travel(later + timedelta(minutes=1), tick=False):
        third = order_for(world, code="one-to-one", started_at=later)
        row = start_coverage(third, actor=world.user("nurse"), staff=world.staff["bht"])
        end_observation(third, actor=world.user("nurse"), reason="Discharge planned")
    row.refresh_from_db()
    assert row.ended_at is not None
    assert row.end_reason == "Observation ended"
    assert second.pk != third.pk
    assert not Alert.objects.filter(resolved_at__isnull=True).exists()


def test_only_the_policy_decides_who_signs(world: World, with_bht: Coverage) -> None:
    from pillars.core import policy

    assert policy.can(world.user("bht"), "rounds.relieve", with_bht)
    assert not policy.can(world.user("nurse"), "rounds.relieve", with_bht)
    assert not policy.can(world.user("outsider"), "rounds.relieve", with_bht)
    with pytest.raises(PermissionDenied):
        policy.require(world.user("nurse"), "rounds.relieve", with_bht)


def test_no_relief_on_an_order_that_has_changed(world: World, with_bht: Coverage) -> None:
    from pillars.rounds.services.coverage import relieve

    # A stretch left open on an order ended before changes carried stretches over.
    ObservationOrder.objects.filter(pk=with_bht.order_id).update(ended_at=clock.now())
    with_bht.refresh_from_db()
    with pytest.raises(ValidationError, match="changed or ended"):
        relieve(
            with_bht, actor=world.user("bht"), incoming_staff=world.staff["nurse"], incoming_pin="1"
        )
    ended = end_coverage(with_bht, actor=world.user("bht"), reason="Order changed")
    assert ended.ended_at is not None
