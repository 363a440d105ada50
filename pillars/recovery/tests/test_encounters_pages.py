"""Peer encounter pages and API: writing one (and the scope-guard check while typing), the
detail with addenda, void, a group in one screen, video sessions, the person-page section and
the JSON API (list, create replay-safe, one, addendum, language check)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse

from pillars.core import clock
from pillars.core.tests.api_support import api_as
from pillars.people.testing import World, make_person, place
from pillars.recovery.models import Encounter, EncounterAddendum, VirtualSession
from pillars.recovery.services import encounters as services

pytestmark = pytest.mark.django_db


def local_now() -> str:
    return clock.local(clock.now() - timedelta(minutes=40), "America/Chicago").strftime(
        "%Y-%m-%dT%H:%M"
    )


def form(**over: Any) -> dict[str, Any]:
    data = {
        "modality": "phone",
        "setting": "community",
        "started_at": local_now(),
        "minutes": "20",
        "activities": ["coaching-goals"],
        "credential": "CPS",
        "what_was_done": "Talked with the patient about the bus pass.",
        "purpose": "Getting to work on time.",
        "person_response": "Said it helped.",
        "next_steps": "Call Friday.",
        "written_with_person": "on",
    }
    data.update(over)
    return data


def test_peer_writes_an_encounter_on_the_page(world: World, signed_in: Any) -> None:
    client = signed_in("peer")
    url = reverse("recovery:encounter-new", args=[world.person_a.public_id])
    page = client.get(url)
    assert page.status_code == 200
    body = page.content.decode()
    assert 'hx-trigger="keyup changed delay:600ms"' in body
    assert reverse("recovery:encounter-check") in body
    assert "<script>" not in body
    response = client.post(url, form())
    enc = Encounter.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("recovery:encounter-detail", args=[enc.public_id])
    assert enc.modality == "phone"
    assert enc.written_with_person
    assert enc.flags.filter(term="patient").exists()
    detail = client.get(response["Location"]).content.decode()
    assert "Wording suggestions kept for supervision" in detail
    assert "Signed by" in detail


def test_refused_form_stores_nothing(world: World, signed_in: Any) -> None:
    client = signed_in("peer")
    url = reverse("recovery:encounter-new", args=[world.person_a.public_id])
    response = client.post(url, form(credential="", what_was_done="x", activities=["nope"]))
    assert response.status_code == 200
    assert not Encounter.objects.exists()


def test_check_returns_flags_fragment(world: World, signed_in: Any) -> None:
    client = signed_in("peer")
    response = client.post(
        reverse("recovery:encounter-check"),
        {"what_was_done": "He was non-compliant", "purpose": "fine words"},
        headers={"HX-Request": "true"},
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "non-compliant" in body
    assert "chose not to" in body
    clean = client.post(reverse("recovery:encounter-check"), {"purpose": "We went for a walk."})
    assert "No wording suggestions" in clean.content.decode()


def test_addendum_and_void_pages(world: World, signed_in: Any) -> None:
    peer = signed_in("peer")
    peer.post(reverse("recovery:encounter-new", args=[world.person_a.public_id]), form())
    enc = Encounter.objects.get()
    response = peer.post(
        reverse("recovery:encounter-addendum", args=[enc.public_id]),
        {"reason": "Wrong time", "text": "We met at 10:15."},
    )
    assert response.status_code == 302
    assert EncounterAddendum.objects.filter(encounter=enc).count() == 1
    sup = signed_in("supervisor")
    response = sup.post(reverse("recovery:encounter-void", args=[enc.public_id]), {"reason": "Dup"})
    assert response.status_code == 302
    enc.refresh_from_db()
    assert enc.is_void
    detail = sup.get(reverse("recovery:encounter-detail", args=[enc.public_id])).content.decode()
    assert "Voided" in detail
    assert "We met at 10:15." in detail


def test_group_in_one_screen(world: World, signed_in: Any) -> None:
    other = make_person("MRN-A2", "Nguyen")
    place(other, world.unit_a, world.beds_a[1], world.staff["nurse"])
    client = signed_in("peer")
    url = reverse("recovery:encounter-group-new")
    page = client.get(url)
    names = [p.display_name for p in page.context["form"].candidates]
    assert world.person_a.display_name in names
    assert world.person_b.display_name not in names  # unit B: not this peer's
    rows = {p.pk: n for n, p in enumerate(page.context["form"].candidates)}
    data = form(topic="Routines that help", what_was_done="Group on routines.")
    data.update(
        {
            f"attend_{rows[world.person_a.pk]}": "present",
            f"note_{rows[world.person_a.pk]}": "Named morning walks.",
            f"attend_{rows[other.pk]}": "absent",
        }
    )
    response = client.post(url, data)
    assert response.status_code == 302
    assert Encounter.objects.filter(group__topic="Routines that help").count() == 2
    mine = Encounter.objects.get(person=world.person_a)
    assert mine.person_response == "Named morning walks."


def test_my_day_and_person_section(world: World, signed_in: Any) -> None:
    services.record_encounter(
        world.person_a,
        actor=world.user("peer"),
        modality="in_person",
        setting="unit",
        started_at=clock.now() - timedelta(hours=1),
        minutes=30,
        what_was_done="Walked to the garden.",
        credential="CPS",
    )
    day = signed_in("peer").get(reverse("recovery:my-day")).content.decode()
    assert "Walked" not in day  # the list shows the when and who, not the note
    assert world.person_a.display_name in day
    person_page = reverse("people:person-detail", args=[world.person_a.public_id])
    assert "Peer encounters" in signed_in("clinician").get(person_page).content.decode()
    assert "Peer encounters" not in signed_in("bht").get(person_page).content.decode()


def test_video_session_pages(world: World, signed_in: Any) -> None:
    client = signed_in("peer")
    tomorrow = clock.local(clock.now() + timedelta(days=1), "America/Chicago")
    response = client.post(
        reverse("recovery:session-new", args=[world.person_a.public_id]),
        {"scheduled_at": tomorrow.strftime("%Y-%m-%dT%H:%M"), "minutes_planned": "30"},
    )
    session = VirtualSession.objects.get()
    assert response["Location"] == reverse("recovery:session-detail", args=[session.public_id])
    record = client.get(reverse("recovery:session-record", args=[session.public_id]))
    assert record.context["form"].initial["modality"] == "video"
    assert record.context["form"].initial["setting"] == "virtual"
    listing = client.get(reverse("recovery:session-list")).content.decode()
    assert world.person_a.display_name in listing


def test_api_create_replay_list_get_addendum(world: World) -> None:
    api = api_as(world.user("peer"))
    key = str(uuid.uuid4())
    body = {
        "person": str(world.person_a.public_id),
        "modality": "text",
        "setting": "virtual",
        "started_at": (clock.now() - timedelta(hours=1)).isoformat(),
        "minutes": 15,
        "activities": ["relationship-building"],
        "what_was_done": "Texted about Saturday's walk.\nThey said yes.",
        "credential": "CPS",
        "client_id": key,
    }
    first = api.post("/encounters", body)
    assert first.status_code == 201, first.content
    again = api.post("/encounters", body)
    assert again.json()["public_id"] == first.json()["public_id"]
    assert Encounter.objects.count() == 1
    listed = api.get("/encounters", {"person": str(world.person_a.public_id)}).json()
    assert [e["public_id"] for e in listed["items"]] == [first.json()["public_id"]]
    one = api.get(f"/encounters/{first.json()['public_id']}").json()
    assert one["activities"] == ["relationship-building"]
    added = api.post(
        f"/encounters/{one['public_id']}/addenda", {"reason": "Typo", "text": "Sunday."}
    )
    assert added.status_code == 201
    assert api_as(world.user("bht")).get("/encounters").status_code == 403


def test_api_language_check(world: World) -> None:
    flags = (
        api_as(world.user("peer"))
        .post("/encounters/language-check", {"purpose": "She is bipolar and non-compliant"})
        .json()["flags"]
    )
    assert {f["term"] for f in flags} == {"bipolar", "non-compliant"}
    assert all(f["field"] == "purpose" for f in flags)


def test_a_video_session_form_sent_twice_schedules_one(world: World, signed_in: Any) -> None:
    """The scheduling form carries a replay key: a double tap schedules one session and both
    answers lead to it; the same key with another time is refused, nothing stored."""
    client = signed_in("peer")
    url = reverse("recovery:session-new", args=[world.person_a.public_id])
    assert 'name="client_id"' in client.get(url).content.decode()
    tomorrow = clock.local(clock.now() + timedelta(days=1), "America/Chicago")
    form = {
        "scheduled_at": tomorrow.strftime("%Y-%m-%dT%H:%M"),
        "minutes_planned": "30",
        "client_id": str(uuid.uuid4()),
    }
    first = client.post(url, form)
    second = client.post(url, form)
    session = VirtualSession.objects.get()
    assert first["Location"] == second["Location"]
    assert first["Location"] == reverse("recovery:session-detail", args=[session.public_id])
    refused = client.post(url, {**form, "minutes_planned": "45"})
    assert "This client id was used for another video session." in refused.content.decode()
    assert VirtualSession.objects.count() == 1
