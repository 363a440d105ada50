"""A clinician updates a safety plan with the person served in a real Chromium: both sign, the
printed copy opens, and the board row link opens the current plan (axe clean throughout)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import expect

from pillars.core import clock
from pillars.core.tests.browser import sign_in
from pillars.incidents.models import SafetyPlanVersion
from pillars.incidents.services import safety as services
from pillars.people.testing import World
from pillars.rounds import services as rounds_services
from pillars.rounds.models import ObservationLevel

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_update_sign_print_and_open_from_the_board(world: World, page: Any, axe_check: Any) -> None:
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
    # Version 1, signed last month, is the plan being updated.
    today = clock.today_in(world.unit_a.time_zone)
    first = services.save_draft(
        world.person_a,
        actor=world.user("nurse"),
        content={
            "warning_signs": [{"text": "Pacing the hall at night"}],
            "on_my_own": [{"text": "Headphones and my playlist"}],
            "professionals": [{"name": "988 Suicide & Crisis Lifeline", "phone": "988"}],
        },
        review_on=today + timedelta(days=10),
    )
    services.sign_plan(first, actor=world.user("nurse"), person_signature="paper", attested=True)
    person = world.person_a

    sign_in(page, "t-clinician")
    page.goto(f"/incidents/persons/{person.public_id}/safety-plan/")
    expect(page.get_by_role("heading", name="Current plan")).to_be_visible()
    axe_check(page)
    page.get_by_role("link", name="Update the plan").click()
    expect(page.get_by_role("heading", name=re.compile("Write the safety plan"))).to_be_visible()
    # The new version starts from the person's current words.
    expect(page.get_by_label("Warning signs that a hard time is starting")).to_have_value(
        "Pacing the hall at night"
    )
    axe_check(page)
    page.get_by_label("Warning signs that a hard time is starting").fill(
        "Pacing the hall at night\nSleeping all day"
    )
    page.get_by_label("My reasons for living").fill("My son Mateo")
    page.get_by_label("People I can ask for help: name 1").fill("Tía Rosa")
    page.get_by_label("People I can ask for help: phone 1").fill("555-201-3344")
    page.get_by_role("button", name="Save draft and go to signing").click()

    expect(page.get_by_role("heading", name=re.compile("Sign the safety plan"))).to_be_visible()
    expect(page.get_by_text("Tía Rosa")).to_be_visible()
    axe_check(page)
    page.get_by_label("Typed their name on the tablet").check()
    page.get_by_label("Person's name, typed by them on the tablet").fill("Alex Rivera")
    page.get_by_label("I wrote this plan with the person and sign it as the staff member").check()
    page.get_by_role("button", name="Sign the plan").click()

    expect(page.get_by_text(re.compile("Version 2 is signed"))).to_be_visible()
    expect(page.get_by_text("Signed (version 2)").first).to_be_visible()
    expect(page.get_by_text("My son Mateo")).to_be_visible()
    version = SafetyPlanVersion.objects.get(person=person, number=2)
    assert version.status == "signed"
    assert version.person_signed_name == "Alex Rivera"

    # The printed copy: the link answers a PDF.
    href = page.get_by_role("link", name="Print copy (PDF)").first.get_attribute("href")
    assert href == f"/incidents/safety-plans/{version.public_id}/print/"
    pdf = page.request.get(href)
    assert pdf.status == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF")

    # From the board, the row's link opens the current plan.
    page.goto(f"/rounds/units/{world.unit_a.public_id}/board/")
    page.get_by_role("link", name="Safety plan").first.click()
    page.wait_for_url(re.compile(rf"/incidents/persons/{person.public_id}/safety-plan/"))
    expect(page.get_by_role("heading", name="Current plan")).to_be_visible()
    expect(page.get_by_text("Signed (version 2)").first).to_be_visible()
    axe_check(page)
