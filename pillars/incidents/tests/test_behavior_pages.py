"""Behavior pages: the plan editor makes versions, the fast ABC form from the board saves one
record (a double submit is a replay), the chart shows the numbers, the person page shows the
section, and the board gives each person with a plan a "Record behavior" link."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from pillars.core import clock
from pillars.incidents.models import BehaviorPlan, BehaviorRecord
from pillars.incidents.services import behavior as services
from pillars.people.testing import World, make_person, place
from pillars.rounds import board_extras
from pillars.rounds import services as rounds_services
from pillars.rounds.models import ObservationLevel

pytestmark = pytest.mark.django_db


def plan_post(**extra: Any) -> dict[str, Any]:
    return {
        "effective_on": clock.organization_today().isoformat(),
        "target_1_name": "Hitting",
        "target_1_definition": "Hand contact with another person, with force.",
        "target_1_measure": "frequency",
        "antecedents": "Asked to stop an activity\nPeer conflict",
        "consequences": "Verbal redirection\nOffered space",
        **extra,
    }


def make_plan(world: World, person: Any = None) -> BehaviorPlan:
    return services.write_plan(
        person or world.person_a,
        actor=world.user("clinician"),
        effective_on=clock.organization_today(),
        targets=[
            {"name": "Hitting", "definition": "Hand contact, with force.", "measure": "frequency"}
        ],
        antecedents=["Peer conflict"],
        consequences=["Offered space"],
    )


def test_plan_editor_makes_versions(world: World, signed_in: Any) -> None:
    client = signed_in("clinician")
    url = reverse("incidents:behavior-plan-edit", args=[world.person_a.public_id])
    assert client.get(url).status_code == 200
    response = client.post(url, plan_post())
    assert response.status_code == 302
    # A change without a reason is refused on the form; nothing new is stored.
    response = client.post(url, plan_post(target_1_name="Hitting others"))
    assert response.status_code == 200
    assert "Say why the plan changes." in response.content.decode()
    assert BehaviorPlan.objects.count() == 1
    client.post(url, plan_post(change_reason="Clearer name"))
    assert list(BehaviorPlan.objects.values_list("version", "is_current").order_by("version")) == [
        (1, False),
        (2, True),
    ]
    page = client.get(reverse("incidents:behavior-plan", args=[world.person_a.public_id]))
    text = page.content.decode()
    assert "Version 2" in text
    assert "Version 1" in text
    assert "Clearer name" in text


def test_bht_records_from_the_form_and_a_double_submit_is_one_record(
    world: World, signed_in: Any
) -> None:
    plan = make_plan(world)
    client = signed_in("bht")
    url = reverse("incidents:behavior-record-new", args=[world.person_a.public_id])
    form = client.get(url).content.decode()
    client_id = re.search(r'name="client_id" value="([^"]+)"', form)
    assert client_id is not None
    assert "Peer conflict" in form
    observed = clock.local(clock.now(), "America/Chicago").strftime("%Y-%m-%dT%H:%M")
    data = {
        "client_id": client_id.group(1),
        "target": str(plan.targets.get().public_id),
        "antecedent": "Peer conflict",
        "consequence": "__other__",
        "consequence_other": "Walked with staff",
        "count": "3",
        "intensity": "2",
        "observed_at": observed,
    }
    first = client.post(url, data)
    assert first.status_code == 302
    again = client.post(url, data)
    assert again.status_code == 302
    record = BehaviorRecord.objects.get()
    assert record.consequence == "Walked with staff"
    assert record.count == 3
    chart = client.get(first["Location"]).content.decode()
    assert "Hitting: 3 in 30 days" in chart
    assert "Walked with staff" in chart


def test_bad_abc_entry_shows_errors_and_stores_nothing(world: World, signed_in: Any) -> None:
    plan = make_plan(world)
    client = signed_in("bht")
    url = reverse("incidents:behavior-record-new", args=[world.person_a.public_id])
    old = clock.local(clock.now() - timedelta(hours=1), "America/Chicago")
    response = client.post(
        url,
        {
            "client_id": "2b1f3e56-8d0a-4c55-9a44-3d7e2f1a0c9b",
            "target": str(plan.targets.get().public_id),
            "antecedent": "__other__",
            "antecedent_other": "",
            "consequence": "Offered space",
            "count": "1",
            "observed_at": old.strftime("%Y-%m-%dT%H:%M"),
        },
    )
    text = response.content.decode()
    assert response.status_code == 200
    assert "Say what happened just before." in text
    assert "say why" in text
    assert not BehaviorRecord.objects.exists()


def test_person_page_section_and_board_link(world: World, signed_in: Any) -> None:
    make_plan(world)
    # The board lists persons on observation.
    rounds_services.order_observation(
        world.person_a,
        actor=world.user("nurse"),
        level=ObservationLevel.objects.get(code="q15", is_current=True),
        reason="Admission default",
    )
    client = signed_in("bht")
    person_page = client.get(reverse("people:person-detail", args=[world.person_a.public_id]))
    assert "Behavior plan" in person_page.content.decode()
    board = client.get(reverse("rounds:board", args=[world.unit_a.public_id]))
    record_url = reverse("incidents:behavior-record-new", args=[world.person_a.public_id])
    assert record_url in board.content.decode()


def test_board_rows_cost_one_query_whatever_the_census(world: World, rf: Any) -> None:
    ids = []
    for n in range(6):
        person = make_person(f"MRN-X{n}", f"Person{n}")
        place(person, world.unit_a, None, world.staff["nurse"])
        make_plan(world, person)
        ids.append(person.pk)
    request = rf.get("/")
    request.user = world.user("bht")
    from pillars.core import policy

    policy.actor_for(request.user)  # the actor is loaded once per request, before the board
    with CaptureQueriesContext(connection) as queries:
        extras = board_extras.row_extras(request, world.unit_a, ids)
    assert len(extras) == 6
    assert len([q for q in queries if "incidents_behaviorplan" in q["sql"]]) == 1


def test_chart_by_shift_and_addendum_page(world: World, signed_in: Any) -> None:
    plan = make_plan(world)
    record = services.record_behavior(
        world.person_a,
        actor=world.user("bht"),
        target=plan.targets.get(),
        observed_at=clock.now(),
        antecedent="Peer conflict",
        consequence="Offered space",
        client_id=uuid.UUID("7c9e6679-7425-40de-944b-e07fc1f90ae7"),
    )
    client = signed_in("nurse")
    chart = client.get(
        reverse("incidents:behavior-chart", args=[world.person_a.public_id]) + "?by=shift&days=14"
    )
    assert "in 28 shifts" in chart.content.decode()
    url = reverse("incidents:behavior-record-addendum", args=[record.public_id])
    response = client.post(url, {"reason": "Wrong count", "text": "Twice"})
    assert response.status_code == 302
    assert record.addenda.count() == 1


def test_a_form_opened_before_the_plan_changed_asks_again(world: World, signed_in: Any) -> None:
    old = make_plan(world)
    services.write_plan(
        world.person_a,
        actor=world.user("clinician"),
        effective_on=clock.organization_today(),
        targets=[
            {"name": "Hitting", "definition": "Closed hand, with force.", "measure": "frequency"}
        ],
        antecedents=["Peer conflict"],
        consequences=["Offered space"],
        change_reason="Narrower definition",
    )
    client = signed_in("bht")
    url = reverse("incidents:behavior-record-new", args=[world.person_a.public_id])
    response = client.post(
        url,
        {
            "client_id": str(uuid.uuid4()),
            "target": str(old.targets.get().public_id),
            "antecedent": "Peer conflict",
            "consequence": "Offered space",
            "count": "1",
            "observed_at": clock.local(clock.now(), "America/Chicago").strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert response.status_code == 200
    assert "The plan has changed since this form was opened." in response.content.decode()
    assert not BehaviorRecord.objects.exists()


def test_the_person_page_section_shows_the_plan_in_force(world: World, signed_in: Any) -> None:
    services.write_plan(
        world.person_a,
        actor=world.user("clinician"),
        effective_on=clock.organization_today(),
        targets=[
            {"name": "Hitting", "definition": "Hand contact.", "measure": "frequency"},
            {"name": "Shouting <loud>", "definition": "Raised voice.", "measure": "intensity"},
        ],
        antecedents=["Peer conflict"],
        consequences=["Offered space"],
    )
    today = clock.today_in(world.unit_a.time_zone)
    services.change_phase(
        world.person_a, actor=world.user("clinician"), name="Intervention", started_on=today
    )
    page = signed_in("nurse").get(reverse("people:person-detail", args=[world.person_a.public_id]))
    body = page.content.decode()
    assert (
        '<dt>Targets</dt><dd>Hitting <span class="hint">(Frequency (how many times))</span>; '
        'Shouting &lt;loud&gt; <span class="hint">(Intensity (1-5))</span></dd>'
    ) in body
    assert f"Intervention since {today:%Y-%m-%d}" in body
    assert "None in force" in body
    assert reverse("incidents:behavior-record-new", args=[world.person_a.public_id]) in body
    assert reverse("incidents:behavior-chart", args=[world.person_a.public_id]) in body
    # A nurse records behavior but does not write plans.
    assert reverse("incidents:behavior-plan-edit", args=[world.person_a.public_id]) not in body


def test_the_person_page_section_writes_the_version_line_and_a_missing_phase(
    world: World, signed_in: Any
) -> None:
    today = clock.organization_today()
    services.write_plan(
        world.person_a,
        actor=world.user("clinician"),
        effective_on=today,
        targets=[{"name": "Hitting", "definition": "Hand contact.", "measure": "duration"}],
        antecedents=["Peer conflict"],
        consequences=["Offered space"],
    )
    page = signed_in("nurse").get(reverse("people:person-detail", args=[world.person_a.public_id]))
    body = page.content.decode()
    writer = world.staff["clinician"].display_name
    assert f"<dt>Version</dt><dd>1, in effect from {today:%Y-%m-%d} ({writer})</dd>" in body
    assert '<dd>Hitting <span class="hint">(Duration (how long))</span></dd>' in body
    assert "<dt>Phase</dt><dd>No phase set</dd>" in body
    assert "<dt>Contract</dt><dd>None in force</dd>" in body


def test_plan_targets_are_the_names_and_measures_in_order(world: World) -> None:
    from pillars.incidents.selectors import behavior as selectors

    clinician, today = world.user("clinician"), clock.organization_today()
    services.write_plan(
        world.person_a,
        actor=clinician,
        effective_on=today,
        targets=[
            {"name": "Shouting", "definition": "Raised voice.", "measure": "duration"},
            {"name": "Hitting", "definition": "Hand contact.", "measure": "frequency"},
        ],
        antecedents=["Peer conflict"],
        consequences=["Offered space"],
    )
    services.change_phase(world.person_a, actor=clinician, name="Baseline", started_on=today)
    assert selectors.plan_targets_later(world.person_a, clinician).rows() == [
        ("Shouting", "duration"),
        ("Hitting", "frequency"),
    ]
    assert [p.name for p in selectors.latest_phase_later(world.person_a, clinician).rows()] == [
        "Baseline"
    ]
    # Once the plan has ended there is no plan in force: its targets and phase are not read.
    services.end_plan(world.person_a, actor=clinician, ended_on=today, reason="Goals met")
    assert selectors.plan_targets_later(world.person_a, clinician).rows() == []
    assert selectors.latest_phase_later(world.person_a, clinician).rows() == []
