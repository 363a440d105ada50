"""A peer's day in a real Chromium, on a phone and on a tablet: My day, an encounter written
with the scope guard's suggestions as the peer types, signed; a BARC-10 answered with the
person and scored by the server; a directory search. Every page axe-clean."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from pillars.core import clock
from pillars.core.tests.browser import sign_in
from pillars.people.models import CaseloadAssignment
from pillars.people.testing import World
from pillars.recovery.models import Assessment, Encounter

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIZES = {"phone": {"width": 390, "height": 844}, "tablet": {"width": 1024, "height": 768}}


@pytest.mark.parametrize("size", sorted(SIZES))
def test_a_peers_day(world: World, page: Any, axe_check: Any, size: str) -> None:
    page.set_viewport_size(SIZES[size])
    person = world.person_a
    CaseloadAssignment.objects.create(
        staff=world.staff["peer"], person=person, kind="peer", started_on=clock.organization_today()
    )

    sign_in(page, "t-peer")

    page.goto("/recovery/")
    expect(page.get_by_role("heading", name="My day", exact=True)).to_be_visible()
    axe_check(page)

    page.goto(f"/recovery/persons/{person.public_id}/encounters/new/")
    expect(page.get_by_role("heading", name=re.compile("Write an encounter"))).to_be_visible()
    local = clock.local(clock.now(), world.unit_a.time_zone)
    page.get_by_label("Started at").fill(local.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Minutes").fill("30")
    page.locator('input[name="activities"]').first.check()
    done = page.get_by_label("What was done")
    done.fill("Talked with the patient about")
    done.press_sequentially(" her housing search")
    # The scope guard answers as the peer types: a suggestion, never a block.
    guard = page.locator("#scope-guard")
    expect(guard).to_contain_text("Peer language suggestions")
    expect(guard).to_contain_text("patient")
    axe_check(page)
    page.get_by_label("Next steps").fill("Visit the housing office together on Tuesday")
    page.get_by_label("Sign with credential").fill("CPS")
    page.get_by_role("button", name="Sign the encounter").click()
    expect(page.get_by_role("heading", name=re.compile("Peer encounter with"))).to_be_visible()
    expect(
        page.get_by_role("heading", name="Wording suggestions kept for supervision")
    ).to_be_visible()
    axe_check(page)
    encounter = Encounter.objects.get(person=person)
    assert encounter.minutes == 30
    assert encounter.written_by == world.staff["peer"]
    assert encounter.signer_credential == "CPS"
    assert [f.matched for f in encounter.flags.all()] == ["patient"]

    page.goto(f"/recovery/persons/{person.public_id}/capital/barc-10/new/")
    for number in range(1, 11):
        page.locator(f'input[name="item_{number}"][value="{4 if number % 2 else 5}"]').check()
    axe_check(page)
    page.get_by_role("button", name="Save the answers").click()
    expect(
        page.get_by_role("heading", name=re.compile(r"Total 45 \(of 10 to 60\)"))
    ).to_be_visible()
    axe_check(page)
    assert Assessment.objects.get(person=person).total == 45

    page.goto("/recovery/directory/")
    page.get_by_label("Words").fill("housing")
    page.get_by_role("button", name=re.compile("Search|Find")).first.click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    axe_check(page)
