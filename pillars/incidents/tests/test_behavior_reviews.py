"""Behavior contract reviews: a signed contract is due for review from its review date in the
unit's own calendar (the day before, the day of, after, with a pinned clock), shown on the plan
page, the person's section, the board (a row flag and a count) and a list of due reviews for the
units a user sees (page and API); renewing the contract clears it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from pillars.core.tests.api_support import api_as, assert_problem
from pillars.incidents.models import BehaviorContract, ContractStatus
from pillars.incidents.selectors import behavior as selectors
from pillars.incidents.services import behavior as services
from pillars.people.testing import World, make_person, place
from pillars.rounds import board_extras
from pillars.rounds import services as rounds_services
from pillars.rounds.models import ObservationLevel

pytestmark = pytest.mark.django_db

REVIEW_ON = date(2025, 6, 10)
WRITTEN = datetime(2025, 5, 1, 15, 0, tzinfo=UTC)
# 22:00 on 9 June in Chicago (CDT, UTC-5) is 03:00 on 10 June in UTC: still the day before on
# the unit, although UTC has reached the review date.
DAY_BEFORE = datetime(2025, 6, 10, 3, 0, tzinfo=UTC)
DAY_OF = datetime(2025, 6, 10, 5, 30, tzinfo=UTC)  # 00:30 on 10 June in Chicago
AFTER = datetime(2025, 6, 13, 15, 0, tzinfo=UTC)
MARK = "review due since 2025-06-10"
FLAG = "Behavior contract review due since 2025-06-10"


def signed_contract(world: World, person: Any = None, review_on: date = REVIEW_ON) -> Any:
    person = person or world.person_a
    clinician = world.user("clinician")
    written = services.write_contract(
        person, actor=clinician, terms="Use the break card.", rewards="Outing", review_on=review_on
    )
    services.sign_contract(written, actor=clinician, signer="person", signed_name="Alex")
    return services.sign_contract(written, actor=clinician, signer="staff")


def plan_for(world: World, person: Any = None) -> None:
    services.write_plan(
        person or world.person_a,
        actor=world.user("clinician"),
        effective_on=WRITTEN.date(),
        targets=[{"name": "Hitting", "definition": "Hand contact.", "measure": "frequency"}],
        antecedents=["Peer conflict"],
        consequences=["Offered space"],
    )


@pytest.fixture
def clock_at(world: World) -> Any:
    """A contract signed on 1 May for review on 10 June; person A is on the board."""
    with time_machine.travel(WRITTEN, tick=False) as traveller:
        plan_for(world)
        signed_contract(world)
        rounds_services.order_observation(
            world.person_a,
            actor=world.user("nurse"),
            level=ObservationLevel.objects.get(code="q15", is_current=True),
            reason="Admission default",
        )
        yield traveller


def pages(world: World, client: Any) -> dict[str, str]:
    person = world.person_a.public_id
    return {
        "plan": client.get(reverse("incidents:behavior-plan", args=[person])).content.decode(),
        "person": client.get(reverse("people:person-detail", args=[person])).content.decode(),
        "board": client.get(
            reverse("rounds:board", args=[world.unit_a.public_id])
        ).content.decode(),
        "list": client.get(reverse("incidents:behavior-reviews-due")).content.decode(),
    }


def test_the_rule_on_the_model() -> None:
    contract = BehaviorContract(status=ContractStatus.SIGNED, review_on=REVIEW_ON)
    day = timedelta(days=1)
    assert not contract.review_due_on(REVIEW_ON - day)
    assert contract.review_due_on(REVIEW_ON)
    assert contract.review_due_on(REVIEW_ON + day)
    for status in (ContractStatus.AWAITING, ContractStatus.REPLACED, ContractStatus.ENDED):
        assert not BehaviorContract(status=status, review_on=REVIEW_ON).review_due_on(
            REVIEW_ON + day
        )


def test_the_day_before_on_the_unit_nothing_is_due(
    world: World, signed_in: Any, clock_at: Any
) -> None:
    clock_at.move_to(DAY_BEFORE)
    shown = pages(world, signed_in("nurse"))
    assert "Review due since" not in shown["plan"]
    assert MARK not in shown["person"]
    assert "review on 2025-06-10" in shown["person"]
    assert FLAG not in shown["board"]
    assert "behavior contract review" not in shown["board"]
    assert "No behavior contract review is due" in shown["list"]
    assert api_as(world.user("nurse")).get("/behavior-contracts/reviews-due").json() == []


@pytest.mark.parametrize("moment", [DAY_OF, AFTER], ids=["day-of", "after"])
def test_from_the_review_date_it_is_flagged_everywhere(
    world: World, signed_in: Any, clock_at: Any, moment: datetime
) -> None:
    clock_at.move_to(moment)
    shown = pages(world, signed_in("nurse"))
    assert "Review due since 2025-06-10" in shown["plan"]
    assert "Renew the contract" not in shown["plan"]  # the nurse does not write contracts
    assert MARK in shown["person"]
    assert FLAG in shown["board"]
    assert "1 behavior contract review due on this unit" in shown["board"]
    assert world.person_a.display_name in shown["list"]
    assert "Review due since 2025-06-10" in shown["list"]
    data = api_as(world.user("nurse")).get("/behavior-contracts/reviews-due").json()
    assert [(r["person"], r["review_on"]) for r in data] == [
        (str(world.person_a.public_id), "2025-06-10")
    ]
    assert data[0]["days_due"] == (moment.date() - REVIEW_ON).days
    assert data[0]["unit"] == str(world.unit_a.public_id)
    assert data[0]["renewal_awaiting"] is False


def test_renewing_the_contract_clears_the_flag(world: World, signed_in: Any, clock_at: Any) -> None:
    clock_at.move_to(AFTER)
    clinician = world.user("clinician")
    client = signed_in("clinician")
    assert "Renew the contract" in pages(world, client)["plan"]
    renewal = services.write_contract(
        world.person_a,
        actor=clinician,
        terms="Use the break card; ask for a walk.",
        rewards="Outing",
        review_on=AFTER.date() + timedelta(days=30),
    )
    # Written but not yet signed: the old contract stays in force, and due.
    shown = pages(world, client)
    assert FLAG in shown["board"]
    assert "A renewal awaits signatures" in shown["list"]
    assert api_as(clinician).get("/behavior-contracts/reviews-due").json()[0]["renewal_awaiting"]
    services.sign_contract(renewal, actor=clinician, signer="person", signed_name="Alex")
    services.sign_contract(renewal, actor=clinician, signer="staff")
    shown = pages(world, client)
    assert "Review due since" not in shown["plan"]
    assert MARK not in shown["person"]
    assert FLAG not in shown["board"]
    assert "No behavior contract review is due" in shown["list"]
    assert api_as(clinician).get("/behavior-contracts/reviews-due").json() == []


def test_an_ended_plan_takes_its_contract_off_the_list(world: World, clock_at: Any) -> None:
    clock_at.move_to(AFTER)
    assert selectors.reviews_due_for([world.person_a.pk], AFTER.date())
    services.end_plan(
        world.person_a, actor=world.user("clinician"), ended_on=AFTER.date(), reason="Goals met"
    )
    assert not selectors.reviews_due_for([world.person_a.pk], AFTER.date())
    assert not selectors.contract_reviews_due(world.user("clinician"), [world.unit_a])


def test_the_list_is_scoped_to_the_units_seen(world: World, signed_in: Any, clock_at: Any) -> None:
    clock_at.move_to(AFTER)
    # The outsider works on unit B: person A's review is not theirs to see.
    outsider = signed_in("outsider")
    page = outsider.get(reverse("incidents:behavior-reviews-due")).content.decode()
    assert world.person_a.display_name not in page
    assert api_as(world.user("outsider")).get("/behavior-contracts/reviews-due").json() == []
    one_unit = reverse("incidents:behavior-reviews-due") + f"?unit={world.unit_a.public_id}"
    assert outsider.get(one_unit).status_code == 404
    assert_problem(
        api_as(world.user("outsider")).get(
            "/behavior-contracts/reviews-due", {"unit": str(world.unit_a.public_id)}
        ),
        404,
    )
    # The director sees every unit; the administrator reads no behavior plans.
    director = api_as(world.user("director")).get("/behavior-contracts/reviews-due").json()
    assert [r["person"] for r in director] == [str(world.person_a.public_id)]
    assert_problem(api_as(world.user("admin")).get("/behavior-contracts/reviews-due"), 403)
    nurse = signed_in("nurse")
    assert world.person_a.display_name in nurse.get(one_unit).content.decode()


def test_board_flags_and_the_list_cost_the_same_whatever_the_census(world: World, rf: Any) -> None:
    ids = []
    with time_machine.travel(WRITTEN, tick=False) as traveller:
        for n in range(6):
            person = make_person(f"MRN-R{n}", f"Person{n}")
            place(person, world.unit_a, None, world.staff["nurse"])
            plan_for(world, person)
            signed_contract(world, person)
            ids.append(person.pk)
        traveller.move_to(AFTER)
        request = rf.get("/")
        request.user = world.user("bht")
        from pillars.core import policy

        policy.actor_for(request.user)
        with CaptureQueriesContext(connection) as queries:
            extras = board_extras.row_extras(request, world.unit_a, ids)
        flags = [x for pk in ids for x in extras[pk] if x.kind == "flag" and "contract" in x.label]
        assert len(flags) == 6
        assert all(f.tone == "warning" for f in flags)
        assert len([q for q in queries if "incidents_behaviorcontract" in q["sql"]]) == 1
        with CaptureQueriesContext(connection) as queries:
            due = selectors.contract_reviews_due(request.user, [world.unit_a, world.unit_b])
        assert len(due) == 6
        assert len(queries) <= 4


def test_each_unit_uses_its_own_today(world: World) -> None:
    """Unit B runs on Pacific time: at 05:30 UTC on the review date it is already the 10th in
    Chicago (unit A) but still the 9th on unit B."""
    from pillars.core.roles import RoleCode
    from pillars.people.models import Unit
    from pillars.people.testing import make_staff

    Unit.objects.filter(pk=world.unit_b.pk).update(time_zone="America/Los_Angeles")
    west = make_staff("t-west-clinician", [RoleCode.CLINICIAN], [world.unit_b])
    with time_machine.travel(WRITTEN, tick=False) as traveller:
        plan_for(world)
        signed_contract(world)
        services.write_plan(
            world.person_b,
            actor=west.user,
            effective_on=WRITTEN.date(),
            targets=[{"name": "Hitting", "definition": "Hand contact.", "measure": "frequency"}],
        )
        contract = services.write_contract(
            world.person_b, actor=west.user, terms="Terms", rewards="Rewards", review_on=REVIEW_ON
        )
        services.sign_contract(contract, actor=west.user, signer="person", signed_name="Sam")
        services.sign_contract(contract, actor=west.user, signer="staff")
        units = list(Unit.objects.filter(pk__in=[world.unit_a.pk, world.unit_b.pk]))
        director = world.user("director")
        traveller.move_to(DAY_OF)
        assert [d.contract.person for d in selectors.contract_reviews_due(director, units)] == [
            world.person_a
        ]
        traveller.move_to(DAY_OF + timedelta(hours=2))  # 00:30 on the 10th in Los Angeles
        due = selectors.contract_reviews_due(director, units)
        assert {d.contract.person for d in due} == {world.person_a, world.person_b}
