"""1:1 and 2:1 coverage: starting, relief handoffs signed by both (PIN), ending, lapse alerts
(deduplicated), who is free for rounds; pages and API."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.http import Http404

from pillars.audit.models import AuditEvent
from pillars.audit.testing import events_since, last_seq
from pillars.core import clock
from pillars.core.errors import ValidationError
from pillars.people import services as people_services
from pillars.people.models import Alert, Staff
from pillars.people.testing import World, make_staff
from pillars.rounds.models import Coverage, ObservationOrder
from pillars.rounds.services.assignments import assign_shift
from pillars.rounds.services.coverage import (
    coverage_lapses,
    end_coverage,
    free_for_rounds,
    relieve,
    start_coverage,
    sweep_coverage_lapses,
)
from pillars.rounds.services.exceptions import start_exception
from pillars.rounds.tests.floor import another_person, order_for

pytestmark = pytest.mark.django_db

PIN = "482913"


@pytest.fixture
def one_to_one(world: World) -> ObservationOrder:
    return order_for(world, code="one-to-one")


@pytest.fixture
def bht2(world: World) -> Staff:
    """A second BHT on unit A, with a badge PIN, to take over a 1:1."""
    staff = make_staff("t-bht-two", ["bht"], [world.unit_a], badge="B900")
    people_services.set_pin(staff, actor=staff.user, pin=PIN)
    staff.refresh_from_db()
    return staff


def test_start_coverage_is_audited(world: World, one_to_one: ObservationOrder) -> None:
    seq = last_seq()
    row = start_coverage(one_to_one, actor=world.user("nurse"), staff=world.staff["bht"])
    assert row.staff == world.staff["bht"]
    assert row.started_by == world.staff["nurse"]
    assert row.ended_at is None
    [event] = events_since(seq, object_id=str(row.public_id))
    assert event.action == "create"
    assert event.person_id == world.person_a.public_id


def test_no_more_staff_than_the_ratio(world: World, one_to_one: ObservationOrder) -> None:
    start_coverage(one_to_one, actor=world.user("nurse"), staff=world.staff["bht"])
    with pytest.raises(ValidationError, match="already has 1 staff"):
        start_coverage(one_to_one, actor=world.user("nurse"), staff=world.staff["nurse"])
    assert Coverage.objects.count() == 1


def test_two_to_one_takes_two(world: World) -> None:
    order = order_for(world, code="two-to-one")
    start_coverage(order, actor=world.user("nurse"), staff=world.staff["bht"])
    start_coverage(order, actor=world.user("nurse"), staff=world.staff["nurse"])
    assert Coverage.objects.filter(order=order, ended_at__isnull=True).count() == 2


def test_only_for_continuous_levels(world: World) -> None:
    order = order_for(world, code="q15")
    with pytest.raises(ValidationError, match="not 1:1 or 2:1"):
        start_coverage(order, actor=world.user("nurse"), staff=world.staff["bht"])
    assert not Coverage.objects.exists()


def test_a_staff_member_covers_one_person_at_a_time(
    world: World, one_to_one: ObservationOrder
) -> None:
    start_coverage(one_to_one, actor=world.user("nurse"), staff=world.staff["bht"])
    other = order_for(world, another_person(world, "MRN-CV2"), code="one-to-one")
    with pytest.raises(ValidationError) as info:
        start_coverage(other, actor=world.user("nurse"), staff=world.staff["bht"])
    assert "already with" in str(info.value.message_dict["staff"])


def test_the_coverer_must_work_on_the_unit_and_may_cover(
    world: World, one_to_one: ObservationOrder
) -> None:
    for key in ("outsider", "peer", "clinician"):
        with pytest.raises(ValidationError) as info:
            start_coverage(one_to_one, actor=world.user("nurse"), staff=world.staff[key])
        assert "staff" in info.value.message_dict
    assert not Coverage.objects.exists()


def test_coverage_permissions(world: World, one_to_one: ObservationOrder) -> None:
    with pytest.raises(PermissionDenied):
        start_coverage(one_to_one, actor=world.user("clinician"), staff=world.staff["bht"])
    with pytest.raises(Http404):
        start_coverage(one_to_one, actor=world.user("outsider"), staff=world.staff["bht"])
    row = start_coverage(one_to_one, actor=world.user("bht"), staff=world.staff["bht"])
    with pytest.raises(PermissionDenied):
        end_coverage(row, actor=world.user("supervisor"), reason="x")
    with pytest.raises(Http404):
        end_coverage(row, actor=world.user("outsider"), reason="x")


# --- Relief handoff -------------------------------------------------------------------------


def test_relief_is_signed_by_both_with_no_gap(
    world: World, one_to_one: ObservationOrder, bht2: Staff
) -> None:
    outgoing = start_coverage(one_to_one, actor=world.user("bht"), staff=world.staff["bht"])
    later = clock.now() + timedelta(hours=1)
    with time_machine.travel(later, tick=False):
        seq = last_seq()
        incoming = relieve(outgoing, actor=world.user("bht"), incoming_staff=bht2, incoming_pin=PIN)
    outgoing.refresh_from_db()
    assert outgoing.ended_at == later
    assert incoming.started_at == later
    assert incoming.handed_from == outgoing
    assert incoming.outgoing_signed_at == later
    assert incoming.incoming_signed_at == later
    assert incoming.staff == bht2
    assert "Relieved by" in outgoing.end_reason
    [event] = events_since(seq, object_id=str(incoming.public_id))
    assert event.detail["event"] == "relief"
    assert event.detail["outgoing_staff"] == str(world.staff["bht"].public_id)
    assert coverage_lapses(later) == []


def test_a_wrong_pin_is_refused_recorded_and_changes_nothing(
    world: World, one_to_one: ObservationOrder, bht2: Staff
) -> None:
    outgoing = start_coverage(one_to_one, actor=world.user("bht"), staff=world.staff["bht"])
    seq = last_seq()
    with pytest.raises(ValidationError) as info:
        relieve(outgoing, actor=world.user("bht"), incoming_staff=bht2, incoming_pin="000000")
    assert "incoming_pin" in info.value.message_dict
    outgoing.refresh_from_db()
    assert outgoing.ended_at is None
    assert Coverage.objects.count() == 1
    [event] = events_since(seq)
    assert event.outcome == "failed"
    assert event.detail["event"] == "relief_pin_failed"


def test_repeated_wrong_pins_lock_that_staff_members_pin_signing(
    world: World, one_to_one: ObservationOrder, bht2: Staff, settings: Any
) -> None:
    settings.AXES_FAILURE_LIMIT = 3
    outgoing = start_coverage(one_to_one, actor=world.user("bht"), staff=world.staff["bht"])
    for _ in range(3):
        with pytest.raises(ValidationError, match="does not match"):
            relieve(outgoing, actor=world.user("bht"), incoming_staff=bht2, incoming_pin="000000")
    # Now even the right PIN is refused until the lockout has passed; nothing changes.
    with pytest.raises(ValidationError, match="Too many wrong PINs"):
        relieve(outgoing, actor=world.user("bht"), incoming_staff=bht2, incoming_pin=PIN)
    assert Coverage.objects.count() == 1
    with time_machine.travel(clock.now() + settings.AXES_COOLOFF_TIME + timedelta(seconds=1)):
        incoming = relieve(outgoing, actor=world.user("bht"), incoming_staff=bht2, incoming_pin=PIN)
    assert incoming.staff == bht2


def test_only_the_coverer_signs_as_outgoing(
    world: World, one_to_one: ObservationOrder, bht2: Staff
) -> None:
    outgoing = start_coverage(one_to_one, actor=world.user("nurse"), staff=world.staff["bht"])
    # Who may sign is the policy's first word: anyone else is refused before the PIN is read.
    with pytest.raises(PermissionDenied):
        relieve(outgoing, actor=world.user("nurse"), incoming_staff=bht2, incoming_pin=PIN)
    with pytest.raises(PermissionDenied):
        relieve(outgoing, actor=world.user("nurse"), incoming_staff=bht2, incoming_pin="0")
    with pytest.raises(ValidationError) as info:
        relieve(
            outgoing,
            actor=world.user("bht"),
            incoming_staff=world.staff["bht"],
            incoming_pin=PIN,
        )
    assert "incoming_staff" in info.value.message_dict
    with pytest.raises(ValidationError) as info:
        relieve(
            outgoing,
            actor=world.user("bht"),
            incoming_staff=world.staff["outsider"],
            incoming_pin=PIN,
        )
    assert "does not work" in str(info.value.message_dict["incoming_staff"])
    assert Coverage.objects.count() == 1


# --- Ending, lapses and alerts --------------------------------------------------------------


def test_end_needs_a_reason(world: World, one_to_one: ObservationOrder) -> None:
    row = start_coverage(one_to_one, actor=world.user("bht"), staff=world.staff["bht"])
    with pytest.raises(ValidationError) as info:
        end_coverage(row, actor=world.user("bht"), reason="  ", successor=world.staff["nurse"])
    assert "reason" in info.value.message_dict
    seq = last_seq()
    ended = end_coverage(
        row, actor=world.user("nurse"), reason="Called to a code", successor=world.staff["nurse"]
    )
    assert ended.ended_at is not None
    assert ended.end_reason == "Called to a code"
    assert events_since(seq, object_id=str(row.public_id))[0].detail["event"] == "end"
    with pytest.raises(ValidationError, match="already ended"):
        end_coverage(ended, actor=world.user("nurse"), reason="again")


def test_lapses_and_a_sweep_that_alerts_the_nurses_once(
    world: World, one_to_one: ObservationOrder
) -> None:
    now = clock.now()
    [lapse] = coverage_lapses(now)
    assert (lapse.order, lapse.open_count, lapse.ratio) == (one_to_one, 0, 1)
    assert lapse.since == one_to_one.started_at
    created = sweep_coverage_lapses(now)
    # No shift lead is assigned: the unit's nurses are alerted.
    assert [a.recipient for a in created] == [world.staff["nurse"]]
    [alert] = created
    assert alert.kind == "coverage_lapse"
    assert alert.subject_id == one_to_one.public_id
    assert alert.due_at == one_to_one.started_at
    assert AuditEvent.objects.filter(object_id=str(alert.public_id)).exists()
    assert sweep_coverage_lapses(now + timedelta(minutes=1)) == []
    assert Alert.objects.count() == 1


def test_a_new_lapse_after_coverage_alerts_the_shift_lead_again(
    world: World, one_to_one: ObservationOrder
) -> None:
    now = clock.now()
    assign_shift(
        world.unit_a,
        actor=world.user("nurse"),
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(hours=11),
        lead=world.staff["supervisor"],
        by_staff={world.staff["bht"]: [world.person_a]},
    )
    [first] = sweep_coverage_lapses(now)
    assert first.recipient == world.staff["supervisor"]
    row = start_coverage(one_to_one, actor=world.user("bht"), staff=world.staff["bht"])
    assert coverage_lapses(clock.now()) == []
    assert sweep_coverage_lapses(clock.now()) == []
    first.refresh_from_db()
    assert first.resolved_at is not None
    later = clock.now() + timedelta(minutes=30)
    with time_machine.travel(later, tick=False):
        # Raised to 2:1: the BHT carries on with the new order, which is one short.
        changed = order_for(world, code="two-to-one", started_at=later)
        [second] = sweep_coverage_lapses(later)
    row.refresh_from_db()
    assert row.ended_at == later
    assert second.subject_id == changed.public_id
    assert second.due_at == later
    assert second.dedupe_key != first.dedupe_key
    assert Alert.objects.count() == 2


def test_a_paused_one_to_one_is_not_a_lapse(world: World, one_to_one: ObservationOrder) -> None:
    start_exception(
        one_to_one,
        actor=world.user("nurse"),
        kind="off_unit",
        reason="Imaging",
        with_whom="Transport team",
        where="Radiology",
    )
    assert coverage_lapses(clock.now()) == []
    assert sweep_coverage_lapses(clock.now()) == []


def test_staff_on_a_one_to_one_are_not_free_for_rounds(
    world: World, one_to_one: ObservationOrder
) -> None:
    now = clock.now()
    second = another_person(world, "MRN-CV3")
    assign_shift(
        world.unit_a,
        actor=world.user("nurse"),
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(hours=11),
        lead=world.staff["nurse"],
        by_staff={world.staff["bht"]: [world.person_a], world.staff["clinician"]: [second]},
    )
    assert free_for_rounds(world.unit_a, clock.now()) == [
        world.staff["bht"],
        world.staff["clinician"],
        world.staff["nurse"],
    ]
    start_coverage(one_to_one, actor=world.user("bht"), staff=world.staff["bht"])
    assert free_for_rounds(world.unit_a, clock.now()) == [
        world.staff["clinician"],
        world.staff["nurse"],
    ]


# --- Pages and API --------------------------------------------------------------------------


def test_coverage_pages(
    world: World, one_to_one: ObservationOrder, bht2: Staff, signed_in: Any
) -> None:
    from django.urls import reverse

    client = signed_in("bht")
    unit_page = reverse("rounds:coverage", kwargs={"public_id": world.unit_a.public_id})
    assert "Lapsed:" in client.get(unit_page).content.decode()
    start = reverse("rounds:coverage-start", kwargs={"public_id": one_to_one.public_id})
    assert client.post(start, {"staff": str(world.staff["bht"].public_id)}).status_code == 302
    row = Coverage.objects.get()
    body = client.get(unit_page).content.decode()
    assert "No lapses" in body
    relieve_url = reverse("rounds:coverage-relieve", kwargs={"public_id": row.public_id})
    wrong = client.post(relieve_url, {"incoming_staff": str(bht2.public_id), "pin": "111111"})
    assert wrong.status_code == 200
    assert "PIN does not match" in wrong.content.decode()
    ok = client.post(relieve_url, {"incoming_staff": str(bht2.public_id), "pin": PIN})
    assert ok.status_code == 302
    incoming = Coverage.objects.get(ended_at__isnull=True)
    assert incoming.staff == bht2
    end_url = reverse("rounds:coverage-end", kwargs={"public_id": incoming.public_id})
    assert client.post(end_url, {"reason": ""}).status_code == 200
    refused = client.post(end_url, {"reason": "Break"})
    assert refused.status_code == 200
    assert "Name who takes over from T Bht Two" in refused.content.decode()
    done = client.post(end_url, {"reason": "Break", "successor": str(world.staff["bht"].public_id)})
    assert done.status_code == 302
    [now_with] = Coverage.objects.filter(ended_at__isnull=True)
    assert now_with.staff == world.staff["bht"]


def test_coverage_api(world: World, one_to_one: ObservationOrder, bht2: Staff) -> None:
    from pillars.core.tests.api_support import api_as, assert_problem

    api = api_as(world.user("bht"))
    made = api.post(
        f"/orders/{one_to_one.public_id}/coverage", {"staff": str(world.staff["bht"].public_id)}
    )
    assert made.status_code == 201, made.content
    again = api.post(f"/orders/{one_to_one.public_id}/coverage", {"staff": str(bht2.public_id)})
    assert_problem(again, 422)
    relieved = api.post(
        f"/coverage/{made.json()['public_id']}/relieve",
        {"incoming_staff": str(bht2.public_id), "incoming_pin": PIN},
    )
    assert relieved.status_code == 201, relieved.content
    assert relieved.json()["handed_from"] == made.json()["public_id"]
    shown = api.get(f"/units/{world.unit_a.public_id}/coverage").json()
    assert [c["staff"] for c in shown["coverage"]] == [str(bht2.public_id)]
    assert shown["lapses"] == []
