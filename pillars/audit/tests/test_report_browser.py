"""The audit report in a real Chromium: filters, errors in text, sorting by htmx, accessibility."""

from __future__ import annotations

import re
from typing import Any

import pytest

from conftest import totp_now
from pillars.audit import log
from pillars.audit.choices import Action, Outcome
from pillars.people.testing import PASSWORD, World

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_privacy_officer_filters_and_sorts_the_report(
    page: Any, world: World, axe_check: Any
) -> None:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user = world.user("privacy")
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    person = world.person_a
    assert person is not None
    log.record(
        actor=world.user("nurse"), action=Action.VIEW, target=person, person_id=person.public_id
    )
    log.record(actor=None, actor_label="=cmd", action=Action.SIGN_IN_FAILED, outcome=Outcome.FAILED)

    page.goto("/account/sign-in/")
    page.get_by_label("Sign-in name").fill("t-privacy")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto("/audit/report/")
    page.wait_for_url(re.compile(r"/account/two-factor/"))
    page.get_by_label("6-digit code").fill(totp_now(user))
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(re.compile(r"/audit/report/$"))
    assert page.get_by_role("heading", level=1).inner_text() == "Audit report"
    assert page.get_by_role("cell", name="MRN-A1").count() >= 1
    assert page.get_by_text("Failed", exact=False).count() >= 1
    axe_check(page)

    page.get_by_label("Person served").fill("MRN-A1")
    page.get_by_role("button", name="Show events").click()
    page.wait_for_url(re.compile(r"person=MRN-A1"))
    assert page.get_by_role("cell", name="=cmd").count() == 0

    page.get_by_role("link", name="Who").click()  # htmx swaps the results in place
    page.wait_for_url(re.compile(r"sort=who"))
    header = page.locator("th[aria-sort]")
    assert header.get_attribute("aria-sort") == "ascending"
    assert "Who" in header.inner_text()
    axe_check(page)
    page.get_by_role("button", name="Show events").click()  # the filter keeps the new order
    page.wait_for_url(re.compile(r"sort=who"))
    assert page.locator("th[aria-sort]").get_attribute("aria-sort") == "ascending"

    page.get_by_label("From (date)").fill("2026-03-02")
    page.get_by_label("To (date, included)").fill("2026-03-01")
    page.get_by_role("button", name="Show events").click()
    assert (
        "end date is before the start date"
        in page.get_by_text("The end date is before the start date.").inner_text()
    )
    assert page.get_by_role("alert").count() == 1
    axe_check(page)
