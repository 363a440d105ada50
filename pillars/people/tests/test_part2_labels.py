"""Records keep the label of the program that made them (42 CFR Part 2): after a transfer out
of the substance-use program, the receiving unit sees nothing written there unless an
emergency-access grant (or, later, a consent) opens it, and then the read is logged."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from pillars.audit.choices import Category
from pillars.audit.models import AuditEvent
from pillars.audit.verify import verify_database
from pillars.core import clock, policy
from pillars.core.roles import RoleCode
from pillars.core.tests.api_support import api_as
from pillars.incidents.models import (
    BehaviorContract,
    BehaviorPlan,
    ContractStatus,
    Incident,
    PlanPhase,
    SafetyPlanVersion,
)
from pillars.incidents.selectors import behavior as behavior_selectors
from pillars.incidents.selectors import incidents as incident_selectors
from pillars.incidents.selectors import safety as safety_selectors
from pillars.people import services as people_services
from pillars.people.choices import CaseloadKind
from pillars.people.labels import backfill_labels, restrict_key
from pillars.people.models import CaseloadAssignment, Placement
from pillars.people.testing import World, make_person, make_staff, make_unit, place
from pillars.people.tests.part2_support import Part2Story, build_story, check_now
from pillars.rounds import board_extras
from pillars.rounds.models import Check, ObservationLevel, ObservationOrder, SetAsideCheck
from pillars.rounds.selectors import orders as order_selectors
from pillars.rounds.services import orders as order_services
from pillars.rounds.services.sync import record_checks
from pillars.rounds.tests.test_sync import item

pytestmark = pytest.mark.django_db


@pytest.fixture
def story(world: World) -> Part2Story:
    return build_story(world)


def test_every_record_is_stamped_with_the_program_that_made_it(story: Part2Story) -> None:
    for record in (story.order, story.check, story.incident, story.plan, story.record):
        record.refresh_from_db()
        assert (record.made_in_unit_id, record.is_part2) == (story.sud.pk, True), record
    story.safety.refresh_from_db()
    assert story.safety.is_part2
    # After the transfer, what unit A writes is unit A's.
    level = ObservationLevel.objects.get(code="q15", is_current=True)
    nurse = story.world.user("nurse")
    order = order_services.order_observation(
        story.person, actor=nurse, level=level, reason="Fall risk on arrival"
    )
    check = check_now(order, nurse)
    for record in (order, check):
        assert (record.made_in_unit_id, record.is_part2) == (story.world.unit_a.pk, False)
    # The transfer did not move the label.
    story.check.refresh_from_db()
    assert story.check.made_in_unit_id == story.sud.pk


def test_a_synced_batch_labels_each_check_and_names_its_category_as_one_check_would(
    story: Part2Story,
) -> None:
    """The tablet's batch sync labels a check with the unit the person is on when it is
    observed, and files its audit event as Part 2 when the person was ever in a program: the
    same answers as a single check, from one read of the persons' placements."""
    nurse = story.world.user("nurse")
    level = ObservationLevel.objects.get(code="q15", is_current=True)
    orders = [
        order_services.order_observation(person, actor=nurse, level=level, reason="Fall risk")
        for person in (story.person, story.world.person_a)
    ]
    results = record_checks([item(order, observed_at=clock.now()) for order in orders], actor=nurse)
    assert [r.status for r in results] == ["created", "created"]
    checks = [Check.objects.get(public_id=r.check) for r in results if r.check is not None]
    assert [(c.made_in_unit_id, c.is_part2) for c in checks] == [
        (story.world.unit_a.pk, False),
        (story.world.unit_a.pk, False),
    ]
    categories = [
        AuditEvent.objects.get(object_type="rounds.check", object_id=str(c.public_id)).category
        for c in checks
    ]
    assert categories == [Category.SUBSTANCE_USE, Category.GENERAL]
    # The single check's answers, for the same two persons.
    singles = [check_now(order, nurse) for order in orders]
    assert [
        AuditEvent.objects.get(object_type="rounds.check", object_id=str(c.public_id)).category
        for c in singles
    ] == categories


def test_the_receiving_unit_does_not_see_what_the_program_wrote(
    story: Part2Story, signed_in: Any
) -> None:
    nurse = story.world.user("nurse")
    person = story.person
    # The person is in scope (placed on unit A now) ...
    assert policy.is_visible(nurse, person)
    # ... their Part 2 records are not: lists, sections and details alike.
    assert order_selectors.order_history(person, nurse) == []
    assert order_selectors.current_order(person, nurse) is None
    assert list(safety_selectors.versions_of(person, nurse)) == []
    assert behavior_selectors.plan_history(person, nurse) == []
    assert not incident_selectors.incidents_visible_to(nurse).filter(pk=story.incident.pk).exists()
    with pytest.raises(Http404):
        order_selectors.get_check_for(nurse, story.check.public_id)
    client = signed_in("nurse")
    detail = client.get(reverse("people:person-detail", args=[person.public_id]))
    assert detail.status_code == 200
    page = detail.content.decode()
    for secret in ("Withdrawal watch", "recovery cafe", "Leaving the unit", "buy alcohol"):
        assert secret not in page
    history = client.get(reverse("rounds:order-history", args=[person.public_id]))
    assert "Withdrawal watch" not in history.content.decode()
    plan_page = client.get(reverse("incidents:safety-plan", args=[person.public_id]))
    assert "recovery cafe" not in plan_page.content.decode()
    behavior = client.get(reverse("incidents:behavior-plan", args=[person.public_id]))
    assert "Leaving the unit" not in behavior.content.decode()
    for url in (
        reverse("incidents:incident-detail", args=[story.incident.public_id]),
        reverse("incidents:safety-plan-version", args=[story.safety.public_id]),
        reverse("incidents:safety-plan-pdf", args=[story.safety.public_id]),
        reverse("rounds:check-addendum", args=[story.check.public_id]),
    ):
        assert client.get(url).status_code == 404, url
    api = api_as(nurse)
    assert api.get(f"/persons/{person.public_id}/orders").json() == []
    assert api.get(f"/orders/{story.order.public_id}").status_code == 404
    assert api.get(f"/persons/{person.public_id}/safety-plan/versions").json() == []


def test_new_records_of_the_receiving_unit_are_seen(story: Part2Story) -> None:
    nurse = story.world.user("nurse")
    level = ObservationLevel.objects.get(code="q15", is_current=True)
    order = order_services.order_observation(
        story.person, actor=nurse, level=level, reason="Fall risk on arrival"
    )
    check_now(order, nurse)
    # The new order replaced the hidden one; the unit A team sees its own.
    story.order.refresh_from_db()
    assert story.order.ended_at is not None
    history = order_selectors.order_history(story.person, nurse)
    assert [o.pk for o in history] == [order.pk]
    assert order_selectors.current_order(story.person, nurse) == order
    checks = order_selectors.recent_checks(
        list(ObservationOrder.objects.filter(person=story.person)), user=nurse
    )
    assert [c.order_id for rows in checks.values() for c in rows] == [order.pk]


def test_the_program_team_and_its_director_still_see_them(story: Part2Story) -> None:
    director = story.user("sud_director")
    assert order_selectors.order_history(story.person, director)
    assert list(safety_selectors.versions_of(story.person, director)) == [story.safety]
    assert behavior_selectors.plan_history(story.person, director) == [story.plan]
    # The incident belongs to the program's unit: its nurse still reads it.
    incident = incident_selectors.get_incident_for(
        story.user("sud_nurse"), story.incident.public_id
    )
    assert incident == story.incident
    # A director of another unit (organization-wide sight) does not.
    other = make_staff("a-director", ["director"], [story.world.unit_a]).user
    assert order_selectors.order_history(story.person, other) == []
    with pytest.raises(Http404):
        incident_selectors.get_incident_for(other, story.incident.public_id)


def test_emergency_access_opens_them_and_the_read_is_logged(
    story: Part2Story, signed_in: Any
) -> None:
    nurse = story.world.user("nurse")
    people_services.start_emergency_access(
        story.person, actor=nurse, reason="Unresponsive; need the withdrawal history now"
    )
    client = signed_in("nurse")
    history = client.get(reverse("rounds:order-history", args=[story.person.public_id]))
    assert "Withdrawal watch" in history.content.decode()
    plan = client.get(reverse("incidents:safety-plan-version", args=[story.safety.public_id]))
    assert plan.status_code == 200
    events = AuditEvent.objects.filter(object_id="part2-disclosure")
    assert events.exists()
    assert {e.detail["disclosure"] for e in events} == {"emergency"}
    assert {e.purpose for e in events} == {"emergency"}
    assert {e.category for e in events} == {"part2"}
    assert str(story.person.public_id) in events.first().detail["person_ids"]  # type: ignore[union-attr]


def test_a_phase_and_a_contract_read_for_the_person_page_are_logged_when_a_grant_opens_them(
    story: Part2Story,
) -> None:
    """The person page's behavior section reads the latest phase and the contract's review date
    as single values; a Part 2 row opened by an emergency grant is still a logged disclosure."""
    nurse = story.world.user("nurse")
    sud_nurse = story.sud_nurse
    now = clock.now()
    phase = PlanPhase.objects.create(
        person=story.person,
        name="Intervention",
        started_on=now.date(),
        set_by=sud_nurse,
        recorded_at=now,
    )
    contract = BehaviorContract.objects.create(
        person=story.person,
        plan=story.plan,
        terms="Terms",
        rewards="Rewards",
        review_on=now.date(),
        written_by=sud_nurse,
        written_at=now,
        status=ContractStatus.SIGNED,
        person_signed_at=now,
        staff_signed_at=now,
        staff_signed_by=sud_nurse,
    )
    for model, pk in ((PlanPhase, phase.pk), (BehaviorContract, contract.pk)):
        model.objects.filter(pk=pk).update(is_part2=True, made_in_unit=story.sud)
    assert behavior_selectors.latest_phase_later(story.person, nurse).rows() == []
    people_services.start_emergency_access(
        story.person, actor=nurse, reason="Unresponsive; need the behavior plan now"
    )
    policy.forget(nurse)
    before = set(AuditEvent.objects.values_list("pk", flat=True))
    phases = behavior_selectors.latest_phase_later(story.person, nurse).rows()
    assert [(p.name, p.started_on) for p in phases] == [("Intervention", now.date())]
    contracts = behavior_selectors.contract_in_force_later(story.person, nurse).rows()
    assert [c.review_on for c in contracts] == [now.date()]
    logged = AuditEvent.objects.exclude(pk__in=before).filter(object_id="part2-disclosure")
    assert set(logged.values_list("object_type", flat=True)) == {
        "incidents.planphase",
        "incidents.behaviorcontract",
    }


def test_a_read_kept_once_built_logs_its_disclosure_to_whoever_reads_it_now(
    story: Part2Story,
) -> None:
    """The person page's reads are built once per reader's labels (``policy.readable_rows``):
    two nurses of one unit, each under an emergency grant for the person, share one kept read of
    the plan, and each one's disclosure is logged as theirs."""
    first = story.world.user("nurse")
    second = make_staff("nurse-two", [RoleCode.NURSE], [story.world.unit_a]).user
    for user in (first, second):
        people_services.start_emergency_access(
            story.person, actor=user, reason="Unresponsive; need the behavior plan now"
        )
        policy.forget(user)
    assert restrict_key(policy.actor_for(first)) == restrict_key(policy.actor_for(second))
    for user in (first, second):
        before = set(AuditEvent.objects.values_list("pk", flat=True))
        latest = behavior_selectors.latest_plan_summary(story.person, user)
        assert latest is not None
        assert latest.pk == story.plan.pk
        logged = AuditEvent.objects.exclude(pk__in=before).filter(object_id="part2-disclosure")
        assert [(e.object_type, e.actor_id) for e in logged] == [
            ("incidents.behaviorplan", user.pk)
        ]
    # A reader of the unit with no grant has a key of their own and does not see the plan.
    third = make_staff("nurse-three", [RoleCode.NURSE], [story.world.unit_a]).user
    assert restrict_key(policy.actor_for(third)) != restrict_key(policy.actor_for(first))
    assert behavior_selectors.latest_plan_summary(story.person, third) is None


def test_a_read_of_values_or_of_a_records_parts_opened_by_a_grant_is_logged(
    story: Part2Story,
) -> None:
    """A read that returns no records (a ``values`` read of the persons with a plan) still
    tells that a Part 2 record exists, and a part of a record (a set-aside check of a Part 2
    order) is read through that record's label: opened by a grant, both are logged disclosures
    of the record behind them. The board's "has a behavior plan" reads the plans themselves
    and is logged the same."""
    nurse = story.world.user("nurse")
    SetAsideCheck.objects.create(
        unit=story.world.unit_a,
        order=story.order,
        submitted_by=story.world.staff["nurse"],
        submitted_at=clock.now(),
        problem="The order ended meanwhile.",
    )
    assert behavior_selectors.persons_with_plans([story.person.pk], nurse) == set()
    assert not policy.readable(SetAsideCheck.objects.all(), nurse).exists()
    people_services.start_emergency_access(
        story.person, actor=nurse, reason="Unresponsive; need the behavior plan now"
    )
    policy.forget(nurse)
    before = set(AuditEvent.objects.values_list("pk", flat=True))
    with_plans = policy.readable(BehaviorPlan.objects.all(), nurse).values_list("person_id")
    assert list(with_plans) == [(story.person.pk,)]
    assert len(policy.readable(SetAsideCheck.objects.all(), nurse)) == 1
    logged = AuditEvent.objects.exclude(pk__in=before).filter(object_id="part2-disclosure")
    assert sorted(logged.values_list("object_type", flat=True)) == [
        "incidents.behaviorplan",
        "rounds.observationorder",
    ]
    assert {e.detail["person_ids"][0] for e in logged} == {str(story.person.public_id)}
    # Read again by a new request's actor: the compiled read (core.prepared) logs it the same.
    policy.forget(nurse)
    again = set(AuditEvent.objects.values_list("pk", flat=True))
    assert behavior_selectors.persons_with_plans([story.person.pk], nurse) == {story.person.pk}
    logged = AuditEvent.objects.exclude(pk__in=again).filter(object_id="part2-disclosure")
    assert [(e.object_type, e.detail["person_ids"]) for e in logged] == [
        ("incidents.behaviorplan", [str(story.person.public_id)])
    ]


def test_a_values_read_of_records_whose_person_is_another_rows_is_logged(
    story: Part2Story,
) -> None:
    """A check names its person through its order, an incident through its persons involved:
    a ``values`` read of them that a grant opened is logged like any other (it once failed,
    looking for a person column these records do not have)."""
    nurse = story.world.user("nurse")
    people_services.start_emergency_access(
        story.person, actor=nurse, reason="Unresponsive; need the observation record now"
    )
    policy.forget(nurse)
    before = set(AuditEvent.objects.values_list("pk", flat=True))
    checks = policy.readable(Check.objects.filter(pk=story.check.pk), nurse)
    assert list(checks.values_list("public_id", flat=True)) == [story.check.public_id]
    incidents = policy.readable(Incident.objects.filter(pk=story.incident.pk), nurse)
    assert list(incidents.values_list("public_id", flat=True)) == [story.incident.public_id]
    logged = AuditEvent.objects.exclude(pk__in=before).filter(object_id="part2-disclosure")
    assert sorted(logged.values_list("object_type", flat=True)) == [
        "incidents.incident",
        "rounds.check",
    ]
    assert {e.detail["person_ids"][0] for e in logged} == {str(story.person.public_id)}


def test_a_values_read_of_a_programs_own_records_logs_nothing(story: Part2Story) -> None:
    """The program's own team reads its records without a disclosure, whatever the read's shape."""
    sud_nurse = story.sud_nurse.user
    before = AuditEvent.objects.count()
    assert behavior_selectors.persons_with_plans([story.person.pk], sud_nurse) == {story.person.pk}
    assert not AuditEvent.objects.filter(object_id="part2-disclosure").exists()
    assert AuditEvent.objects.count() == before


def test_other_units_and_roles_still_get_404(story: Part2Story, signed_in: Any) -> None:
    client = signed_in("outsider")
    assert (
        client.get(reverse("people:person-detail", args=[story.person.public_id])).status_code
        == 404
    )
    assert (
        client.get(
            reverse("incidents:safety-plan-version", args=[story.safety.public_id])
        ).status_code
        == 404
    )


def test_the_backfill_labels_rows_written_before_labels(story: Part2Story) -> None:
    for model in (ObservationOrder, Check, BehaviorPlan, SafetyPlanVersion, Incident):
        model.objects.update(made_in_unit=None, is_part2=False)
    backfill_labels(ObservationOrder, Placement, moment="started_at")
    backfill_labels(Check, Placement, person="order__person_id", moment="observed_at")
    backfill_labels(BehaviorPlan, Placement, moment="written_at")
    backfill_labels(SafetyPlanVersion, Placement, moment="drafted_at")
    backfill_labels(Incident, Placement, unit="unit_id")
    for record in (story.order, story.check, story.plan, story.safety, story.incident):
        record.refresh_from_db()
        assert (record.made_in_unit_id, record.is_part2) == (story.sud.pk, True), record


def test_the_board_names_the_person_whose_order_stayed_with_the_program(
    story: Part2Story, signed_in: Any
) -> None:
    client = signed_in("nurse")
    url = reverse("rounds:board", kwargs={"public_id": story.world.unit_a.public_id})
    page = client.get(url).content.decode()
    order_url = reverse("rounds:order-new", args=[story.person.public_id])
    assert "no observation order here" in page
    assert f'<a href="{order_url}">' in page
    assert reverse("rounds:order-history", args=[story.person.public_id]) not in page
    assert "Withdrawal watch" not in page
    level = ObservationLevel.objects.get(code="q15", is_current=True)
    order_services.order_observation(
        story.person, actor=story.world.user("nurse"), level=level, reason="Fall risk on arrival"
    )
    again = client.get(url).content.decode()
    assert f'<a href="{order_url}">' not in again
    # The person is a row of the board now, on the unit's own order.
    assert reverse("rounds:order-history", args=[story.person.public_id]) in again


@pytest.mark.django_db(transaction=True)
def test_a_board_read_under_a_grant_logs_its_read_and_the_disclosure_in_one_write(
    story: Part2Story, signed_in: Any
) -> None:
    """The board's list read and the disclosures of the Part 2 records its rows read under an
    emergency grant (the order, the behavior and safety plans) are written together before the
    page is shown: one INSERT of the four events, chained like any others, each disclosure
    naming the person by the public id the board read."""
    nurse = story.world.user("nurse")
    people_services.start_emergency_access(
        story.person, actor=nurse, reason="Unresponsive; need the observation order now"
    )
    client = signed_in("nurse")
    url = reverse("rounds:board", kwargs={"public_id": story.world.unit_a.public_id})
    before = set(AuditEvent.objects.values_list("pk", flat=True))
    with CaptureQueriesContext(connection) as queries:
        page = client.get(url)
    assert page.status_code == 200
    logged = list(AuditEvent.objects.exclude(pk__in=before).order_by("seq"))
    assert sorted((e.object_type, e.object_id) for e in logged) == [
        ("incidents.behaviorplan", "part2-disclosure"),
        ("incidents.safetyplanversion", "part2-disclosure"),
        ("people.personserved", f"unit board {story.world.unit_a.code}"),
        ("rounds.observationorder", "part2-disclosure"),
    ]
    assert {tuple(e.detail["person_ids"]) for e in logged} == {(str(story.person.public_id),)}
    assert all(b.prev_hmac == a.hmac for a, b in itertools.pairwise(logged))
    sql = [q["sql"] for q in queries.captured_queries]
    assert sum('INSERT INTO "audit_auditevent"' in q for q in sql) == 1
    assert not any(q.startswith('SELECT "people_personserved"."public_id"') for q in sql)
    assert verify_database()[0] is None


@pytest.mark.django_db(transaction=True)
def test_a_person_page_under_a_grant_logs_its_read_and_the_disclosures_in_one_write(
    story: Part2Story, signed_in: Any
) -> None:
    """The person page's read and the disclosures its sections make under an emergency grant
    (the observation order, the behavior and safety plans written in the program) are written
    together, in one INSERT, before the page is rendered."""
    nurse = story.world.user("nurse")
    people_services.start_emergency_access(
        story.person, actor=nurse, reason="Unresponsive; need the safety plan now"
    )
    client = signed_in("nurse")
    before = set(AuditEvent.objects.values_list("pk", flat=True))
    with CaptureQueriesContext(connection) as queries:
        page = client.get(reverse("people:person-detail", args=[story.person.public_id]))
    assert page.status_code == 200
    logged = list(AuditEvent.objects.exclude(pk__in=before).order_by("seq"))
    assert logged[0].object_id == str(story.person.public_id)
    disclosed = {e.object_type for e in logged if e.object_id == "part2-disclosure"}
    assert {"incidents.behaviorplan", "incidents.safetyplanversion"} <= disclosed
    assert all(b.prev_hmac == a.hmac for a, b in itertools.pairwise(logged))
    sql = [q["sql"] for q in queries.captured_queries]
    assert sum('INSERT INTO "audit_auditevent"' in q for q in sql) == 1
    assert verify_database()[0] is None


@pytest.mark.django_db(transaction=True)
def test_an_api_read_under_a_grant_logs_its_read_and_the_disclosure_in_one_write(
    story: Part2Story,
) -> None:
    """A JSON read of a person's records (their observation orders) under an emergency grant
    logs the person's read and the disclosure of the Part 2 order together, in one INSERT."""
    nurse = story.world.user("nurse")
    people_services.start_emergency_access(
        story.person, actor=nurse, reason="Unresponsive; need the observation history now"
    )
    api = api_as(nurse)
    before = set(AuditEvent.objects.values_list("pk", flat=True))
    with CaptureQueriesContext(connection) as queries:
        answer = api.get(f"/persons/{story.person.public_id}/orders")
    assert answer.status_code == 200
    assert [o["public_id"] for o in answer.json()] == [str(story.order.public_id)]
    logged = list(AuditEvent.objects.exclude(pk__in=before).order_by("seq"))
    assert [(e.object_type, e.object_id) for e in logged][-2:] == [
        ("people.personserved", str(story.person.public_id)),
        ("rounds.observationorder", "part2-disclosure"),
    ]
    assert logged[-1].prev_hmac == logged[-2].hmac
    sql = [q["sql"] for q in queries.captured_queries]
    # The token's "used" event (its first use) is written as the request is authenticated;
    # the read and its disclosure in the one INSERT after it.
    assert [e.action for e in logged] == ["token", "view", "view"]
    assert sum('INSERT INTO "audit_auditevent"' in q for q in sql) == 2
    assert verify_database()[0] is None


def test_every_part_of_a_labelled_record_carries_its_label() -> None:
    """A row that belongs to a Part 2 labelled record (a step of a goal, an addendum of an
    encounter, an event of a referral, ...) reaches the label through ``PART2_VIA``, so the
    policy layer decides it as it decides the record: no app may add such a part and forget."""
    from django.apps import apps

    from pillars.people.labels import labelled_root
    from pillars.people.models import Part2Labelled

    missing = []
    for model in apps.get_models():
        parts_of = [
            f.name
            for f in model._meta.get_fields()
            if f.many_to_one
            and not f.auto_created
            and isinstance(f.related_model, type)
            and issubclass(f.related_model, Part2Labelled)
        ]
        if parts_of and labelled_root(model) is None:
            missing.append(f"{model._meta.label} ({', '.join(parts_of)})")
    assert missing == []


def test_a_step_of_a_part2_goal_is_closed_like_the_goal(world: World) -> None:
    """A goal written in the substance-use program keeps its label, and so do its steps: after
    the transfer, the receiving unit's peer, who has the person in scope, finds neither."""
    from pillars.recovery.selectors import plans as plan_selectors
    from pillars.recovery.services import plans as recovery_services

    sud, beds = make_unit(world.site, "sud", part2=True)
    sud_peer = make_staff("sud-peer", [RoleCode.PEER], [sud])
    sud_nurse = make_staff("sud-nurse", [RoleCode.NURSE], [sud])
    peer = make_staff("unit-a-peer", [RoleCode.PEER], [world.unit_a])
    person = make_person("MRN-S2", "Okafor")
    episode = place(person, sud, beds[0], sud_peer)
    goal = recovery_services.create_goal(
        person,
        actor=sud_peer.user,
        domain="health",
        statement="Stay sober through the holidays",
        steps=[{"text": "Go to a meeting every day"}],
    )
    step = goal.steps.get()
    assert (goal.is_part2, goal.made_in_unit_id) == (True, sud.pk)
    people_services.transfer_person(
        episode,
        actor=sud_nurse.user,
        unit=world.unit_a,
        bed=world.beds_a[1],
        moved_at=clock.now(),
        reason="Medical stabilization",
    )
    assert policy.is_visible(peer.user, person)
    assert not policy.is_visible(peer.user, goal)
    assert not policy.is_visible(peer.user, step)
    with pytest.raises(Http404):
        plan_selectors.get_step_for(
            peer.user, step.public_id, "recovery.write_goals", what="goal step"
        )
    # A peer of the program's team who also works on unit A reads both.
    both = make_staff("both-peer", [RoleCode.PEER], [sud, world.unit_a])
    assert policy.is_visible(both.user, goal)
    assert policy.is_visible(both.user, step)


def test_every_record_naming_a_person_served_carries_a_label() -> None:
    """A new clinical model cannot forget the label: every model of the clinical apps with a
    foreign key to a person served is labelled itself or belongs to a labelled record."""
    from django.apps import apps

    from pillars.people.labels import labelled_root
    from pillars.people.models import PersonServed

    # Not clinical records of a program: a unit's handoff note (the
    # handoff is the unit's and leaves other programs' records out), a unit's shift assignment.
    not_records = {"rounds.handoffnote", "rounds.shiftassignment"}
    missing = []
    for app in ("rounds", "incidents"):
        for model in apps.get_app_config(app).get_models():
            names_person = any(
                getattr(f, "related_model", None) is PersonServed
                for f in model._meta.get_fields()
                if f.is_relation and f.many_to_one
            )
            label = model._meta.label_lower
            if names_person and label not in not_records and labelled_root(model) is None:
                missing.append(label)
    assert missing == []


def test_every_file_that_leaves_goes_through_the_export_door() -> None:
    """A view or API module that answers a PDF or CSV calls core.exports (directly or through
    a renderer's ``export``), so a later export cannot forget the Part 2 check and notice."""
    from pathlib import Path

    import pillars

    root = Path(pillars.__file__).parent
    # Files that name a CSV or PDF type for what comes in (an upload's accepted types), not out.
    inbound = {"people/importing.py", "people/forms.py", "workforce/services/credentials.py"}
    # The door itself; the plans' shared response, which sends the bytes its callers got from
    # their renderer's ``export``; a staff member's own credential evidence (no record of a
    # person served; its download is audited as a read).
    inbound |= {"core/exports.py", "core/plan_pages.py", "workforce/selectors/credentials.py"}
    offenders = []
    for path in root.rglob("*.py"):
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        if str(path.relative_to(root)) in inbound:
            continue
        text = path.read_text()
        if ("application/pdf" in text or "text/csv" in text) and not (
            "exports.release" in text or ".export(" in text
        ):
            offenders.append(str(path.relative_to(root)))
    assert offenders == []


def test_emergency_access_is_offered_for_the_programs_closed_records(
    story: Part2Story, signed_in: Any
) -> None:
    """The receiving nurse may read the person but not the program's records: the emergency
    page offers a grant instead of saying none is needed (a person with no closed records is
    sent to their page as before)."""
    nurse = signed_in("nurse")
    found = nurse.post(
        reverse("people:emergency-start"), {"record_number": story.person.record_number}
    )
    assert found.status_code == 200
    assert "Why you need this record now" in found.content.decode()
    plain = nurse.post(
        reverse("people:emergency-start"), {"record_number": story.world.person_a.record_number}
    )
    assert plain.status_code == 302


def test_a_count_or_existence_test_opened_by_a_grant_is_logged(story: Part2Story) -> None:
    """A count names no record, but "1 behavior plan" tells that a Part 2 plan exists: a count,
    an existence test and the board's counts together of records a grant opened are logged as
    disclosures, as reading them is; a count of nothing, or by the program's own team, is not."""
    nurse = story.world.user("nurse")
    plans = policy.readable(BehaviorPlan.objects.filter(person=story.person), nurse)
    assert plans.count() == 0
    assert not AuditEvent.objects.filter(object_id="part2-disclosure").exists()
    people_services.start_emergency_access(
        story.person, actor=nurse, reason="Unresponsive; need the behavior plan now"
    )

    def disclosed(count: Callable[[Any], object]) -> list[str]:
        policy.forget(nurse)
        before = set(AuditEvent.objects.values_list("pk", flat=True))
        found = count(policy.readable(BehaviorPlan.objects.filter(person=story.person), nurse))
        assert found in (1, True)
        logged = AuditEvent.objects.exclude(pk__in=before).filter(object_id="part2-disclosure")
        return [e.object_type for e in logged]

    assert disclosed(lambda qs: qs.count()) == ["incidents.behaviorplan"]
    assert disclosed(lambda qs: qs.exists()) == ["incidents.behaviorplan"]
    assert disclosed(lambda qs: board_extras.count_together({"plans": qs})["plans"]) == [
        "incidents.behaviorplan"
    ]

    def kept(user: Any) -> int:
        # The board's panels count a read kept once per reader (built the first time only).
        counted = policy.restricted_count(
            "test: a person's behavior plans",
            user,
            "incidents.view_behavior",
            lambda person_id: BehaviorPlan.objects.filter(person_id=person_id),
            story.person.pk,
        )
        return int(board_extras.count_together({"plans": counted})["plans"])

    assert disclosed(lambda qs: kept(nurse)) == ["incidents.behaviorplan"]
    assert disclosed(lambda qs: kept(nurse)) == ["incidents.behaviorplan"]
    # The program's own team: no disclosure, whatever the read's shape.
    sud_nurse = story.sud_nurse.user
    before = AuditEvent.objects.count()
    own = policy.readable(BehaviorPlan.objects.filter(person=story.person), sud_nurse)
    assert own.count() == 1
    assert own.exists()
    assert board_extras.count_together({"plans": own}) == {"plans": 1}
    # In their scope through their caseload, the program's nurse counts the plan as its team.
    CaseloadAssignment.objects.create(
        organization=story.person.organization,
        staff=story.sud_nurse,
        person=story.person,
        kind=CaseloadKind.PRIMARY_TECH,
        started_on=clock.organization_today(),
    )
    policy.forget(sud_nurse)
    assert kept(sud_nurse) == 1
    assert kept(sud_nurse) == 1
    assert AuditEvent.objects.count() == before
