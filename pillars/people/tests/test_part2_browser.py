"""42 CFR Part 2 end to end in a real Chromium (issue 12): a person transferred out of the
substance-use program; the receiving nurse does not see the safety plan written there; the
privacy officer records a consent naming that nurse (every missing element named first); the
nurse then reads it and its printed copy carries the 2.32 notice; a written revocation closes
it again at once; the accounting of disclosures lists the read."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from conftest import totp_now
from pillars.core import clock
from pillars.incidents.models import DeescalationStep
from pillars.people.models import Consent
from pillars.people.testing import PASSWORD, World
from pillars.people.tests.part2_support import build_story
from pillars.rounds.models import ObservationLevel

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SECRET = "The recovery cafe"


def _sign_in(page: Any, username: str, user: Any = None) -> None:
    page.goto("/account/sign-in/")
    page.get_by_label("Sign-in name").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    if user is not None:
        page.goto("/")
        if "/account/two-factor/" in page.url:
            page.get_by_label("6-digit code").fill(totp_now(user))
            page.get_by_role("button", name="Continue").click()
    page.wait_for_url(re.compile(r"/$"))


def test_consent_opens_and_revocation_closes_the_programs_records(
    browser: Any, live_server: Any, world: World, axe_check: Any
) -> None:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    # A transactional test's flush removes the migrations' reference data: make what the story
    # uses again.
    DeescalationStep.objects.get_or_create(
        code="verbal", defaults={"label": "Verbal de-escalation", "sort_order": 10}
    )
    ObservationLevel.objects.get_or_create(
        code="q15",
        is_current=True,
        defaults={"name": "Every 15 minutes", "interval_minutes": 15, "created_at": clock.now()},
    )
    story = build_story(world)
    person = story.person
    privacy_user = world.user("privacy")
    TOTPDevice.objects.create(user=privacy_user, name="phone", confirmed=True)
    plan_url = f"/incidents/persons/{person.public_id}/safety-plan/"

    nurse_context = browser.new_context(base_url=live_server.url)
    nurse = nurse_context.new_page()
    nurse.set_default_timeout(10_000)
    _sign_in(nurse, "t-nurse")
    nurse.goto(f"/people/persons/{person.public_id}/")
    expect(nurse.get_by_role("heading", level=1)).to_contain_text(person.display_name)
    assert SECRET not in nurse.content()
    nurse.goto(plan_url)
    assert SECRET not in nurse.content()

    officer_context = browser.new_context(base_url=live_server.url)
    officer = officer_context.new_page()
    officer.set_default_timeout(10_000)
    _sign_in(officer, "t-privacy", privacy_user)
    officer.goto(f"/people/persons/{person.public_id}/consents/")
    officer.get_by_role("link", name="Record a signed consent").click()
    officer.get_by_role("button", name=re.compile("Record")).click()
    # Every missing element is named at once; nothing is stored.
    expect(officer.locator(".error-summary")).to_be_visible()
    errors = officer.locator(".errorlist")
    expect(errors.filter(has_text="recipient")).to_have_count(1)
    expect(errors.filter(has_text="purpose")).not_to_have_count(0)
    assert Consent.objects.count() == 0
    axe_check(officer)

    today = clock.today_in(world.unit_a.time_zone)
    officer.locator(f'input[name="programs"][value="{story.sud.public_id}"]').check()
    officer.locator('input[name="information_kinds"][value="safety_plan"]').check()
    officer.get_by_label(re.compile("How much and what kind")).fill("The current safety plan")
    officer.locator('input[name="purposes"][value="tpo"]').check()
    officer.get_by_label("Recipients: named staff members").select_option(
        str(world.staff["nurse"].public_id)
    )
    officer.get_by_label("Expires on").fill((today + timedelta(days=30)).isoformat())
    officer.get_by_label("Signed by").select_option("person")
    officer.get_by_label("Name of the signer").fill(person.display_name)
    officer.get_by_label("Date signed").fill(today.isoformat())
    officer.get_by_role("button", name=re.compile("Record")).click()
    expect(officer.get_by_text("revoke this consent at any time", exact=False)).to_be_visible()
    consent = Consent.objects.get()

    # The named nurse now reads the plan, and its printed copy carries the notice.
    nurse.goto(plan_url)
    expect(nurse.get_by_text(SECRET)).to_be_visible()
    pdf = nurse.request.get(f"/incidents/safety-plans/{story.safety.public_id}/print/")
    assert pdf.ok, pdf.status
    assert pdf.headers["content-type"] == "application/pdf"
    text = " ".join(
        (p.extract_text() or "") for p in PdfReader(io.BytesIO(pdf.body())).pages
    ).replace("\n", " ")
    assert "(42 CFR part 2)" in text  # the 2024 notice of 42 CFR 2.32
    assert SECRET in text

    # A written revocation takes effect on the nurse's very next request.
    officer.goto(f"/people/consents/{consent.public_id}/")
    officer.get_by_role("link", name="Record a written revocation").click()
    officer.get_by_label("How the written revocation was received").select_option(index=1)
    officer.get_by_role("button", name="Record the revocation").click()
    expect(officer.get_by_text("Revoked", exact=False).first).to_be_visible()
    nurse.goto(plan_url)
    assert SECRET not in nurse.content()

    # In a medical emergency the nurse opens it anyway: time-boxed, with a reason, reviewed.
    nurse.goto("/people/emergency/")
    nurse.get_by_label("Record number").fill(person.record_number)
    nurse.get_by_role("button", name="Find").click()
    nurse.get_by_label("Why you need this record now").fill("Unresponsive, what was he taking?")
    nurse.get_by_role("button", name="Open the record in an emergency").click()
    nurse.wait_for_url(re.compile(r"/people/persons/[0-9a-f-]+/$"))
    nurse.goto(plan_url)
    expect(nurse.get_by_text(SECRET)).to_be_visible()

    # The accounting of disclosures lists the nurse's read under the consent.
    officer.goto(f"/people/persons/{person.public_id}/disclosures/")
    expect(officer.locator("main")).to_contain_text(world.staff["nurse"].display_name)
    axe_check(officer)
    nurse_context.close()
    officer_context.close()
