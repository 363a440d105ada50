"""The director's morning in a real Chromium: two-step sign-in, the insights dashboard, a
chart's numbers in the table beside it, a unit's dashboard, its CSV, and the monthly quality
report. Every page axe-clean."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from pillars.insights.tests.test_dashboards import _rounds
from pillars.people.testing import PASSWORD, World

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_directors_morning(world: World, page: Any, axe_check: Any) -> None:
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    _rounds(world)
    page.goto("/account/sign-in/")
    page.get_by_label("Sign-in name").fill("t-director")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/account/two-factor/"))
    device = TOTPDevice.objects.get(user=world.user("director"))
    page.get_by_label("6-digit code").fill(f"{totp(device.bin_key):06d}")
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(re.compile(r"/$"))

    # The home panel, then the dashboard from the navigation.
    expect(page.get_by_role("table", name="This month's measures by unit")).to_be_visible()
    axe_check(page)
    page.get_by_role("link", name="Insights", exact=True).first.click()
    page.wait_for_url(re.compile(r"/insights/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Organization insights")
    axe_check(page)

    # A chart's numbers are in the table beside it (never the picture alone).
    chart = page.get_by_role("figure", name="Checks on time")
    expect(chart.get_by_role("img")).to_be_visible()
    numbers = chart.get_by_role("table", name="Checks on time")
    expect(numbers.get_by_role("row")).not_to_have_count(0)

    # Drill down into a unit, and take its CSV.
    page.get_by_role("table", name="The measures for each unit over twelve months").get_by_role(
        "link", name="Unit A"
    ).click()
    page.wait_for_url(re.compile(r"/insights/units/[0-9a-f-]+/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Unit A: insights")
    axe_check(page)
    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV").click()
    assert download.value.suggested_filename.endswith(".csv")

    # The monthly quality report for the month chosen on the dashboard.
    page.goto("/insights/")
    month = page.get_by_label("Monthly quality report (PDF)").input_value()
    answer = page.request.get(f"/insights/report.pdf?month={month}")
    assert answer.status == 200
    assert answer.headers["content-type"] == "application/pdf"
    assert answer.body().startswith(b"%PDF")
