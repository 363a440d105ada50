"""The 1:1 block in a real Chromium: a nurse opening "who is with" a person on 1:1 reads, before
choosing, that the technician's crisis intervention certification has lapsed; choosing them
anyway is refused on the form with the same reason, and nothing is stored. Axe-clean."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from pillars.core.tests.browser import sign_in
from pillars.people.testing import World
from pillars.rounds.models import Coverage
from pillars.rounds.tests.floor import order_for
from pillars.workforce.tests.test_floor_screens import _lapsed_nci

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_lapsed_credential_blocks_a_one_to_one_on_the_form(
    world: World, page: Any, axe_check: Any
) -> None:
    _lapsed_nci(world)
    order = order_for(world, code="one-to-one")
    bht = world.staff["bht"].display_name
    sign_in(page, "t-nurse", lands_on=None)
    page.wait_for_url(re.compile(r"/$"))
    page.goto(f"/rounds/orders/{order.public_id}/coverage/")
    notes = page.get_by_role("note")
    expect(notes).to_contain_text("Not allowed")
    expect(notes).to_contain_text("Nonviolent crisis intervention expired on")
    axe_check(page)
    page.get_by_label("Staff member with the person").select_option(
        label=f"{bht} (not allowed: see why below)"
    )
    page.get_by_role("button", name="Start").click()
    expect(page.get_by_text("There is a problem. Nothing was saved.")).to_be_visible()
    expect(page.locator("form[novalidate]")).to_contain_text("crisis intervention expired on")
    axe_check(page)
    assert not Coverage.objects.exists()
