"""A BHT reports an incident in a real Chromium, submits it, and a supervisor reviews and closes
it; axe finds no WCAG 2.1 A/AA violation on the report form, the detail page or the review."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from pillars.core import clock
from pillars.core.tests.browser import sign_in
from pillars.incidents.models import DeescalationStep, Incident, NotificationRule
from pillars.people.testing import World

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _rules() -> None:
    # A transactional test's flush removes the migration's defaults: make the ones used here.
    DeescalationStep.objects.get_or_create(
        code="verbal", defaults={"label": "Verbal de-escalation"}
    )
    DeescalationStep.objects.get_or_create(code="space", defaults={"label": "Giving space"})
    NotificationRule.objects.get_or_create(
        recipient="guardian", condition="always", defaults={"within_minutes": 24 * 60}
    )


def _sign_out(page: Any) -> None:
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r"/account/sign-in/"))


def test_a_bht_reports_and_a_supervisor_reviews_and_closes(
    world: World, page: Any, axe_check: Any
) -> None:
    _rules()
    sign_in(page, "t-bht")
    page.goto("/incidents/reports/new/")
    expect(page.get_by_role("heading", name="Report an incident")).to_be_visible()
    axe_check(page)
    page.get_by_label("Type of incident").select_option("aggression_peer")
    page.get_by_label("Where").fill("Day room")
    page.get_by_label(world.person_a.display_name).first.check()
    page.get_by_label("Verbal de-escalation").check()
    page.get_by_label("What happened").fill("Shouted at a peer and pushed once; calmed with space.")
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_text("Draft saved.")).to_be_visible()
    page.get_by_role("button", name="Submit report").click()
    expect(page.get_by_text("Submitted for supervisor review.")).to_be_visible()
    expect(page.get_by_text("Guardian: due")).to_be_visible()
    axe_check(page)
    incident = Incident.objects.get()
    assert incident.status == "submitted"
    assert incident.occurred_at <= clock.now()
    _sign_out(page)

    sign_in(page, "t-supervisor")
    page.goto(f"/incidents/reports/{incident.public_id}/review/")
    page.get_by_role("button", name="Start review").click()
    expect(page.get_by_text("Review started.")).to_be_visible()
    axe_check(page)
    page.get_by_label("Review note").fill("Talked with both; seating at meals changed.")
    page.get_by_role("button", name="Close incident with this note").click()
    expect(page.get_by_text("Incident closed.")).to_be_visible()
    expect(page.get_by_text("Closed", exact=True).first).to_be_visible()
    incident.refresh_from_db()
    assert incident.status == "closed"
