"""The floor knows, at the moment of assigning: the 1:1 coverage, restraint team and encounter
screens say before submit who may not take the task and who may with a warning (the reason
naming the lapsed credential or training), a block comes back on the form, a warning is said
after the write, and the API answers carry the warnings. One hook registry serves the floor
gate, staff changes and supervisor checks."""

from __future__ import annotations

import html
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from pillars.core import clock
from pillars.core.tests.api_support import api_as
from pillars.people import hooks
from pillars.people.testing import World, make_staff
from pillars.recovery.tests.test_encounters_services import billing, goal
from pillars.rounds.models import Coverage
from pillars.rounds.tests.floor import order_for
from pillars.workforce.models.gating import FloorRule, FloorWarning
from pillars.workforce.services.gating import check, check_many
from pillars.workforce.tests.test_floor import hold, rule, trained

pytestmark = pytest.mark.django_db


def _lapsed_nci(world: World, who: str = "bht") -> None:
    today = clock.organization_today()
    hold(world, who, "cpr-bls", today - timedelta(days=30))
    hold(world, who, "nci", today - timedelta(days=400))  # 12 months: lapsed
    trained(world, who)


def _messages(response: Any) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


# --- Rounds: 1:1 coverage ---------------------------------------------------------------------


def test_the_one_to_one_form_says_who_is_blocked_before_submit_and_refuses(
    world: World, signed_in: Any
) -> None:
    _lapsed_nci(world)
    order = order_for(world, code="one-to-one")
    nurse = signed_in("nurse")
    url = reverse("rounds:coverage-start", args=[order.public_id])
    page = html.unescape(nurse.get(url).content.decode())
    assert "Credentials and trainings for this task" in page
    assert "Not allowed" in page
    assert "Nonviolent crisis intervention expired on" in page
    assert f"{world.staff['bht'].display_name} (not allowed: see why below)" in page
    # The nurse (current, no rule problem) is offered plainly.
    assert f">{world.staff['nurse'].display_name}<" in page
    answer = nurse.post(url, {"staff": str(world.staff["bht"].public_id)})
    assert answer.status_code == 200
    assert "crisis intervention expired on" in html.unescape(answer.content.decode())
    assert not Coverage.objects.exists()


def test_a_warned_one_to_one_goes_through_and_says_the_warning(
    world: World, signed_in: Any
) -> None:
    r = rule("one_to_one")
    r.effect = "warn"
    r.save()
    _lapsed_nci(world)
    order = order_for(world, code="one-to-one")
    nurse = signed_in("nurse")
    url = reverse("rounds:coverage-start", args=[order.public_id])
    page = html.unescape(nurse.get(url).content.decode())
    assert "(allowed with a warning: see below)" in page
    assert "Allowed with a warning" in page
    answer = nurse.post(url, {"staff": str(world.staff["bht"].public_id)}, follow=True)
    assert Coverage.objects.filter(staff=world.staff["bht"]).exists()
    said = _messages(answer)
    assert any(m.startswith("Allowed with a warning:") and "crisis intervention" in m for m in said)
    assert FloorWarning.objects.filter(task="one_to_one", subject_id=order.public_id).count() == 1


def test_the_api_answers_the_warning_with_the_coverage(world: World) -> None:
    r = rule("one_to_one")
    r.effect = "warn"
    r.save()
    _lapsed_nci(world)
    order = order_for(world, code="one-to-one")
    answer = api_as(world.user("nurse")).post(
        f"/orders/{order.public_id}/coverage", {"staff": str(world.staff["bht"].public_id)}
    )
    assert answer.status_code == 201, answer.content
    [warning] = answer.json()["floor_warnings"]
    assert "Nonviolent crisis intervention expired on" in warning


# --- Incidents: restraint team ----------------------------------------------------------------


def test_the_restraint_start_form_lists_the_warning_and_the_api_answers_it(
    world: World, signed_in: Any
) -> None:
    hold(world, "bht", "nci", clock.organization_today() - timedelta(days=400))  # warns by default
    nurse = signed_in("nurse")
    url = reverse("incidents:restraint-start", args=[world.person_a.public_id])
    page = html.unescape(nurse.get(url).content.decode())
    assert "Allowed with a warning" in page
    assert "Nonviolent crisis intervention expired on" in page
    assert "(allowed with a warning: see below)" in page
    answer = api_as(world.user("nurse")).post(
        f"/persons/{world.person_a.public_id}/restraint",
        {
            "kind": "physical_hold",
            "reason": "Hit a peer",
            "release_criteria": "Calm",
            "started_at": (clock.now() - timedelta(minutes=5)).isoformat(),
            "ordered_by": str(world.staff["clinician"].public_id),
            "staff": [str(world.staff["bht"].public_id)],
        },
    )
    assert answer.status_code == 201, answer.content
    [warning] = answer.json()["floor_warnings"]
    assert "crisis intervention" in warning


def test_a_blocking_restraint_rule_comes_back_on_the_form(world: World, signed_in: Any) -> None:
    hold(world, "bht", "nci", clock.organization_today() - timedelta(days=400))
    r = rule("restraint_team")
    r.effect = "block"
    r.save()
    nurse = signed_in("nurse")
    url = reverse("incidents:restraint-start", args=[world.person_a.public_id])
    page = html.unescape(nurse.get(url).content.decode())
    assert "(not allowed: see why below)" in page
    answer = nurse.post(
        url,
        {
            "kind": "physical_hold",
            "reason": "Hit a peer",
            "release_criteria": "Calm",
            "staff": [str(world.staff["bht"].public_id)],
        },
    )
    assert answer.status_code == 200
    assert "crisis intervention expired" in html.unescape(answer.content.decode())


# --- Recovery: billable peer services ---------------------------------------------------------


def test_the_encounter_form_warns_a_peer_whose_certification_lapsed_only_when_it_bills(
    world: World, signed_in: Any
) -> None:
    from datetime import date

    hold(world, "peer", "state-peer", date(2021, 10, 1))  # expired 1 September 2023
    peer = signed_in("peer")
    url = reverse("recovery:encounter-new", args=[world.person_a.public_id])
    page = html.unescape(peer.get(url).content.decode())
    assert "Credentials and trainings for this task" not in page  # the program does not bill
    billing(world)
    page = html.unescape(peer.get(url).content.decode())
    assert "State peer certification expired on 1 September 2023" in page
    assert "an encounter that is not billed can still be written" in page
    r = rule("billable_peer_service")
    r.effect = "warn"
    r.save()
    g = goal(world)
    answer = api_as(world.user("peer")).post(
        "/encounters",
        {
            "person": str(world.person_a.public_id),
            "modality": "in_person",
            "setting": "unit",
            "started_at": (clock.now() - timedelta(hours=1)).isoformat(),
            "minutes": 30,
            "what_was_done": "We looked at job listings together.",
            "goal": str(g.public_id),
            "credential": "CPS",
        },
    )
    assert answer.status_code == 201, answer.content
    assert answer.json()["billing_units"]
    [warning] = answer.json()["floor_warnings"]
    assert "State peer certification expired" in warning


# --- The gate itself and the registry ---------------------------------------------------------


def test_check_many_answers_like_check_for_each_in_one_set_of_queries(world: World) -> None:
    r = rule("one_to_one")
    r.missing_effect = "block"
    r.save()
    _lapsed_nci(world)
    staff = [world.staff["bht"], world.staff["nurse"], world.staff["peer"]]
    many = check_many(staff, "one_to_one")
    for member in staff:
        assert many[member.pk] == check(member, "one_to_one")
    assert [p.requirement for p in many[world.staff["bht"].pk]] == ["nci"]
    with CaptureQueriesContext(connection) as few:
        check_many(staff[:1], "one_to_one")
    more = [make_staff(f"t-many{n}", ["bht"], [world.unit_a]) for n in range(6)]
    with CaptureQueriesContext(connection) as many_queries:
        check_many(staff + more, "one_to_one")
    assert len(many_queries) == len(few)


def test_one_registry_holds_every_hook() -> None:
    from pillars.people import services as people_services
    from pillars.workforce.services.gating import record_warnings
    from pillars.workforce.services.supervision import supervisor_check
    from pillars.workforce.services.trainings import on_staff_changed

    assert hooks.registered(hooks.HookPoint.FLOOR_CHECK) == [check_many]
    assert hooks.registered(hooks.HookPoint.FLOOR_RECORD) == [record_warnings]
    assert supervisor_check in hooks.registered(hooks.HookPoint.SUPERVISOR_CHECK)
    assert on_staff_changed in hooks.registered(hooks.HookPoint.STAFF_CHANGED)
    assert not hasattr(people_services, "add_supervisor_check")
    # Registering twice keeps one; a single point keeps the last installed.
    hooks.add_supervisor_check(supervisor_check)
    assert hooks.registered(hooks.HookPoint.SUPERVISOR_CHECK).count(supervisor_check) == 1
    hooks.set_floor_gate(checker=check_many, recorder=record_warnings)
    assert hooks.registered(hooks.HookPoint.FLOOR_CHECK) == [check_many]


def test_with_no_rules_nothing_is_said(world: World, signed_in: Any) -> None:
    FloorRule.objects.all().delete()
    _lapsed_nci(world)
    order = order_for(world, code="one-to-one")
    page = signed_in("nurse").get(reverse("rounds:coverage-start", args=[order.public_id]))
    assert "Credentials and trainings for this task" not in page.content.decode()
    assert not hooks.floor_notes([world.staff["bht"]], hooks.FloorTask.ONE_TO_ONE)
