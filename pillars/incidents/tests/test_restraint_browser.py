"""A nurse runs a seclusion episode end to end in a real Chromium: start it, see the timers,
record a monitoring check and the face-to-face, see the unit board's panel, release; axe is
clean on the episode page and the board."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from pillars.core import clock
from pillars.core.tests.browser import sign_in
from pillars.incidents.models import RestraintEpisode, RuleProfile
from pillars.people.testing import World
from pillars.rounds.models import Check
from pillars.rounds.tests.floor import order_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_nurse_runs_an_episode_to_release(page: Any, world: World, axe_check: Any) -> None:
    # A transactional test's flush removes the migration's default profile: make it again.
    RuleProfile.objects.get_or_create(
        code="cms-hospital",
        is_current=True,
        defaults={"name": "Federal hospital rule", "created_at": clock.now()},
    )
    order_for(world)
    sign_in(page, "t-nurse")
    page.goto(f"/incidents/persons/{world.person_a.public_id}/restraint/new/")
    page.get_by_role("radio", name="Seclusion").check()
    page.get_by_label("Behavior that made it necessary").fill("Struck a peer, kept charging")
    page.get_by_label("Release criteria").fill("Calm for ten minutes")
    # The nurse enters the order and names the clinician who gave it.
    page.get_by_label("Ordered by").select_option(label=world.staff["clinician"].display_name)
    page.get_by_role("button", name="Start and run the timers").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Seclusion: Alex Rivera")
    timers = page.locator(".restraint-timers")
    expect(timers).to_contain_text("Order expires")
    expect(timers).to_contain_text("Face-to-face due")
    expect(timers).to_contain_text("Monitoring due")
    axe_check(page)

    page.locator("#id_monitor-condition").fill("Pacing, no injury")
    page.get_by_role("button", name="Record a monitoring check").click()
    expect(page.get_by_text("Monitoring check recorded.")).to_be_visible()
    expect(page.locator("#h-monitoring + ul")).to_contain_text("Pacing, no injury")

    page.locator("#id_face_to_face-findings").fill("Calmer; continue for now")
    page.get_by_role("button", name="Record the face-to-face").click()
    expect(page.get_by_text("Face-to-face evaluation recorded.")).to_be_visible()
    expect(page.locator(".restraint-timers")).to_contain_text("Face-to-face done")

    page.goto(f"/rounds/units/{world.unit_a.public_id}/board/")
    panel = page.locator(".board-panel")
    expect(panel).to_contain_text("Restraint and seclusion now")
    expect(panel).to_contain_text("Monitoring due")
    axe_check(page)
    # One tap records the seclusion, never the day room of an earlier check (issue 11, item 4).
    tap = page.locator("form.one-tap button.tap")
    expect(tap).to_contain_text("Seclusion room, In seclusion")
    tap.click()
    for _ in range(50):
        if Check.objects.exists():
            break
        page.wait_for_timeout(100)
    check = Check.objects.get()
    assert (check.location, check.activity) == ("seclusion", "secluded")
    panel.get_by_role("link", name=re.compile("Alex Rivera")).click()

    page.locator("#id_release-reason").fill("Met the release criteria")
    page.get_by_role("button", name="Release").click()
    expect(page.get_by_text("Released.")).to_be_visible()
    expect(page.locator(".restraint-timers")).to_have_count(0)
    episode = RestraintEpisode.objects.get()
    assert episode.released_at is not None
    assert episode.checks.count() == 1
    assert episode.face_to_faces.count() == 1


def test_a_due_soon_timer_shows_the_boards_amber(page: Any, world: World) -> None:
    """A timer due within five minutes carries the board extras' "warning" tone and is drawn
    in the same amber as the board's own "due" status (not left uncoloured)."""
    from datetime import timedelta

    from pillars.incidents.models import EpisodeKind
    from pillars.incidents.services import restraint as services

    RuleProfile.objects.get_or_create(
        code="cms-hospital",
        is_current=True,
        defaults={"name": "Federal hospital rule", "created_at": clock.now()},
    )
    # Started 12 minutes ago: monitoring (every 15 min) is due in 3.
    services.start_episode(
        world.person_a,
        actor=world.user("nurse"),
        ordered_by=world.staff["clinician"],
        kind=EpisodeKind.SECLUSION,
        reason="Struck a peer",
        release_criteria="Calm",
        started_at=clock.now() - timedelta(minutes=12),
        late_reason="Entered after the hold",
    )
    sign_in(page, "t-nurse")
    page.goto(f"/rounds/units/{world.unit_a.public_id}/board/")
    timer = page.locator('.board-panel [data-timer="monitoring"]')
    expect(timer).to_contain_text("due in")
    expect(timer).to_have_class(re.compile(r"\bstatus warning\b"))
    colours = page.evaluate(
        """(selector) => {
            const probe = document.createElement("span");
            probe.className = "status warn";
            document.body.appendChild(probe);
            const amber = getComputedStyle(probe).color;
            probe.remove();
            const plain = document.createElement("span");
            plain.className = "status";
            document.body.appendChild(plain);
            const none = getComputedStyle(plain).color;
            plain.remove();
            return [getComputedStyle(document.querySelector(selector)).color, amber, none];
        }""",
        '.board-panel [data-timer="monitoring"]',
    )
    timer_colour, board_amber, uncoloured = colours
    assert timer_colour == board_amber
    assert timer_colour != uncoloured
