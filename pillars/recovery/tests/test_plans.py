"""Wellness plans and goals: drafting, signing and versioning, the printed copy, goals with
steps and progress (replay-safe), the policy (outsider 404, roles without the right 403), the
pages, the API and the audit events."""

from __future__ import annotations

import io
import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import reverse
from pypdf import PdfReader

from pillars.audit.models import AuditEvent
from pillars.core import clock, policy
from pillars.core.errors import Conflict, ValidationError
from pillars.core.tests.api_support import api_as
from pillars.people.models import CaseloadAssignment
from pillars.people.testing import World, make_person, make_staff
from pillars.recovery import plans_pdf
from pillars.recovery.models.plans import GoalProgress, GoalStep, WellnessPlanVersion
from pillars.recovery.selectors import plans as selectors
from pillars.recovery.services import plans as services

pytestmark = pytest.mark.django_db

WORDS = {
    "toolbox": [{"text": "Walk by the river"}, {"text": "Call my sister Dana"}],
    "every_day": [{"text": "Breakfast before nine"}],
    "early_warning": [{"text": "I stop answering messages"}],
    "crisis": [{"text": "Dana and my peer specialist come; no hospital in the next county"}],
}


def review_on(days: int = 30) -> Any:
    return clock.today_in("America/Chicago") + timedelta(days=days)


def draft(world: World, content: Any = None) -> WellnessPlanVersion:
    return services.save_wellness_draft(
        world.person_a,
        actor=world.user("peer"),
        content=WORDS if content is None else content,
        review_on=review_on(),
    )


def sign(version: WellnessPlanVersion, world: World) -> WellnessPlanVersion:
    return services.sign_wellness_plan(
        version, actor=world.user("peer"), person_signature="tablet", typed_name="Alex Rivera"
    )


def test_a_draft_signed_by_the_person_and_the_peer_becomes_the_plan(world: World) -> None:
    version = draft(world)
    assert (version.number, version.status) == (1, "draft")
    assert selectors.current_plan(world.person_a) is None
    signed = sign(version, world)
    assert signed.status == "signed"
    assert signed.person_signed_name == "Alex Rivera"
    assert signed.signed_by == world.staff["peer"]
    assert signed.is_part2 is False
    assert signed.made_in_unit == world.unit_a
    assert selectors.current_plan(world.person_a) == signed
    events = AuditEvent.objects.filter(object_id=str(signed.public_id)).order_by("seq")
    assert [e.action for e in events] == ["create", "update"]
    assert events.last().detail["signed"] is True  # type: ignore[union-attr]


def test_a_signed_version_is_never_edited_a_new_version_starts_from_it(world: World) -> None:
    first = sign(draft(world), world)
    second = draft(world, dict(WORDS, after_crisis=[{"text": "A quiet week at Dana's"}]))
    assert second.number == 2
    assert second.based_on == first
    first.refresh_from_db()
    assert "after_crisis" not in first.content
    assert services.starting_content(first) == first.content
    with pytest.raises(Conflict):
        sign(first, world)
    signed = sign(second, world)
    assert selectors.current_plan(world.person_a) == signed
    assert list(selectors.versions_of(world.person_a).values_list("number", flat=True)) == [2, 1]


def test_paper_signature_needs_the_peer_to_attest(world: World) -> None:
    version = draft(world)
    with pytest.raises(ValidationError) as exc:
        services.sign_wellness_plan(version, actor=world.user("peer"), person_signature="paper")
    assert "attested" in exc.value.message_dict
    signed = services.sign_wellness_plan(
        version, actor=world.user("peer"), person_signature="paper", attested=True
    )
    assert signed.person_signature == "paper"
    assert signed.person_signed_name == world.person_a.display_name


def test_a_plan_missing_its_crisis_part_cannot_be_signed(world: World) -> None:
    version = draft(world, {"toolbox": [{"text": "Music"}]})
    assert services.not_ready_to_sign(version)
    with pytest.raises(ValidationError):
        sign(version, world)
    version.refresh_from_db()
    assert version.status == "draft"


def test_bad_plan_content_is_refused_with_every_problem_and_nothing_stored(world: World) -> None:
    with pytest.raises(ValidationError) as exc:
        services.save_wellness_draft(
            world.person_a,
            actor=world.user("peer"),
            content={"wrap": [{"text": "x"}], "toolbox": [{"text": "y" * 500}]},
            review_on=clock.today_in("America/Chicago") - timedelta(days=1),
        )
    problems = exc.value.message_dict
    assert {"content", "toolbox", "review_on"} <= set(problems)
    assert not WellnessPlanVersion.objects.exists()


def test_only_peers_write_and_outsiders_get_not_found(world: World) -> None:
    for role in ("clinician", "supervisor", "director", "bht", "nurse"):
        with pytest.raises(PermissionDenied):
            services.save_wellness_draft(
                world.person_a, actor=world.user(role), content=WORDS, review_on=review_on()
            )
    with pytest.raises(Http404):
        services.save_wellness_draft(
            world.person_b, actor=world.user("peer"), content=WORDS, review_on=review_on()
        )


def test_a_peer_sees_persons_on_their_caseload_outside_their_units(world: World) -> None:
    peer_b = make_staff("t-peer-b", ["peer"], [world.unit_b])
    with pytest.raises(Http404):
        services.create_goal(world.person_a, actor=peer_b.user, domain="work", statement="Job")
    CaseloadAssignment.objects.create(
        person=world.person_a,
        staff=peer_b,
        kind="peer",
        started_on=clock.organization_today() - timedelta(days=1),
    )
    policy.forget(peer_b.user)  # the actor's id sets are cached per user
    goal = services.create_goal(world.person_a, actor=peer_b.user, domain="work", statement="Job")
    assert goal.created_by == peer_b


def test_the_printed_copy_holds_the_persons_words_and_is_exported(world: World) -> None:
    signed = sign(draft(world), world)
    data = plans_pdf.export(world.user("peer"), signed, channel="test")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
    assert "Walk by the river" in text
    assert "Early warning signs" in text
    assert "WRAP" not in text
    event = AuditEvent.objects.filter(action="export").order_by("-seq").first()
    assert event is not None
    assert event.object_type == "recovery.wellnessplanversion"


def test_goal_with_steps_progress_and_attainment(world: World) -> None:
    peer = world.user("peer")
    goal = services.create_goal(
        world.person_a,
        actor=peer,
        domain="housing",
        statement="A place of my own by spring",
        target_on=review_on(120),
        steps=[{"text": "Call the housing office"}, {"text": "Save the deposit"}],
    )
    steps = list(goal.steps.all())
    assert [s.text for s in steps] == ["Call the housing office", "Save the deposit"]
    services.set_step_done(steps[0], actor=peer, is_done=True)
    key = uuid.uuid4()
    note = services.record_goal_progress(
        goal, actor=peer, note="I called and I am on the list", attainment=2, client_id=key
    )
    assert (note.steps_done, note.steps_total, note.percent_done) == (1, 2, 50)
    again = services.record_goal_progress(
        goal, actor=peer, note="I called and I am on the list", attainment=2, client_id=key
    )
    assert again.pk == note.pk
    assert GoalProgress.objects.count() == 1
    with pytest.raises(Conflict):
        services.record_goal_progress(goal, actor=peer, note="Other words", client_id=key)
    with pytest.raises(ValidationError) as exc:
        services.record_goal_progress(goal, actor=peer, note="", attainment=9)
    assert {"note", "attainment"} <= set(exc.value.message_dict)
    assert GoalProgress.objects.count() == 1
    event = AuditEvent.objects.filter(object_id=str(note.public_id)).get()
    assert event.action == "create"
    assert event.detail["steps"] == "1/2"
    fresh = selectors.goals_of(world.person_a).get(pk=goal.pk)
    chart = selectors.attainment_chart(fresh)
    assert [p["value"] for p in chart.points] == ["2"]


def test_bad_goal_is_refused_and_nothing_stored(world: World) -> None:
    with pytest.raises(ValidationError) as exc:
        services.create_goal(world.person_a, actor=world.user("peer"), domain="moon", statement=" ")
    assert {"domain", "statement"} <= set(exc.value.message_dict)
    assert not GoalStep.objects.exists()


def test_pages_for_a_peer(world: World, signed_in: Any) -> None:
    client = signed_in("peer")
    person = world.person_a
    response = client.post(
        reverse("recovery:wellness-plan-edit", args=[person.public_id]),
        {
            "toolbox": "Walk by the river\nMusic",
            "early_warning": "Sleeping all day",
            "crisis": "Call Dana",
            "review_on": review_on().isoformat(),
        },
    )
    assert response.status_code == 302
    version = WellnessPlanVersion.objects.get(person=person)
    response = client.post(
        reverse("recovery:wellness-plan-sign", args=[version.public_id]),
        {"person_signature": "tablet", "typed_name": "Alex Rivera", "staff_confirms": "on"},
    )
    assert response.status_code == 302
    version.refresh_from_db()
    assert version.is_signed
    response = client.post(
        reverse("recovery:goal-create", args=[person.public_id]),
        {"domain": "work", "statement": "Part-time work", "steps": "Resume\nCall Sam"},
    )
    assert response.status_code == 302
    goal = person.recovery_goals.get()
    response = client.post(
        reverse("recovery:goal-progress", args=[goal.public_id]),
        {"note": "Resume is done", "attainment": "3", "noted_on": review_on(0).isoformat()},
    )
    assert response.status_code == 302
    page = client.get(reverse("recovery:person", args=[person.public_id])).content.decode()
    assert "Part-time work" in page
    assert "Wellness plan" in page
    page = client.get(reverse("recovery:goal-detail", args=[goal.public_id])).content.decode()
    assert "Resume is done" in page
    assert "<svg" in page
    assert "<table" in page
    person_page = client.get(reverse("people:person-detail", args=[person.public_id]))
    assert "Wellness plan and goals" in person_page.content.decode()
    pdf = client.get(reverse("recovery:wellness-plan-pdf", args=[version.public_id]))
    assert pdf["Content-Type"] == "application/pdf"


def test_api_draft_sign_goal_and_progress(world: World) -> None:
    api = api_as(world.user("peer"))
    person = world.person_a.public_id
    response = api.post(
        f"/recovery/persons/{person}/wellness-plan/draft",
        {"review_on": review_on().isoformat(), "sections": WORDS},
    )
    assert response.status_code == 200, response.content
    version = response.json()
    response = api.post(
        f"/recovery/wellness-plans/{version['public_id']}/sign",
        {"person_signature": "tablet", "typed_name": "Alex Rivera"},
    )
    assert response.json()["status"] == "signed"
    listed = api.get(f"/recovery/persons/{person}/wellness-plan/versions").json()
    assert [v["number"] for v in listed] == [1]
    response = api.post(
        f"/recovery/persons/{person}/goals",
        {"domain": "health", "statement": "Walk 20 minutes a day", "steps": [{"text": "Shoes"}]},
    )
    assert response.status_code == 201, response.content
    goal = response.json()
    key = str(uuid.uuid4())
    body = {"note": "Walked three days", "attainment": 3, "client_id": key}
    first = api.post(f"/recovery/goals/{goal['public_id']}/progress", body)
    second = api.post(f"/recovery/goals/{goal['public_id']}/progress", body)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert GoalProgress.objects.count() == 1
    goals = api.get(f"/recovery/persons/{person}/goals").json()
    assert goals[0]["percent_steps_done"] == 0
    refused = api_as(world.user("bht")).get(f"/recovery/persons/{person}/goals")
    assert refused.status_code == 403


def test_an_outsider_sees_no_plan(world: World) -> None:
    signed = sign(draft(world), world)
    with pytest.raises(Http404):
        selectors.get_version_for(world.user("outsider"), signed.public_id, what="x")
    stranger = make_person("MRN-X9", "Nobody")
    with pytest.raises(Http404):
        services.create_goal(stranger, actor=world.user("peer"), domain="work", statement="x")


def test_a_step_sent_twice_is_added_once(world: World, client: Any) -> None:
    """The goal page's step form carries a replay key: a double tap adds one step; the same key
    with other words is refused, nothing stored."""
    peer = world.user("peer")
    goal = services.create_goal(
        world.person_a, actor=peer, domain="housing", statement="A place of my own"
    )
    key = uuid.uuid4()
    first = services.add_goal_step(goal, actor=peer, text="Call the office", client_id=key)
    again = services.add_goal_step(goal, actor=peer, text="Call the office", client_id=key)
    assert again.pk == first.pk
    with pytest.raises(Conflict):
        services.add_goal_step(goal, actor=peer, text="Other words", client_id=key)
    assert GoalStep.objects.filter(goal=goal).count() == 1
    client.force_login(peer)
    page = client.get(reverse("recovery:goal-detail", args=[goal.public_id])).content.decode()
    assert 'name="client_id"' in page
    url = reverse("recovery:goal-step-add", args=[goal.public_id])
    form = {"text": "Save the deposit", "client_id": str(uuid.uuid4())}
    client.post(url, form)
    client.post(url, form)
    assert [s.text for s in GoalStep.objects.filter(goal=goal)] == [
        "Call the office",
        "Save the deposit",
    ]
