"""Incident pages: report a draft, submit, review and close, corrections, debriefs, the
person-page section, the board panel, and the exposure pages."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse

from pillars.core import clock
from pillars.incidents.models import DeescalationStep, Incident
from pillars.incidents.services import incidents as services
from pillars.people.testing import World

pytestmark = pytest.mark.django_db


def _form(world: World, **over: Any) -> dict[str, Any]:
    local = clock.local(clock.now() - timedelta(minutes=10), world.unit_a.time_zone)
    data: dict[str, Any] = {
        "unit": world.unit_a.public_id,
        "type": "self_harm",
        "occurred_at": local.strftime("%Y-%m-%dT%H:%M"),
        "location": "Bedroom 3",
        "persons": [world.person_a.public_id],
        "staff_involved": [world.staff["bht"].public_id],
        "steps": [DeescalationStep.objects.get(code="verbal").code],
        "narrative": "Scratched forearm with a plastic utensil; stopped when asked.",
    }
    data.update(over)
    return data


def test_a_bht_reports_submits_and_a_supervisor_closes(world: World, signed_in: Any) -> None:
    bht = signed_in("bht")
    response = bht.post(reverse("incidents:incident-new"), _form(world))
    assert response.status_code == 302
    incident = Incident.objects.get()
    assert incident.status == "draft"
    assert incident.occurred_at.tzinfo is not None
    page = bht.get(reverse("incidents:incident-detail", args=[incident.public_id]))
    assert "Submit report" in page.content.decode()
    bht.post(reverse("incidents:incident-submit", args=[incident.public_id]))
    incident.refresh_from_db()
    assert incident.status == "submitted"
    sup = signed_in("supervisor")
    review = reverse("incidents:incident-review", args=[incident.public_id])
    assert "Start review" in sup.get(review).content.decode()
    sup.post(review, {"step": "start", "note": ""})
    sup.post(review, {"step": "close", "note": "Safety plan reviewed with the person."})
    incident.refresh_from_db()
    assert incident.status == "closed"
    detail = sup.get(reverse("incidents:incident-detail", args=[incident.public_id])).content
    assert b"Safety plan reviewed" in detail
    printed = sup.get(reverse("incidents:incident-print", args=[incident.public_id]))
    assert b"Incident report: Self-harm" in printed.content


def test_the_form_names_choices_by_public_id_only(world: World, signed_in: Any) -> None:
    body = signed_in("bht").get(reverse("incidents:incident-new")).content.decode()
    assert f'value="{world.person_a.public_id}"' in body
    assert f'value="{world.person_a.pk}"' not in body
    assert f'value="{world.unit_a.public_id}"' in body


def test_a_draft_is_edited_from_its_page(world: World, signed_in: Any) -> None:
    bht = signed_in("bht")
    bht.post(reverse("incidents:incident-new"), _form(world))
    incident = Incident.objects.get()
    edit = reverse("incidents:incident-edit", args=[incident.public_id])
    assert world.person_a.display_name in bht.get(edit).content.decode()
    bht.post(edit, _form(world, location="Quiet room"))
    incident.refresh_from_db()
    assert incident.location == "Quiet room"
    injury = reverse("incidents:incident-injury", args=[incident.public_id])
    bht.post(
        injury,
        {"whom": f"p:{world.person_a.public_id}", "severity": "minor", "description": "Scratch"},
    )
    assert incident.injuries.get().person == world.person_a


def test_bad_input_reshows_the_form_and_stores_nothing(world: World, signed_in: Any) -> None:
    response = signed_in("bht").post(
        reverse("incidents:incident-new"), _form(world, location="", persons=[])
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "This field is required" in body
    assert not Incident.objects.exists()
    response = signed_in("bht").post(reverse("incidents:incident-new"), _form(world, persons=[]))
    assert "Name the person or persons served involved." in response.content.decode()
    assert not Incident.objects.exists()


def _submitted(world: World) -> Incident:
    details = services.IncidentDetails(
        type="fall",
        occurred_at=clock.now() - timedelta(hours=30),
        location="Hall",
        narrative="Slipped.",
        persons=[world.person_a],
    )
    bht = world.user("bht")
    return services.submit_incident(
        services.create_draft(world.unit_a, details, actor=bht), actor=bht
    )


def test_late_notifications_are_flagged_in_words(world: World, signed_in: Any) -> None:
    incident = _submitted(world)
    page = signed_in("nurse").get(reverse("incidents:incident-detail", args=[incident.public_id]))
    assert "Overdue" in page.content.decode()
    n = incident.notifications.get()
    signed_in("nurse").post(
        reverse("incidents:incident-notification-sent", args=[n.public_id]), {"note": "Phoned"}
    )
    page = signed_in("nurse").get(reverse("incidents:incident-detail", args=[incident.public_id]))
    assert "Sent late" in page.content.decode()


def test_corrections_and_debriefs_from_pages(world: World, signed_in: Any) -> None:
    incident = _submitted(world)
    nurse = signed_in("nurse")
    nurse.post(
        reverse("incidents:incident-addendum", args=[incident.public_id]),
        {"reason": "Place", "text": "By the nurses' station."},
    )
    local = clock.local(clock.now(), world.unit_a.time_zone).strftime("%Y-%m-%dT%H:%M")
    nurse.post(
        reverse("incidents:incident-debrief", args=[incident.public_id]),
        {"kind": "person_served", "held_at": local, "participants": "Person", "learned": "Socks"},
    )
    assert incident.addenda.count() == 1
    assert incident.debriefs.count() == 1


def test_the_person_page_lists_their_incidents(world: World, signed_in: Any) -> None:
    _submitted(world)
    client = signed_in("nurse")
    page = client.get(reverse("people:person-detail", args=[world.person_a.public_id]))
    # The incident history is an on-demand section: the page links to it, opening it loads it.
    section = reverse(
        "people:person-section", args=[world.person_a.public_id, "incidents-incidents"]
    )
    assert f'hx-get="{section}"' in page.content.decode()
    opened = client.get(section, headers={"HX-Request": "true"}).content.decode()
    assert 'id="h-person-incidents"' in opened
    assert "Fall" in opened


def test_exposure_pages(world: World, signed_in: Any) -> None:
    # The exposure pages are workforce.wellbeing's since the ledger moved there.
    mine = signed_in("bht").get(reverse("workforce:wellbeing-mine"))
    assert "Everything on this page is yours alone" in mine.content.decode()
    agg = signed_in("director").get(reverse("workforce:exposure-aggregate")).content.decode()
    assert "Fewer than 5 staff: not shown" in agg  # unit B has one staff member
