"""Record behavior from the unit board in a real Chromium: the BHT opens the board, taps
"Record behavior" on a row, picks from the plan's lists, taps the count up, and sees the entry on
the person's chart (axe clean on the form and the chart)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import expect

from pillars.core import clock
from pillars.core.tests.browser import sign_in
from pillars.incidents.models import BehaviorRecord
from pillars.incidents.services import behavior as behavior_services
from pillars.people.testing import World
from pillars.rounds import services as rounds_services
from pillars.rounds.models import ObservationLevel

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_record_abc_from_the_board_and_see_it_on_the_chart(
    page: Any, world: World, axe_check: Any
) -> None:
    # A transactional test's flush removes the migration's default levels: make q15 again.
    q15, _ = ObservationLevel.objects.get_or_create(
        code="q15",
        is_current=True,
        defaults={"name": "Every 15 minutes", "interval_minutes": 15, "created_at": clock.now()},
    )
    rounds_services.order_observation(
        world.person_a,
        actor=world.user("nurse"),
        level=q15,
        reason="Browser test",
        started_at=clock.now() - timedelta(hours=1),
    )
    behavior_services.write_plan(
        world.person_a,
        actor=world.user("clinician"),
        effective_on=clock.organization_today() - timedelta(days=5),
        targets=[
            {
                "name": "Hitting",
                "definition": "Hand contact with another person, with force.",
                "measure": "frequency",
            }
        ],
        antecedents=["Asked to end a preferred activity", "Peer conflict"],
        consequences=["Verbal redirection", "Offered space"],
    )
    name = world.person_a.display_name

    sign_in(page, "t-bht")
    page.get_by_role("link", name="Unit A board").click()
    page.wait_for_url(re.compile(r"/rounds/units/.+/board/$"))
    page.get_by_role("link", name="Record behavior").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Record behavior: {name}")
    axe_check(page)

    # A few taps: the only target is chosen already; antecedent, consequence, +1 twice, save.
    page.get_by_label("Peer conflict").check()
    page.get_by_label("Offered space").check()
    page.get_by_role("button", name="+ 1").click()
    page.get_by_role("button", name="+ 1").click()
    expect(page.get_by_label("Count")).to_have_value("3")
    # The duration timer (a static script, no inline code) fills in the seconds.
    page.get_by_role("button", name="Start timer").click()
    page.wait_for_timeout(1100)
    page.get_by_role("button", name="Stop timer").click()
    expect(page.get_by_label("Duration (seconds)")).to_have_value(re.compile(r"^[0-9]+$"))
    page.get_by_role("button", name="Save behavior record").click()

    page.wait_for_url(re.compile(r"/incidents/behavior/persons/.+/chart/"))
    expect(
        page.get_by_role("heading", level=2, name=re.compile("Hitting: 3 in 30 days"))
    ).to_be_visible()
    today = clock.today_in(world.unit_a.time_zone).isoformat()
    row = page.locator("#chart-table tbody tr", has=page.get_by_role("rowheader", name=today))
    expect(row.locator("td").nth(1)).to_have_text("3")
    expect(page.get_by_text("Recorded: Hitting x3")).to_be_visible()
    axe_check(page)

    record = BehaviorRecord.objects.get()
    assert record.antecedent == "Peer conflict"
    assert record.consequence == "Offered space"
    assert record.recorded_by == world.staff["bht"]
    assert not record.is_late_entry
    assert record.duration_seconds is not None


def test_clinician_sees_a_due_review_and_ends_the_plan(
    page: Any, world: World, axe_check: Any
) -> None:
    from pillars.incidents.models import BehaviorContract, ContractStatus

    now = clock.now()
    plan = behavior_services.write_plan(
        world.person_a,
        actor=world.user("clinician"),
        effective_on=clock.today_in(world.unit_a.time_zone) - timedelta(days=40),
        targets=[{"name": "Hitting", "definition": "Hand contact.", "measure": "frequency"}],
    )
    due_on = clock.today_in(world.unit_a.time_zone) - timedelta(days=2)
    # Signed weeks ago (the service only takes review dates after today).
    BehaviorContract.objects.create(
        person=world.person_a,
        plan=plan,
        terms="Use the break card.",
        rewards="Outing",
        review_on=due_on,
        written_by=world.staff["clinician"],
        written_at=now - timedelta(days=30),
        status=ContractStatus.SIGNED,
        person_signed_name="Alex",
        person_signed_at=now - timedelta(days=30),
        person_witnessed_by=world.staff["clinician"],
        staff_signed_by=world.staff["clinician"],
        staff_signed_at=now - timedelta(days=30),
    )
    name = world.person_a.display_name

    sign_in(page, "t-clinician")
    page.goto("/incidents/behavior/contract-reviews/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Behavior contract reviews due")
    expect(page.get_by_text(f"Review due since {due_on.isoformat()}")).to_be_visible()
    axe_check(page)

    page.get_by_role("link", name=name).click()
    expect(page.get_by_text(f"Review due since {due_on.isoformat()}")).to_be_visible()
    page.get_by_role("link", name="End the plan").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"End the behavior plan: {name}")
    axe_check(page)
    page.get_by_label("Why the plan ends").fill("Goals met for three months")
    page.get_by_role("button", name="End the plan").click()
    expect(page.get_by_text("Confirm that the plan ends.").first).to_be_visible()
    page.get_by_label(re.compile("I confirm")).check()
    page.get_by_role("button", name="End the plan").click()

    page.wait_for_url(re.compile(r"/incidents/behavior/persons/[^/]+/$"))
    expect(
        page.get_by_role("heading", name=re.compile("The behavior plan ended on"))
    ).to_be_visible()
    expect(page.get_by_text("Goals met for three months").first).to_be_visible()
    expect(page.get_by_text("Ended with the plan")).to_be_visible()
    axe_check(page)
