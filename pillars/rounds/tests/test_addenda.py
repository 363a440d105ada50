"""Corrections to checks: the check never changes; the addendum names author and reason."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.forms.models import model_to_dict
from django.http import Http404
from django.urls import reverse

from pillars.audit.models import AuditEvent
from pillars.audit.testing import last_seq
from pillars.core import clock, policy
from pillars.core.errors import ValidationError
from pillars.core.tests.api_support import api_as, assert_problem
from pillars.people.models import EmergencyAccess
from pillars.people.testing import World, make_staff
from pillars.rounds import selectors, services
from pillars.rounds.models import Check, CheckAddendum, ObservationLevel, ObservationOrder

pytestmark = pytest.mark.django_db


def _order(world: World, person: Any = None, by: str = "nurse") -> ObservationOrder:
    return services.order_observation(
        person or world.person_a,
        actor=world.user(by),
        level=ObservationLevel.objects.get(code="q15", is_current=True),
        reason="Admission default",
    )


@pytest.fixture
def check(world: World) -> Check:
    return services.record_check(
        _order(world),
        actor=world.user("bht"),
        observed_at=clock.now(),
        location="bedroom",
        activity="asleep",
        safety_status="safe",
        client_id=uuid.uuid4(),
    )


def test_an_addendum_names_author_and_reason_and_leaves_the_check_alone(
    world: World, check: Check
) -> None:
    before = model_to_dict(Check.objects.get(pk=check.pk))
    addendum = services.add_addendum(
        check,
        actor=world.user("nurse"),
        reason=" Wrong room chosen ",
        text="The person was in the day room, seen by the nurse.",
    )
    assert addendum.written_by == world.staff["nurse"]
    assert addendum.reason == "Wrong room chosen"
    assert addendum.check_record == check
    assert model_to_dict(Check.objects.get(pk=check.pk)) == before
    event = AuditEvent.objects.get(object_id=str(addendum.public_id))
    assert event.action == "create"
    assert event.person_id == world.person_a.public_id
    assert event.detail["check"] == str(check.public_id)
    assert event.detail["reason"] == "Wrong room chosen"


def test_reason_and_text_are_required(world: World, check: Check) -> None:
    with pytest.raises(ValidationError) as info:
        services.add_addendum(check, actor=world.user("bht"), reason="  ", text="")
    assert set(info.value.message_dict) == {"reason", "text"}
    with pytest.raises(ValidationError) as info:
        services.add_addendum(check, actor=world.user("bht"), reason="x" * 301, text="y")
    assert set(info.value.message_dict) == {"reason"}
    assert not CheckAddendum.objects.exists()


def test_who_may_correct_a_check(world: World, check: Check) -> None:
    for role in ("peer", "supervisor", "director", "admin"):
        with pytest.raises((PermissionDenied, Http404)):
            services.add_addendum(check, actor=world.user(role), reason="r", text="t")
    with pytest.raises(Http404):
        services.add_addendum(check, actor=world.user("outsider"), reason="r", text="t")
    assert not CheckAddendum.objects.exists()
    assert services.add_addendum(check, actor=world.user("clinician"), reason="r", text="t")


def test_emergency_access_reads_but_never_corrects_or_orders(world: World) -> None:
    """A nurse who broke the glass for a person on another unit may read, not write."""
    nurse_b = make_staff("t-nurse-b", ["nurse"], [world.unit_b]).user
    q15 = ObservationLevel.objects.get(code="q15", is_current=True)
    order_b = services.order_observation(world.person_b, actor=nurse_b, level=q15, reason="Default")
    check_b = services.record_check(
        order_b,
        actor=nurse_b,
        observed_at=clock.now(),
        location="bedroom",
        activity="asleep",
        safety_status="safe",
        client_id=uuid.uuid4(),
    )
    now = clock.now()
    EmergencyAccess.objects.create(
        staff=world.staff["nurse"],
        person=world.person_b,
        reason="Crisis call",
        started_at=now - timedelta(minutes=5),
        expires_at=now + timedelta(hours=1),
    )
    nurse = world.user("nurse")
    policy.forget(nurse)
    assert selectors.read_order_for(nurse, order_b.public_id) == order_b
    read = AuditEvent.objects.filter(object_id=str(order_b.public_id), action="view").get()
    assert read.purpose == "emergency"
    with pytest.raises(PermissionDenied):
        services.add_addendum(check_b, actor=nurse, reason="r", text="t")
    with pytest.raises(PermissionDenied):
        services.order_observation(world.person_b, actor=nurse, level=q15, reason="Change")
    with pytest.raises(PermissionDenied):
        services.end_observation(order_b, actor=nurse, reason="Stop")
    assert not CheckAddendum.objects.exists()
    assert ObservationOrder.objects.filter(person=world.person_b).count() == 1


# --- Page and API ------------------------------------------------------------------------------


def test_the_correction_page_shows_the_check_and_adds_an_addendum(
    world: World, check: Check, signed_in: Any
) -> None:
    client = signed_in("bht")
    url = reverse("rounds:check-addendum", args=[check.public_id])
    before = last_seq()
    page = client.get(url)
    assert page.status_code == 200
    assert "Asleep, breathing seen" in page.content.decode()
    read = AuditEvent.objects.filter(seq__gt=before, action="view").get()
    assert read.person_id == world.person_a.public_id
    refused = client.post(url, {"reason": "", "text": ""})
    assert refused.status_code == 200
    assert "This field is required." in refused.content.decode()
    assert not CheckAddendum.objects.exists()
    done = client.post(url, {"reason": "Wrong activity", "text": "Was awake, resting."})
    assert done.status_code == 302
    assert done["Location"].endswith(f"#check-{check.public_id}")
    addendum = CheckAddendum.objects.get()
    assert addendum.written_by == world.staff["bht"]
    assert addendum.text == "Was awake, resting."
    history = client.get(done["Location"].split("#")[0]).content.decode()
    assert "Was awake, resting." in history
    assert "Asleep, breathing seen" in history  # the original stays readable


def test_api_adds_an_addendum_once_per_client_id(world: World, check: Check) -> None:
    api = api_as(world.user("nurse"))
    body = {"reason": "Wrong room", "text": "Day room.", "client_id": str(uuid.uuid4())}
    first = api.post(f"/checks/{check.public_id}/addenda", body)
    assert first.status_code == 201, first.content
    assert first.json()["written_by"]["name"] == world.staff["nurse"].display_name
    again = api.post(f"/checks/{check.public_id}/addenda", body)
    assert again.json()["public_id"] == first.json()["public_id"]
    assert CheckAddendum.objects.count() == 1
    problem = assert_problem(
        api.post(f"/checks/{check.public_id}/addenda", {"reason": " ", "text": "x"}), 422
    )
    assert "reason" in problem["errors"]
    assert_problem(
        api_as(world.user("outsider")).post(f"/checks/{check.public_id}/addenda", body), 404
    )
    assert_problem(api_as(world.user("peer")).post(f"/checks/{check.public_id}/addenda", body), 403)
    assert CheckAddendum.objects.count() == 1
