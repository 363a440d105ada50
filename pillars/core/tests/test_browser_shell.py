"""End to end in a real Chromium: sign-in, two-step enrolment, the shell, accessibility."""

from __future__ import annotations

import re
from typing import Any

import pytest

from pillars.core.tests.browser import sign_in
from pillars.people.testing import World

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_bht_signs_in_lands_home_and_signs_out(page: Any, world: World, axe_check: Any) -> None:
    page.goto("/")
    assert "/account/sign-in/" in page.url
    axe_check(page)
    sign_in(page, "t-bht", lands_on=None)
    page.wait_for_url(re.compile(r"/$"))
    assert page.get_by_role("heading", level=1).inner_text().startswith("Welcome")
    axe_check(page)
    # The status symbols come from the shipped font, never an emoji font the tablet may lack.
    page.evaluate("document.fonts.load('16px \"Pillars Symbols\"', '◷⚠✓')")
    assert page.evaluate("document.fonts.check('16px \"Pillars Symbols\"', '◷⚠✓')")
    assert page.evaluate(
        "[...document.fonts].some("
        "f => f.family.includes('Pillars Symbols') && f.status === 'loaded')"
    )
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r"/account/sign-in/"))


def test_wrong_password_is_explained(page: Any, world: World) -> None:
    page.goto("/account/sign-in/")
    page.get_by_label("Sign-in name").fill("t-bht")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_role("alert").inner_text().startswith("That sign-in name and password")


def test_director_enrols_two_step_sign_in_with_qr_code(
    page: Any, world: World, axe_check: Any
) -> None:
    sign_in(page, "t-director", lands_on=None)
    page.wait_for_url(re.compile(r"/account/two-factor/"))
    qr = page.get_by_role("img", name=re.compile("QR code"))
    assert qr.get_attribute("src").startswith("data:image/svg+xml;base64,")
    axe_check(page)
    # Any other page is out of reach until the code is confirmed.
    page.goto("/people/units/")
    page.wait_for_url(re.compile(r"/account/two-factor/"))
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.get(user=world.user("director"))
    page.get_by_label("6-digit code").fill("000000" if totp(device.bin_key) else "111111")
    page.get_by_role("button", name="Continue").click()
    assert "did not match" in page.get_by_role("alert").inner_text()
    page.wait_for_timeout(1200)  # django-otp throttles a retry for a second after a failure
    page.get_by_label("6-digit code").fill(f"{totp(device.bin_key):06d}")
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(re.compile(r"/people/units/$"))
