"""The survey-ready packet end to end in a real Chromium: from the person's page to the PDF,
axe-clean on the way."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from pillars.core.tests.browser import sign_in
from pillars.people.testing import World

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_nurse_prints_the_packet_of_a_stay(page: Any, world: World, axe_check: Any) -> None:
    sign_in(page, "t-nurse")

    page.goto(f"/people/persons/{world.person_a.public_id}/")
    page.get_by_role("link", name="Show survey-readiness packet").click()
    stay = page.get_by_role("link", name=re.compile(r"^Stay from .*\(still admitted\)$"))
    expect(stay).to_be_visible()  # htmx swapped the section in place
    axe_check(page)
    stay.click()
    page.wait_for_url(re.compile(r"/insights/stays/[0-9a-f-]+/packet/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        re.compile(r"^Survey-readiness packet: ")
    )
    expect(page.get_by_role("table", name="What the packet holds")).to_be_visible()
    axe_check(page)
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the packet (PDF)").click()
    assert download.value.suggested_filename.startswith("survey-packet-")
    assert download.value.suggested_filename.endswith(".pdf")
