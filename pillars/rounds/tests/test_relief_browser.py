"""The 1:1 relief handoff end to end in a real Chromium, from the person's board row: someone
who is not with the person reads who signs (no form), the staff member with them signs with the
incoming colleague's PIN (a wrong PIN is named as such) and lands back on the board; axe on the
handoff page and on the integrity report."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from pillars.core import clock
from pillars.core.tests.browser import sign_in
from pillars.people import services as people_services
from pillars.people.testing import World, make_staff
from pillars.rounds import services
from pillars.rounds.models import Coverage, ObservationLevel
from pillars.rounds.services.coverage import start_coverage

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PIN = "482913"


def _one_to_one(world: World) -> Coverage:
    # A transactional test's flush removes the migration's default levels: make 1:1 again.
    level, _ = ObservationLevel.objects.get_or_create(
        code="one-to-one",
        is_current=True,
        defaults={
            "name": "1:1 within arm's length",
            "interval_minutes": 15,
            "grace_factor": Decimal("1.50"),
            "staff_ratio": 1,
            "created_at": clock.now(),
        },
    )
    order = services.order_observation(
        world.person_a,
        actor=world.user("nurse"),
        level=level,
        reason="Browser test",
        started_at=clock.now() - timedelta(hours=1),
    )
    return start_coverage(order, actor=world.user("nurse"), staff=world.staff["bht"])


def test_relief_handoff_from_the_board_row(
    browser: Any, live_server: Any, world: World, axe_check: Any
) -> None:
    stretch = _one_to_one(world)
    incoming = make_staff("t-bht-two", ["bht"], [world.unit_a], badge="B900")
    people_services.set_pin(incoming, actor=incoming.user, pin=PIN)
    errors: list[str] = []
    for username in ("t-nurse", "t-bht"):
        context = browser.new_context(
            base_url=live_server.url, viewport={"width": 1024, "height": 768}
        )
        page = context.new_page()
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.set_default_timeout(10_000)
        sign_in(page, username)
        page.get_by_role("link", name="Unit A board").click()
        page.wait_for_url(re.compile(r"/rounds/units/.+/board/$"))
        board_url = page.url
        row = page.locator(f'[data-order-row="{stretch.order.public_id}"]')
        if username == "t-nurse":
            # Not the one with the person: told who signs, with no form to fill in.
            row.get_by_role("link", name="Relief handoff from T Bht").click()
            page.wait_for_url(re.compile(r"/relieve/$"))
            assert "Only T Bht, who has been with Alex Rivera" in page.inner_text("main")
            assert page.get_by_label("Incoming staff member's PIN").count() == 0
            axe_check(page)
            page.get_by_role("link", name="Back to the board").click()
            page.wait_for_url(board_url)
            page.goto(f"/rounds/units/{world.unit_a.public_id}/integrity/")
            assert "Flags per shift" in page.inner_text("main")
            axe_check(page)
        else:
            row.get_by_role("link", name=re.compile("Hand off to a colleague")).click()
            page.wait_for_url(re.compile(r"/relieve/$"))
            axe_check(page)
            page.get_by_label("Incoming staff member", exact=True).select_option(label="T Bht Two")
            page.get_by_label("Incoming staff member's PIN").fill("000000")
            page.get_by_role("button", name="Sign the handoff").click()
            page.get_by_text("That PIN does not match T Bht Two's badge PIN.").wait_for()
            page.get_by_label("Incoming staff member's PIN").fill(PIN)
            page.get_by_role("button", name="Sign the handoff").click()
            page.wait_for_url(board_url)
            assert "With them now: T Bht Two" in row.inner_text()
        context.close()
    assert not errors, f"browser console errors: {errors}"
    assert Coverage.objects.get(ended_at__isnull=True).staff == incoming
