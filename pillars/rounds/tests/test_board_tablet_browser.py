"""The unit board on the devices it is for (issue 11, items 3 and 14): at 1024x768 (tablet) and
390x844 (phone), in day, night and doorway modes, every row's check button is inside the viewport
width (no sideways scrolling) and a tap at its centre lands on it; night mode passes axe."""

from __future__ import annotations

import re
from typing import Any

import pytest

from pillars.core.tests.browser import sign_in
from pillars.people.testing import World
from pillars.rounds.tests.test_board_browser import _orders

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIZES = {"tablet": (1024, 768), "phone": (390, 844)}


@pytest.mark.parametrize("size", list(SIZES))
def test_every_check_button_is_reachable_in_every_mode(
    browser: Any, live_server: Any, world: World, axe_check: Any, size: str
) -> None:
    width, height = SIZES[size]
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": width, "height": height}
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    orders = _orders(world)
    sign_in(page, "t-bht")
    page.goto(f"/rounds/units/{world.unit_a.public_id}/board/")
    for mode in ("day", "night", "doorway"):
        page.evaluate(f"localStorage.setItem('pillars.board.mode', '{mode}')")
        page.reload()
        assert page.evaluate("document.documentElement.dataset.boardMode") == mode
        page_width = page.evaluate("document.documentElement.scrollWidth")
        assert page_width <= width, f"{mode}: the page is {page_width} px wide on {width} px"
        for order in orders:
            button = page.locator(f'[data-order-row="{order.public_id}"] form.one-tap button')
            button.scroll_into_view_if_needed()
            # The button says what one tap records, in every mode (issue 11, item 4).
            assert "Bedroom, Asleep" in button.inner_text(), (mode, button.inner_text())
            box = button.bounding_box()
            assert box is not None
            assert box["x"] >= 0, (mode, box)
            assert box["x"] + box["width"] <= width, (mode, box)
            hit = page.evaluate(
                """([x, y]) => {
                     const el = document.elementFromPoint(x, y);
                     return Boolean(el && el.closest("form.one-tap button"));
                   }""",
                [box["x"] + box["width"] / 2, box["y"] + box["height"] / 2],
            )
            assert hit, f"{mode}: a tap on {order.person.display_name}'s button lands elsewhere"
        if mode == "night":
            axe_check(page)  # "Round the hall" and every other control keep their contrast
    assert re.search(r"/board/$", page.url)
    context.close()
