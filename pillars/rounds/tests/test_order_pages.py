"""Ordering, changing and ending a level on the pages and through the API; the history of a
person's levels; the observation section of the person page."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.urls import reverse

from pillars.audit.models import AuditEvent
from pillars.audit.testing import last_seq
from pillars.core import clock
from pillars.core.tests.api_support import api_as, assert_problem
from pillars.people.testing import World
from pillars.rounds import services
from pillars.rounds.models import ObservationLevel, ObservationOrder

pytestmark = pytest.mark.django_db

# 15:00 UTC on 10 March 2025: 10:00 in Chicago (daylight time began the day before).
NOON_ISH = datetime(2025, 3, 10, 15, 0, tzinfo=UTC)


def level(code: str) -> ObservationLevel:
    return ObservationLevel.objects.get(code=code, is_current=True)


def order_url(world: World) -> str:
    return reverse("rounds:order-new", args=[world.person_a.public_id])


def history_url(world: World) -> str:
    return reverse("rounds:order-history", args=[world.person_a.public_id])


def form(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "level": str(level("q15").public_id),
        "precautions": ["suicide", "fall"],
        "reason": "Admission default",
        "instructions": "Door open at night",
        "started_at": "",
    }
    values.update(overrides)
    return values


@pytest.fixture
def order(world: World) -> ObservationOrder:
    return services.order_observation(
        world.person_a,
        actor=world.user("nurse"),
        level=level("q15"),
        reason="Admission default",
        precautions=["elopement"],
        instructions="Check the window",
    )


def test_the_person_page_shows_the_level_and_the_links(
    world: World, order: ObservationOrder, signed_in: Any
) -> None:
    person_url = reverse("people:person-detail", args=[world.person_a.public_id])
    body = signed_in("nurse").get(person_url).content.decode()
    assert "Every 15 minutes" in body
    assert "Elopement" in body
    assert "Check the window" in body
    assert f'href="{order_url(world)}"' in body
    assert f'href="{history_url(world)}"' in body
    # A technician sees the level and the history, not the order button.
    bht = signed_in("bht").get(person_url).content.decode()
    assert "Elopement" in bht
    assert f'href="{order_url(world)}"' not in bht
    assert f'href="{history_url(world)}"' in bht


def test_the_person_page_says_when_there_is_no_order(world: World, signed_in: Any) -> None:
    body = signed_in("clinician").get(
        reverse("people:person-detail", args=[world.person_a.public_id])
    )
    assert "No observation order" in body.content.decode()
    assert f'<a class="button" href="{order_url(world)}">Order observation</a>' in (
        body.content.decode()
    )


@time_machine.travel(datetime(2025, 11, 2, 6, 45, tzinfo=UTC), tick=False)
def test_the_person_page_says_who_ordered_the_level_and_when_in_the_unit_zone(
    world: World, signed_in: Any
) -> None:
    services.order_observation(
        world.person_a,
        actor=world.user("nurse"),
        level=level("q15"),
        reason="Admission default",
        started_at=datetime(2025, 11, 2, 6, 30, tzinfo=UTC),
    )
    body = signed_in("clinician").get(
        reverse("people:person-detail", args=[world.person_a.public_id])
    )
    page = body.content.decode()
    # 01:30 happens twice that night in Chicago: the first is daylight time.
    nurse = world.staff["nurse"].display_name
    assert f"<dt>Ordered by</dt><dd>{nurse}, 2025-11-02 01:30 CDT</dd>" in page
    assert '<dt>Precautions</dt><dd><span class="muted">None</span></dd>' in page
    assert "Special instructions" not in page
    assert f'<a class="button secondary" href="{order_url(world)}">Change or end level</a>' in page


def test_the_person_page_lists_each_precaution_and_keeps_the_instructions_lines(
    world: World, signed_in: Any
) -> None:
    services.order_observation(
        world.person_a,
        actor=world.user("nurse"),
        level=level("q15"),
        reason="Admission default",
        precautions=["suicide", "fall"],
        instructions="Door open at night\nNo <belts>",
    )
    page = signed_in("clinician").get(
        reverse("people:person-detail", args=[world.person_a.public_id])
    )
    body = page.content.decode()
    assert (
        '<dt>Precautions</dt><dd><ul class="precautions">'
        '<li class="precaution"><span aria-hidden="true">⚠</span> Suicide</li>'
        '<li class="precaution"><span aria-hidden="true">⇩</span> Fall</li></ul></dd>'
    ) in body
    assert "<dt>Special instructions</dt><dd>Door open at night<br>No &lt;belts&gt;</dd>" in body


@time_machine.travel(NOON_ISH, tick=False)
def test_ordering_on_the_page_reads_the_start_in_the_unit_zone(
    world: World, signed_in: Any
) -> None:
    client = signed_in("clinician")
    page = client.get(order_url(world)).content.decode()
    assert 'value="2025-03-10T10:00"' in page  # now, in Chicago
    assert "America/Chicago" in page
    response = client.post(order_url(world), form(started_at="2025-03-10T09:30"))
    assert response.status_code == 302
    made = ObservationOrder.objects.get()
    assert made.started_at == datetime(2025, 3, 10, 14, 30, tzinfo=UTC)
    assert made.precautions == ["suicide", "fall"]
    assert made.instructions == "Door open at night"
    assert made.ordered_by == world.staff["clinician"]
    assert AuditEvent.objects.filter(object_id=str(made.public_id), action="create").exists()


def test_changing_starts_from_the_current_order_and_keeps_the_chain(
    world: World, order: ObservationOrder, signed_in: Any
) -> None:
    client = signed_in("nurse")
    page = client.get(order_url(world)).content.decode()
    assert "Ordered now" in page
    assert f'value="{level("q15").public_id}" selected' in page
    assert 'value="elopement" id="id_precautions_2" checked' in page
    response = client.post(
        order_url(world), form(level=str(level("q5").public_id), reason="Said a plan")
    )
    assert response.status_code == 302
    order.refresh_from_db()
    new = ObservationOrder.objects.get(ended_at__isnull=True)
    assert new.replaces == order
    assert order.ended_at == new.started_at
    assert order.end_reason == "Changed: Said a plan"


def test_bad_input_is_shown_and_nothing_is_stored(world: World, signed_in: Any) -> None:
    client = signed_in("nurse")
    response = client.post(order_url(world), form(reason="", precautions=["moonwalking"]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "This field is required." in body
    assert "moonwalking is not one of the available choices" in body
    future = clock.local(clock.now() + timedelta(hours=2), "America/Chicago")
    response = client.post(order_url(world), form(started_at=future.strftime("%Y-%m-%dT%H:%M")))
    assert response.status_code == 200
    assert "An order cannot start in the future." in response.content.decode()
    assert not ObservationOrder.objects.exists()


def test_ending_needs_a_reason(world: World, order: ObservationOrder, signed_in: Any) -> None:
    client = signed_in("nurse")
    url = reverse("rounds:order-end", args=[order.public_id])
    refused = client.post(url, {"reason": ""})
    assert refused.status_code == 200
    assert "This field is required." in refused.content.decode()
    order.refresh_from_db()
    assert order.ended_at is None
    done = client.post(url, {"reason": "Stable for 48 hours"})
    assert done.status_code == 302
    order.refresh_from_db()
    assert order.end_reason == "Stable for 48 hours"
    assert order.ended_by == world.staff["nurse"]


def test_history_lists_every_order_current_first_and_audits_the_read(
    world: World, order: ObservationOrder, signed_in: Any
) -> None:
    services.record_check(
        order,
        actor=world.user("bht"),
        observed_at=clock.now(),
        location="dayroom",
        activity="sitting",
        safety_status="safe",
        client_id=uuid.uuid4(),
    )
    services.change_level(level("q5"), actor=world.user("admin"), name="Five-minute checks")
    services.order_observation(
        world.person_a, actor=world.user("clinician"), level=level("q5"), reason="Said a plan"
    )
    before = last_seq()
    client = signed_in("bht")
    response = client.get(history_url(world))
    assert response.status_code == 200
    body = response.content.decode()
    assert body.index("Five-minute checks") < body.index("Every 15 minutes")
    assert "q5, version 2" in body
    assert "q15, version 1" in body
    assert "Said a plan" in body
    assert "Elopement" in body
    assert "<dt>Checks</dt><dd>1</dd>" in body
    assert "Day room, Sitting" in body
    reads = AuditEvent.objects.filter(seq__gt=before, action="view")
    assert [e.detail["what"] for e in reads] == ["observation history"]
    assert reads[0].person_id == world.person_a.public_id


def test_history_pays_a_fixed_number_of_queries(
    world: World, order: ObservationOrder, signed_in: Any, django_assert_max_num_queries: Any
) -> None:
    for code in ("q5", "q30", "q60", "q15"):
        services.order_observation(
            world.person_a, actor=world.user("nurse"), level=level(code), reason=code
        )
    client = signed_in("nurse")
    client.get(history_url(world))  # warm the session and the actor
    with django_assert_max_num_queries(HISTORY_BUDGET):
        assert client.get(history_url(world)).status_code == 200


# The session and actor, the person with the scope and the audited read, the page of orders and
# its count, each order's floor moment, the checks and their addenda, the alert badge.
HISTORY_BUDGET = 20


def _checks(order: ObservationOrder, world: World, count: int) -> None:
    done = order.checks.count()
    for n in range(done + 1, done + count + 1):
        moment = order.started_at + timedelta(minutes=n)
        with time_machine.travel(moment + timedelta(seconds=5), tick=False):
            services.record_check(
                order,
                actor=world.user("bht"),
                observed_at=moment,
                location="dayroom",
                activity="sitting",
                safety_status="safe",
                client_id=uuid.uuid4(),
            )


def test_history_shows_a_page_of_orders_each_with_its_latest_checks(
    world: World, order: ObservationOrder, signed_in: Any, django_assert_max_num_queries: Any
) -> None:
    """The page does not grow with the history: ten orders a page, each with its newest
    checks, the same number of queries with 3 checks as with 30, and the rest a page away."""
    _checks(order, world, 3)
    client = signed_in("nurse")
    client.get(history_url(world))
    with django_assert_max_num_queries(HISTORY_BUDGET):
        few = client.get(history_url(world)).content.decode()
    assert "Latest checks (3)" in few
    _checks(order, world, 27)
    # The changes come after the last check (a change is never dated before one).
    with time_machine.travel(order.started_at + timedelta(minutes=31), tick=False):
        for n in range(11):
            services.order_observation(
                world.person_a, actor=world.user("nurse"), level=level("q15"), reason=f"Change {n}"
            )
    with django_assert_max_num_queries(HISTORY_BUDGET):
        many = client.get(history_url(world)).content.decode()
    assert many.count('<section class="card" id="order-') == 10
    assert "Page 1 of 2" in many
    last = client.get(history_url(world) + "?page=2").content.decode()
    assert last.count('<section class="card" id="order-') == 2
    # The first order (now ended) is on the second page: its 20 newest of 30 checks.
    assert "Latest checks (20 of 30)" in last
    newest = order.checks.order_by("-observed_at").first()
    oldest = order.checks.order_by("observed_at").first()
    assert newest is not None and oldest is not None  # noqa: PT018
    assert f'id="check-{newest.public_id}"' in last
    assert f'id="check-{oldest.public_id}"' not in last


# --- API ---------------------------------------------------------------------------------------


def test_api_orders_changes_and_ends_a_level(world: World, order: ObservationOrder) -> None:
    api = api_as(world.user("clinician"))
    path = f"/persons/{world.person_a.public_id}/orders"
    made = api.post(path, {"level": "q5", "reason": "Said a plan", "precautions": ["suicide"]})
    assert made.status_code == 201, made.content
    new = made.json()
    assert (new["level"], new["level_version"]) == ("q5", 1)
    assert new["replaces"] == str(order.public_id)
    assert new["ordered_by"]["name"] == world.staff["clinician"].display_name
    history = api.get(path).json()
    assert [h["public_id"] for h in history] == [new["public_id"], str(order.public_id)]
    # (Writes answer with microseconds, reads with milliseconds: compare to the millisecond.)
    assert history[1]["ended_at"][:23] == new["started_at"][:23]
    assert history[1]["status"] == "ended"
    one = api.get(f"/orders/{new['public_id']}")
    assert one.json()["precautions"] == ["suicide"]
    ended = api.post(f"/orders/{new['public_id']}/end", {"reason": "Stable"})
    assert ended.status_code == 200
    assert ended.json()["end_reason"] == "Stable"
    assert ended.json()["next_due_at"] is None
    assert_problem(api.post(f"/orders/{new['public_id']}/end", {"reason": "Again"}), 422)


def test_api_refuses_bad_orders_without_storing(world: World) -> None:
    api = api_as(world.user("nurse"))
    path = f"/persons/{world.person_a.public_id}/orders"
    problem = assert_problem(api.post(path, {"level": "q7", "reason": "x"}), 422)
    assert "level" in problem["errors"]
    assert_problem(api.post(path, {"level": "q15", "reason": "x", "precautions": ["nope"]}), 422)
    assert_problem(api_as(world.user("bht")).post(path, {"level": "q15", "reason": "x"}), 403)
    assert_problem(api_as(world.user("outsider")).post(path, {"level": "q15", "reason": "x"}), 404)
    assert not ObservationOrder.objects.exists()


def test_api_reads_of_orders_are_audited(world: World, order: ObservationOrder) -> None:
    before = last_seq()
    api = api_as(world.user("peer"))
    assert api.get(f"/orders/{order.public_id}").status_code == 200
    assert api.get(f"/persons/{world.person_a.public_id}/orders").status_code == 200
    reads = AuditEvent.objects.filter(seq__gt=before, action="view").order_by("seq")
    assert [e.detail["what"] for e in reads] == ["api observation order", "api observation history"]
    assert {e.person_id for e in reads} == {world.person_a.public_id}
    assert_problem(api_as(world.user("outsider")).get(f"/orders/{order.public_id}"), 404)


def test_the_stored_check_count_follows_single_batch_and_late_checks(
    world: World, order: ObservationOrder, signed_in: Any
) -> None:
    """The history reads the order's stored count: right after taps, a batch and a late entry,
    and its page costs the same queries with 3 or 30 checks."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from pillars.rounds.services.sync import CheckItem, record_checks

    bht = world.user("bht")
    start = clock.now()

    def one(at: datetime, **extra: Any) -> None:
        services.record_check(
            order,
            actor=bht,
            observed_at=at,
            location="dayroom",
            activity="sitting",
            safety_status="safe",
            client_id=uuid.uuid4(),
            **extra,
        )

    with time_machine.travel(start + timedelta(minutes=30), tick=False):
        one(start + timedelta(minutes=10), late_reason="Written up after the code")
        one(start + timedelta(minutes=25))
        # An entry for an earlier moment counts without moving the clock back.
        one(start + timedelta(minutes=22))
    order.refresh_from_db()
    assert order.check_count == 3
    assert order.last_observed_at == start + timedelta(minutes=25)

    client = signed_in("nurse")
    with CaptureQueriesContext(connection) as few:
        assert client.get(history_url(world)).status_code == 200
    with time_machine.travel(start + timedelta(hours=8), tick=False):
        items = [
            CheckItem(
                order=order.public_id,
                client_id=uuid.uuid4(),
                observed_at=start + timedelta(minutes=30 + 15 * n),
                location="bedroom",
                activity="asleep",
                safety_status="safe",
                late_reason="Synced from the tablet",
            )
            for n in range(27)
        ]
        results = record_checks(items, actor=bht)
    assert {r.status for r in results} == {"created"}
    order.refresh_from_db()
    assert order.check_count == 30 == order.checks.count()
    with CaptureQueriesContext(connection) as many:
        body = client.get(history_url(world)).content.decode()
    assert len(many) == len(few)
    assert "Latest checks (20 of 30)" in body
