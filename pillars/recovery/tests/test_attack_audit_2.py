"""An attacker's audit of recovery, second round: a form sent twice (a double tap on a slow
connection, a resend) writes once, and a device's stray bytes answer 422, never 500."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from pillars.audit.choices import Action
from pillars.audit.models import AuditEvent
from pillars.core import clock
from pillars.core.errors import Conflict
from pillars.core.tests.api_support import api_as
from pillars.people.testing import World, make_person, place
from pillars.recovery.models import (
    Assessment,
    Encounter,
    GroupSession,
    Referral,
)
from pillars.recovery.models.plans import Goal, GoalProgress
from pillars.recovery.services import portal as portal_services
from pillars.recovery.services import referrals as referral_services
from pillars.recovery.tests.test_encounters_pages import form as encounter_form
from pillars.recovery.tests.test_referrals import service

pytestmark = pytest.mark.django_db


def _hidden(page: Any) -> dict[str, str]:
    """The hidden fields of the form a page shows, as a browser sends them back."""
    found = {}
    for tag in re.findall(r'<input[^>]*type="hidden"[^>]*>', page.content.decode()):
        name = re.search(r'name="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if name and name.group(1) != "csrfmiddlewaretoken":
            found[name.group(1)] = value.group(1) if value else ""
    return found


def _sent_twice(client: Client, url: str, data: dict[str, Any]) -> tuple[Any, Any]:
    """The form as the page shows it, filled in and sent twice."""
    filled = {**data, **_hidden(client.get(url))}
    return client.post(url, filled), client.post(url, filled)


def _goal(world: World) -> Goal:
    return Goal.objects.create(
        person=world.person_a,
        domain="work",
        statement="Get back to part-time work",
        created_by=world.staff["peer"],
        created_at=clock.now() - timedelta(days=1),
    )


# --- A form sent twice ---------------------------------------------------------------------


def test_an_encounter_form_sent_twice_signs_one_encounter(world: World, signed_in: Any) -> None:
    """Two signed (and, in a billing program, billed) encounters for one meeting."""
    url = reverse("recovery:encounter-new", args=[world.person_a.public_id])
    first, again = _sent_twice(signed_in("peer"), url, encounter_form())
    assert (first.status_code, again.status_code) == (302, 302)
    assert Encounter.objects.count() == 1
    assert again["Location"] == first["Location"]


def test_a_group_form_sent_twice_is_one_group_with_one_record_each(
    world: World, signed_in: Any
) -> None:
    other = make_person("MRN-A2", "Nguyen")
    place(other, world.unit_a, world.beds_a[1], world.staff["nurse"])
    client = signed_in("peer")
    url = reverse("recovery:encounter-group-new")
    rows = {p.pk: n for n, p in enumerate(client.get(url).context["form"].candidates)}
    data = encounter_form(topic="Routines that help", what_was_done="Group on routines.")
    data[f"attend_{rows[world.person_a.pk]}"] = "present"
    data[f"attend_{rows[other.pk]}"] = "absent"
    first, again = _sent_twice(client, url, data)
    assert (first.status_code, again.status_code) == (302, 302)
    assert GroupSession.objects.count() == 1
    assert Encounter.objects.count() == 2


def _pages(world: World) -> dict[str, tuple[str, dict[str, Any], Any]]:
    person = world.person_a.public_id
    today = clock.today_in("America/Chicago").isoformat()
    return {
        "assessment": (
            reverse("recovery:assessment-new", args=[person, "barc-10"]),
            {**{f"item_{n}": "5" for n in range(1, 11)}, "administered_on": today},
            Assessment,
        ),
        "progress": (
            reverse("recovery:goal-progress", args=[_goal(world).public_id]),
            {"note": "Sent two applications", "attainment": "2", "noted_on": today},
            GoalProgress,
        ),
        "goal": (
            reverse("recovery:goal-create", args=[person]),
            {"domain": "housing", "statement": "A place of my own", "steps": "Call the office"},
            Goal,
        ),
        "referral": (
            reverse("recovery:referral-new", args=[person, service().public_id]),
            {"reason": "A safe place to live", "confirm": "on"},
            Referral,
        ),
        "logged referral": (
            reverse("recovery:referral-log", args=[person]),
            {"organization": "Harbor Housing", "reason": "A safe place to live"},
            Referral,
        ),
    }


@pytest.mark.parametrize("name", ["assessment", "progress", "goal", "referral", "logged referral"])
def test_a_form_sent_twice_writes_once(world: World, signed_in: Any, name: str) -> None:
    url, data, model = _pages(world)[name]
    before = model.objects.count()
    first, again = _sent_twice(signed_in("peer"), url, data)
    assert (first.status_code, again.status_code) == (302, 302), first.content
    assert model.objects.count() == before + 1
    assert again["Location"] == first["Location"]


def test_a_referral_sent_twice_sends_its_packet_once(world: World, signed_in: Any) -> None:
    """The packet is a disclosure to an outside organization: one send, one release logged."""
    url, data, _ = _pages(world)["referral"]
    _sent_twice(signed_in("peer"), url, data)
    sent = AuditEvent.objects.filter(action=Action.EXPORT, object_type="recovery.referral_packet")
    assert sent.count() == 1


def test_the_persons_own_forms_sent_twice_write_once(world: World) -> None:
    goal = _goal(world)
    issued = portal_services.issue_access(world.person_a, actor=world.user("peer"))
    phone = Client()
    opened = phone.post(reverse("recovery:portal-open", args=[issued.token]), {"code": issued.code})
    assert opened.status_code == 302
    progress = reverse("recovery:portal-progress", args=[goal.public_id])
    first, again = _sent_twice(phone, progress, {"note": "I sent two applications"})
    assert (first.status_code, again.status_code) == (302, 302)
    assert GoalProgress.objects.filter(goal=goal).count() == 1
    answers = {f"item_{n}": "5" for n in range(1, 11)}
    first, again = _sent_twice(phone, reverse("recovery:portal-barc"), {**answers, "note": ""})
    assert (first.status_code, again.status_code) == (302, 302)
    assert Assessment.objects.filter(person=world.person_a).count() == 1


def test_a_referral_resent_under_its_key_answers_with_the_first_and_no_one_elses(
    world: World,
) -> None:
    """A resend is answered with the record the first send made, before its words are checked
    again; the key names this staff member's referral for this person, and another staff
    member sending it is refused."""
    key = uuid.UUID("6f1c3a7e-0d8b-4c55-9a51-1f0b9c2d7e44")
    made = referral_services.log_outside(
        world.person_a,
        actor=world.user("peer"),
        organization="Harbor Housing",
        reason="Housing",
        client_id=key,
    )
    again = referral_services.log_outside(
        world.person_a, actor=world.user("peer"), organization="", reason="", client_id=key
    )
    assert again == made
    with pytest.raises(Conflict):
        referral_services.log_outside(
            world.person_a,
            actor=world.user("clinician"),
            organization="Harbor Housing",
            reason="Housing",
            client_id=key,
        )


# --- Stray bytes from a device -------------------------------------------------------------


def _encounter_body(world: World, **over: Any) -> dict[str, Any]:
    return {
        "person": str(world.person_a.public_id),
        "modality": "phone",
        "setting": "community",
        "started_at": (clock.now() - timedelta(minutes=30)).isoformat(),
        "minutes": 20,
        "credential": "CPS",
        "what_was_done": "Talked about work",
        **over,
    }


def test_a_nul_in_an_encounter_narrative_is_refused_with_422(world: World) -> None:
    """PostgreSQL refuses NUL in text: the write answered 500 there and stored it elsewhere."""
    api = api_as(world.user("peer"))
    response = api.post("/encounters", _encounter_body(world, next_steps="Call\x00Friday"))
    assert response.status_code == 422, response.content
    assert "next_steps" in response.json()["errors"]
    assert not Encounter.objects.exists()


def test_a_nul_in_an_addendum_is_refused_with_422(world: World) -> None:
    api = api_as(world.user("peer"))
    made = api.post("/encounters", _encounter_body(world))
    assert made.status_code == 201, made.content
    path = f"/encounters/{made.json()['public_id']}/addenda"
    response = api.post(path, {"reason": "Correction", "text": "Said\x00more"})
    assert response.status_code == 422, response.content
    assert "text" in response.json()["errors"]


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", "/directory/services", {"words": "bus\x00pass"}),
        ("get", "/directory/services", {"need": "food\x00"}),
        ("get", "/directory/services", {"language": "es\x00"}),
        (
            "post",
            "/recovery/persons/{person}/assessments",
            {"instrument": "b\x00", "answers": {"1": 1}},
        ),
        ("post", "/referrals/{referral}/status", {"status": "failed", "outcome_reason": "x\x00"}),
    ],
)
def test_a_nul_in_a_name_looked_up_answers_422(
    world: World, method: str, path: str, body: dict[str, Any]
) -> None:
    """A code or search word is looked up in the database, which refuses NUL: 500 before."""
    referral = referral_services.log_outside(
        world.person_a, actor=world.user("peer"), organization="Harbor", reason="Housing"
    )
    path = path.format(person=world.person_a.public_id, referral=referral.public_id)
    response = getattr(api_as(world.user("peer")), method)(path, body)
    assert response.status_code == 422, response.content


# --- Small groups in the outcome report ------------------------------------------------------


def _closed(world: World, peer: Any, organization: str, count: int) -> None:
    for n in range(count):
        made = referral_services.log_outside(
            world.person_a, actor=peer, organization=organization, reason=f"Need {n}"
        )
        referral_services.update_status(made, actor=peer, status="completed")


def test_a_hidden_service_is_not_a_shown_peer_minus_a_shown_service(world: World) -> None:
    """By service: Harbor 6, Small 3 (hidden), Works 5 (hidden beside the total). By peer:
    the first peer 9 (Harbor and Small), the second 5 (Works). Shown as they were, the first
    peer's 9 minus Harbor's 6 gave Small's 3 back."""
    from pillars.people.testing import make_staff
    from pillars.recovery.selectors import referrals as referral_selectors

    second = make_staff("t-peer-2", ["peer"], [world.unit_a]).user
    _closed(world, world.user("peer"), "Harbor", 6)
    _closed(world, world.user("peer"), "Small", 3)
    _closed(world, second, "Works", 5)
    report = referral_selectors.outcomes(world.user("director"))
    services_ = {r.label: r for r in report["by_service"]}
    peers = {r.label: r for r in report["by_peer"]}
    assert services_["Small"].hidden
    first = peers[world.staff["peer"].display_name]
    assert first.hidden or services_["Harbor"].hidden
