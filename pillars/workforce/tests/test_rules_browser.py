"""An administrator revises a supervision cadence rule in a real Chromium: from the workforce
rules page to the form, a refused window, then the saved next version listed with the one
before it. Axe-clean."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from conftest import totp_now
from pillars.core.tests.browser import sign_in
from pillars.people.testing import World
from pillars.workforce.models import CadenceRule

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_administrator_writes_a_cadence_rules_next_version(
    world: World, page: Any, axe_check: Any
) -> None:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    weekly = CadenceRule.objects.get(code="peer-initial-weekly", is_current=True)
    admin = world.user("admin")
    TOTPDevice.objects.create(user=admin, name="phone", confirmed=True)
    sign_in(page, "t-admin", lands_on=None)
    page.goto("/workforce/rules/")
    page.wait_for_url(re.compile(r"/account/two-factor/"))
    page.get_by_label("6-digit code").fill(totp_now(admin))
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(re.compile(r"/workforce/rules/$"))
    expect(page.get_by_role("heading", name="Supervision cadence")).to_be_visible()
    axe_check(page)
    page.get_by_role("link", name=f"New version of {weekly.name}").click()
    window = page.get_by_label("Window (days)")
    window.fill("0")
    page.get_by_role("button", name="Save the new version").click()
    expect(page.locator("#id_period_days_error")).to_contain_text("A window is at least one day.")
    axe_check(page)
    window.fill("14")
    page.get_by_role("button", name="Save the new version").click()
    expect(page.get_by_text(f"{weekly.name} is now version 2.")).to_be_visible()
    expect(page.get_by_text("every 14 days")).to_be_visible()
    assert CadenceRule.objects.get(code=weekly.code, is_current=True).period_days == 14
