"""Two floor journeys in a real Chromium (issue 11, items 1 and 11): a BHT records an emergency
from "Something else" and the row keeps a flag with the incident report one click away, the lead
is alerted; an administrator unlocks a nurse who locked herself out, giving a reason, and the
nurse signs in again."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from conftest import totp_now
from pillars.core.tests.browser import sign_in
from pillars.people.models import Alert
from pillars.people.testing import PASSWORD, World
from pillars.rounds.models import Check
from pillars.rounds.tests.test_board_browser import _orders

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_emergency_check_alerts_the_lead_and_stays_on_the_row(
    page: Any, world: World, axe_check: Any
) -> None:
    orders = _orders(world)
    sign_in(page, "t-bht")
    page.goto(f"/rounds/units/{world.unit_a.public_id}/board/")
    row = page.locator(f'[data-order-row="{orders[0].public_id}"]')
    row.locator("summary").click()
    row.get_by_label("Where").select_option("bathroom")
    row.get_by_label("Doing").select_option("other")
    row.get_by_role("radio", name="Emergency").check()
    row.get_by_label(re.compile("Note")).fill("Found with a ligature around the neck, removed")
    row.get_by_role("button", name=re.compile("Save check")).click()
    flag = page.locator(f'[data-order-row="{orders[0].public_id}"]').get_by_text(
        re.compile("Not yet acknowledged by a lead")
    )
    expect(flag).to_be_visible()
    check = Check.objects.get(safety_status="emergency")
    # The lead on duty (no shift lead assigned: the unit's nurse) is alerted at once.
    alert = Alert.objects.get(subject_id=check.public_id)
    assert alert.recipient == world.staff["nurse"]
    link = page.locator(f'[data-order-row="{orders[0].public_id}"]').get_by_role(
        "link", name=re.compile("Report an incident from this check")
    )
    link.click()
    page.wait_for_url(re.compile(r"/incidents/reports/new/"))
    assert "ligature around the neck" in page.content()  # the form starts from the check
    axe_check(page)


def test_an_administrator_unlocks_a_locked_out_nurse(
    browser: Any, live_server: Any, world: World
) -> None:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    # Its own page: the lockout answers 429, which the browser logs as a console error.
    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(10_000)
    nurse = world.staff["nurse"]
    for _ in range(5):
        page.goto("/account/sign-in/")
        page.get_by_label("Sign-in name").fill("t-nurse")
        page.get_by_label("Password").fill("not the password")
        page.get_by_role("button", name="Sign in").click()
    page.goto("/account/sign-in/")
    page.get_by_label("Sign-in name").fill("t-nurse")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Sign-in locked")

    admin = world.user("admin")
    TOTPDevice.objects.create(user=admin, name="phone", confirmed=True)
    page.goto("/account/sign-in/")
    page.get_by_label("Sign-in name").fill("t-admin")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"/people/staff/{nurse.public_id}/")
    if "/account/two-factor/" in page.url:
        page.get_by_label("6-digit code").fill(totp_now(admin))
        page.get_by_role("button", name="Continue").click()
    page.get_by_role("link", name="Sign-in access").click()
    page.get_by_role("button", name="Unlock sign-in now").click()
    # No reason: refused, named, nothing changed.
    expect(page.locator(".errorlist").first).to_be_visible()
    page.get_by_label("Reason").first.fill("Called the desk; identity checked by her manager")
    page.get_by_role("button", name="Unlock sign-in now").click()
    expect(page.get_by_text("can sign in again", exact=False)).to_be_visible()
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, "t-nurse")
    context.close()
