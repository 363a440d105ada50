"""The offline queue across sign-ins (issue 11, item 2): checks queued while offline survive the
session ending and a sign-in; another staff member signing in on the tablet is told whose checks
wait and does not send them; the same staff member's next sign-in sends them once. A poll after
the session has gone shows a sign-in message, never the sign-in page inside the rows."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest

from pillars.core import clock
from pillars.core.tests.browser import sign_in
from pillars.people.testing import World
from pillars.rounds.models import SetAsideCheck
from pillars.rounds.tests.test_board_browser import _orders, counts

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_queued_checks_wait_for_the_same_staff_members_sign_in(
    browser: Any, live_server: Any, world: World
) -> None:
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1024, "height": 768})
    page = context.new_page()
    page.set_default_timeout(10_000)
    orders = _orders(world)
    names = [o.person.display_name for o in orders]
    board = f"/rounds/units/{world.unit_a.public_id}/board/"
    bht = world.staff["bht"].display_name

    sign_in(page, "t-bht")
    page.goto(board)
    context.set_offline(True)
    for name in names[:2]:
        page.get_by_role("button", name=re.compile(rf"Safe\W+check {name}")).click()
    assert "2 checks waiting to send" in page.locator("[data-queue-banner]").inner_text()

    # Every cookie is lost (the session ended) and the network comes back: the poll is answered
    # by the sign-in page, which must not land in the rows.
    context.clear_cookies()
    context.set_offline(False)
    page.evaluate("window.htmx.trigger(document.body, 'board-refresh')")
    page.locator("[data-signed-out]").wait_for(state="visible")
    assert page.locator("[data-board-rows] input[name=password]").count() == 0
    assert page.locator("[data-board-rows] [data-order-row]").count() == len(orders)
    assert counts(orders) == [1, 1, 1, 1]

    # Another staff member signs in on the tablet: told whose checks wait; nothing is sent.
    sign_in(page, "t-nurse")
    page.goto(board)
    others = page.locator("[data-other-queues]")
    others.wait_for(state="visible")
    assert f"2 checks recorded by {bht} are waiting" in others.inner_text()
    assert f"{bht} must sign in here to send them" in others.inner_text()
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r"/account/sign-in/"))
    assert counts(orders) == [1, 1, 1, 1]

    # The same staff member signs in again: the queue is sent once, then cleared.
    sign_in(page, "t-bht")
    page.goto(board)
    page.locator("[data-queue-banner]").wait_for(state="hidden")
    page.wait_for_function(
        "() => !Object.keys(sessionStorage).some((k) => k.includes('board.queue'))"
    )
    assert counts(orders) == [2, 2, 1, 1]
    page.reload()
    assert page.locator("[data-other-queues]").is_hidden()
    assert counts(orders) == [2, 2, 1, 1]
    context.close()


def test_the_queue_drains_in_one_batch_and_sets_a_bad_item_aside(
    browser: Any, live_server: Any, world: World
) -> None:
    # Issue 13: one session-signed batch, not one request per check; issue 11 item 12: a
    # schema-invalid item is named by its index and set aside while the rest are saved.
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1024, "height": 768})
    page = context.new_page()
    page.set_default_timeout(10_000)
    orders = _orders(world)
    sign_in(page, "t-bht")
    board = f"/rounds/units/{world.unit_a.public_id}/board/"
    page.goto(board)
    key = page.locator("[data-board]").get_attribute("data-queue-key")
    now = clock.now().isoformat()
    queued = [
        {
            "order": str(o.public_id),
            "client_id": str(uuid.uuid4()),
            "observed_at": now,
            "location": "moon" if n == 1 else "bedroom",
            "activity": "asleep",
            "safety_status": "safe",
        }
        for n, o in enumerate(orders[:3])
    ]
    page.evaluate(
        "([k, items]) => sessionStorage.setItem(`pillars.board.queue.${k}`, JSON.stringify(items))",
        [key, queued],
    )
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    page.goto(board)
    refusals = page.locator("[data-refusals]")
    refusals.wait_for(state="visible")
    page.locator("[data-queue-banner]").wait_for(state="hidden")
    assert orders[1].person.display_name in refusals.inner_text()
    assert "set aside for a lead to resolve" in refusals.inner_text()
    assert counts(orders) == [2, 1, 2, 1]
    # The set-aside item is handed to the lead (kept on the server), not dropped.
    for _ in range(50):
        if SetAsideCheck.objects.exists():
            break
        page.wait_for_timeout(100)
    kept = SetAsideCheck.objects.get()
    assert (kept.order, kept.payload["location"]) == (orders[1], "moon")
    assert "location" in kept.problem
    batches = [p for p in posts if p.endswith("/checks/batch/")]
    assert len(batches) == 2
    assert [p for p in posts if p not in batches] == [f"{live_server.url}/rounds/checks/set-aside/"]
    assert page.locator("[data-sync-status]").inner_text().startswith("Last sent")
    # The nurse (the unit's lead here) finds it from the board and records it.
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, "t-nurse")
    page.goto(board)
    page.get_by_role("link", name="Set-aside checks").click()
    form = page.locator("form", has=page.get_by_role("button", name="Record the check"))
    form.get_by_label("Where").select_option("bedroom")
    form.get_by_role("button", name="Record the check").click()
    page.get_by_text(f"Check recorded for {orders[1].person.display_name}.").wait_for()
    kept.refresh_from_db()
    assert kept.check_record is not None and not kept.is_open  # noqa: PT018
    context.close()


def test_a_link_followed_offline_gives_the_offline_page(
    browser: Any, live_server: Any, world: World
) -> None:
    context = browser.new_context(base_url=live_server.url, viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.set_default_timeout(10_000)
    orders = _orders(world)
    sign_in(page, "t-bht")
    page.goto(f"/rounds/units/{world.unit_a.public_id}/board/")
    page.wait_for_function(
        "() => navigator.serviceWorker.ready.then((r) => Boolean(r.active)).catch(() => false)"
    )
    page.reload()  # the worker controls pages opened after it is active
    page.wait_for_function("() => Boolean(navigator.serviceWorker.controller)")
    context.set_offline(True)
    row = page.locator(f'[data-order-row="{orders[0].public_id}"]')
    row.get_by_role("link", name="Level history").click()
    page.get_by_role("heading", name="You are offline").wait_for()
    assert orders[0].person.display_name not in page.content()
    context.set_offline(False)
    context.close()
