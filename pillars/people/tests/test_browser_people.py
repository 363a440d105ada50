"""People pages end to end in a real Chromium: htmx search, forms, census, break the glass, and
no WCAG 2.1 A/AA violation (axe) on any of them. Console errors (CSP included) fail a test."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from pillars.core.tests.browser import sign_in
from pillars.people.models import EmergencyAccess
from pillars.people.testing import World, make_person, place
from pillars.people.tests.part2_support import build_story
from pillars.people.tests.test_part2_exports import consent
from pillars.people.views import PAGE_SIZE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_nurse_searches_opens_transfers_and_reads_the_census(
    page: Any, world: World, axe_check: Any
) -> None:
    sign_in(page, "t-nurse")
    expect(page.get_by_role("heading", name="Your units now")).to_be_visible()
    axe_check(page)

    page.get_by_role("link", name="Persons served").click()
    page.wait_for_url(re.compile(r"/people/persons/$"))
    axe_check(page)
    page.get_by_label("Name or record number").fill("zzz")
    page.get_by_text("0 persons served").wait_for()  # htmx swapped the results in place
    page.get_by_label("Name or record number").fill("riv")
    page.get_by_role("link", name="Alex Rivera").click()
    page.wait_for_url(re.compile(r"/people/persons/[0-9a-f-]+/$"))
    assert page.get_by_role("heading", level=1).inner_text().startswith("Alex Rivera")
    axe_check(page)

    page.get_by_role("link", name="Transfer").click()
    axe_check(page)
    page.get_by_role("button", name="Transfer").click()
    assert "There is a problem" in page.get_by_role("alert").inner_text()
    axe_check(page)  # with field errors shown
    page.get_by_label("Move to unit and bed").select_option(label="Unit A: bed A101-A")
    page.get_by_label("Reason").fill("closer to the nurses' station")
    page.get_by_role("button", name="Transfer").click()
    page.wait_for_url(re.compile(r"/people/persons/[0-9a-f-]+/$"))
    expect(page.get_by_text("A101-A").first).to_be_visible()

    page.get_by_role("link", name="Units").click()
    page.get_by_role("link", name="Unit A").click()
    page.wait_for_url(re.compile(r"/people/units/[0-9a-f-]+/$"))
    expect(page.get_by_role("link", name="Alex Rivera")).to_be_visible()
    axe_check(page)

    page.goto("/people/persons/new/")
    axe_check(page)
    page.goto("/people/staff/")
    axe_check(page)
    page.get_by_role("link", name="T Peer").click()
    page.wait_for_url(re.compile(r"/people/staff/[0-9a-f-]+/$"))
    axe_check(page)


def test_nurse_breaks_the_glass(page: Any, world: World, axe_check: Any) -> None:
    sign_in(page, "t-nurse")
    page.get_by_role("link", name="Emergency access").click()
    page.wait_for_url(re.compile(r"/people/emergency/$"))
    axe_check(page)
    page.get_by_label("Record number").fill("MRN-B1")
    page.get_by_role("button", name="Find").click()
    expect(page.get_by_text("Alex Okafor").first).to_be_visible()
    axe_check(page)
    page.get_by_label("Why you need this record now").fill("Collapsed in the lobby, allergies?")
    page.get_by_role("button", name="Open the record in an emergency").click()
    page.wait_for_url(re.compile(r"/people/persons/[0-9a-f-]+/$"))
    assert page.get_by_role("status").filter(has_text="Emergency access until").count() == 1
    axe_check(page)
    assert EmergencyAccess.objects.count() == 1


def test_after_sign_out_nothing_of_a_search_is_kept_in_the_tab(page: Any, world: World) -> None:
    """A shared workstation: the nurse searches, signs out and walks away. The words searched
    never reach the address bar (so not the browser's history either), the tab keeps no copy
    of the results (no htmx history snapshot), and Back asks the server, which asks for a
    sign-in instead of showing the list again."""
    sign_in(page, "t-nurse")
    page.goto("/people/persons/")
    page.get_by_label("Name or record number").fill("riv")
    expect(page.get_by_role("link", name="Alex Rivera")).to_be_visible()
    assert page.url.endswith("/people/persons/")
    page.get_by_role("link", name="Alex Rivera").click()
    page.wait_for_url(re.compile(r"/people/persons/[0-9a-f-]+/$"))
    stored = page.evaluate("() => JSON.stringify(Object.assign({}, sessionStorage, localStorage))")
    assert "Rivera" not in stored
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r"/account/sign-in/"))
    page.go_back()
    page.wait_for_load_state()
    assert "Alex Rivera" not in page.content()
    page.go_back()
    page.wait_for_load_state()
    assert "Alex Rivera" not in page.content()


def test_the_pages_of_a_search_keep_the_words_out_of_the_address(
    page: Any, world: World, axe_check: Any
) -> None:
    """The next page of a search loads in place: the address stays the list's, with no search
    words and no page number that a later user of the browser could find in its history."""
    nurse = world.staff["nurse"]
    for i in range(PAGE_SIZE + 5):
        place(make_person(f"MRN-X{i:03}", f"Family{i:03}"), world.unit_a, None, nurse)
    sign_in(page, "t-nurse")
    page.goto("/people/persons/")
    page.get_by_label("Name or record number").fill("Family")
    expect(page.get_by_text(f"{PAGE_SIZE + 5} persons served matching")).to_be_visible()
    page.get_by_role("link", name="Next page").click()
    expect(page.get_by_text("Page 2 of 2")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile(f"Family{PAGE_SIZE + 4:03}"))).to_be_visible()
    assert page.url.endswith("/people/persons/")
    axe_check(page)
    page.get_by_role("link", name="Previous page").click()
    expect(page.get_by_text("Page 1 of 2")).to_be_visible()
    assert page.url.endswith("/people/persons/")


def test_a_fragment_read_under_consent_shows_the_page_s_notice(page: Any, world: World) -> None:
    """A page that read nothing of Part 2 keeps the notice hidden; once an htmx answer that read
    a Part 2 plan under the person's consent lands in it, the page shows the 42 CFR 2.32
    notice (pillars.js, from the answer's Part2-Notice header)."""
    story = build_story(world)
    consent(story)
    sign_in(page, "t-nurse")
    page.goto(f"/people/persons/{world.person_a.public_id}/")
    notice = page.locator("[data-part2-notice]").first  # the page's own
    expect(notice).to_be_hidden()
    url = reverse("incidents:safety-plan", args=[story.person.public_id])
    page.evaluate(
        "url => { const box = document.createElement('div'); box.id = 'landing';"
        " document.body.append(box); htmx.ajax('GET', url, {target: '#landing'}); }",
        url,
    )
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("42 CFR part 2 prohibits unauthorized use or disclosure")
    notice.get_by_text("The full notice (42 CFR 2.32)").click()
    expect(notice).to_contain_text("protected by Federal confidentiality rules")


def test_a_page_read_under_consent_shows_the_notice(
    page: Any, world: World, axe_check: Any
) -> None:
    story = build_story(world)
    consent(story)
    sign_in(page, "t-nurse")
    page.goto(reverse("incidents:safety-plan", args=[story.person.public_id]))
    notice = page.get_by_role("note", name="Confidential substance use disorder records.")
    expect(notice).to_be_visible()
    axe_check(page)
