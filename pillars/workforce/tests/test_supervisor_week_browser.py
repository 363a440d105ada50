"""A supervisor's week in a real Chromium: the week page, recording and signing a session
with the peer, the session page, and the peer's ledger. Every page axe-clean."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from pillars.core import clock
from pillars.core.tests.browser import sign_in
from pillars.people.testing import World
from pillars.workforce.models import SupervisionSession

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_supervisors_week(world: World, page: Any, axe_check: Any) -> None:
    page.set_viewport_size({"width": 1024, "height": 768})
    sign_in(page, "t-supervisor")

    page.goto("/workforce/supervision/")
    expect(page.get_by_role("heading", name="Supervision this week")).to_be_visible()
    expect(page.get_by_role("link", name="T Peer", exact=True)).to_be_visible()
    axe_check(page)

    page.get_by_role("link", name="Record a session").click()
    expect(page.get_by_role("heading", name="Record a supervision session")).to_be_visible()
    page.get_by_label("T Peer").check()
    page.get_by_label("Clinical").check()
    local = clock.local(clock.now(), world.unit_a.time_zone)
    page.get_by_label("Started at").fill(local.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Minutes").fill("60")
    page.get_by_label("Topics").fill("Boundaries, self-care")
    page.get_by_label("New action items").fill("Read the ethics chapter")
    axe_check(page)
    page.get_by_role("button", name="Record the session").click()
    expect(page.get_by_role("heading", name=re.compile("Clinical supervision"))).to_be_visible()
    expect(page.get_by_text("Awaiting signatures")).to_be_visible()
    axe_check(page)
    session = SupervisionSession.objects.get()
    assert session.supervisor_signed_at is not None
    assert not session.is_signed
    assert session.minutes == 60
    assert session.topics == ["Boundaries", "self-care"]

    page.goto(f"/workforce/supervision/staff/{world.staff['peer'].public_id}/ledger/")
    expect(page.get_by_role("heading", name="Supervised hours of T Peer")).to_be_visible()
    expect(
        page.get_by_role("row", name=re.compile("National Certified Peer Specialist"))
    ).to_be_visible()
    axe_check(page)
