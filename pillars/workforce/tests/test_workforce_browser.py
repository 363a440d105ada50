"""The director's workforce view in a real Chromium: two-step sign-in, turnover by role with
its chart and the numbers beside it, the definitions printed with them, the switch to units,
the exits list, and the staff wellbeing aggregate. Every page axe-clean."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import expect

from pillars.core import clock
from pillars.people.testing import PASSWORD, StaffFactory, World
from pillars.workforce.selectors.retention import quarters_back

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _history(world: World) -> None:
    last = quarters_back(clock.organization_today(), 1)[0]
    for n in range(6):
        StaffFactory.create(
            roles=["bht"],
            units=[world.unit_a],
            hired_on=last.start - timedelta(days=200),
            exited_on=last.start + timedelta(days=20 + n) if n < 2 else None,
            exit_reason=("resigned_pay", "terminated")[n] if n < 2 else "",
        )


def test_a_directors_workforce_view(world: World, page: Any, axe_check: Any) -> None:
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    _history(world)
    page.goto("/account/sign-in/")
    page.get_by_label("Sign-in name").fill("t-director")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/account/two-factor/"))
    device = TOTPDevice.objects.get(user=world.user("director"))
    page.get_by_label("6-digit code").fill(f"{totp(device.bin_key):06d}")
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(re.compile(r"/$"))

    page.goto("/workforce/retention/")
    expect(
        page.get_by_role("heading", name="Workforce: turnover and retention by role")
    ).to_be_visible()
    expect(
        page.get_by_text(re.compile("Annualized turnover: separations divided by"))
    ).to_be_visible()
    table = page.get_by_role("table", name="Turnover: Behavioral health technician")
    expect(table).to_be_visible()
    # The chart is an image with a name, and the table beside it has the same numbers.
    expect(page.get_by_role("img", name=re.compile("Behavioral health technician"))).to_be_visible()
    axe_check(page)

    page.get_by_label("Group by").select_option("unit")
    page.get_by_role("button", name="Show").click()
    expect(
        page.get_by_role("heading", name="Workforce: turnover and retention by unit")
    ).to_be_visible()
    unit_a = page.get_by_role("table", name="Turnover: Unit A")
    # 14 on unit A on the quarter's first day (the world's eight and six more), 12 on its last,
    # one voluntary and one involuntary separation: 2 / 13 x 365 / days.
    last = quarters_back(clock.organization_today(), 1)[0]
    rate = round(100 * 2 / 13 * 365 / (last.end - last.start).days, 1)
    expect(unit_a.get_by_role("row", name=re.compile(last.key))).to_contain_text(f"{rate}%")
    axe_check(page)

    page.get_by_role("link", name="Exits and exit interviews").click()
    expect(page.get_by_role("heading", name=re.compile("Exits since"))).to_be_visible()
    expect(page.get_by_role("link", name="Record the interview").first).to_be_visible()
    axe_check(page)

    page.goto("/workforce/wellbeing/aggregate/?level=unit")
    expect(
        page.get_by_role("heading", name=re.compile("Staff wellbeing: check-ins"))
    ).to_be_visible()
    axe_check(page)
