"""The unit board: rows, sorting, assignment filter, paused and covered persons, the query budget,
the pages, one-tap checks (htmx, JSON for the tablet's queue, plain form), refusals, and the
poll that must not keep an idle session alive."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from pillars.audit.choices import Action
from pillars.audit.models import AuditEvent
from pillars.core import clock
from pillars.people.models import Alert, Bed, Room
from pillars.people.testing import World, make_person, place
from pillars.rounds import services
from pillars.rounds.choices import AssignmentKind, CheckStatus, ExceptionKind
from pillars.rounds.models import (
    Check,
    Coverage,
    MonitoringException,
    ObservationLevel,
    ObservationOrder,
    ShiftAssignment,
)
from pillars.rounds.selectors import board as board_selectors

pytestmark = pytest.mark.django_db

POLL = {"X-Pillars-Poll": "1"}
JSON = {"Accept": "application/json"}


def level(code: str = "q15") -> ObservationLevel:
    return ObservationLevel.objects.get(code=code, is_current=True)


def order_for(world: World, person: Any, code: str = "q15", **kwargs: Any) -> ObservationOrder:
    kwargs.setdefault("started_at", clock.now() - timedelta(hours=1))
    return services.order_observation(
        person, actor=world.user("nurse"), level=level(code), reason="Board test", **kwargs
    )


def check(order: ObservationOrder, world: World, minutes_ago: int = 0, **kw: Any) -> Check:
    values: dict[str, Any] = {
        "observed_at": clock.now() - timedelta(minutes=minutes_ago),
        "location": "bedroom",
        "activity": "asleep",
        "safety_status": "safe",
        "client_id": uuid.uuid4(),
        "late_reason": "Charted after a code" if minutes_ago > 10 else "",
    }
    values.update(kw)
    return services.record_check(order, actor=world.user("bht"), **values)


def add_person(world: World, n: int, bed: Bed | None = None) -> Any:
    person = make_person(f"MRN-X{n}", f"Family{n:02d}")
    place(person, world.unit_a, bed, world.staff["nurse"])
    return person


def census(world: World, count: int) -> list[ObservationOrder]:
    """``count`` persons on unit A (person A plus new ones), each on an order, a third checked,
    some on 1:1 with coverage, one paused: every kind of row the board draws."""
    orders = [order_for(world, world.person_a, precautions=["suicide"])]
    room = Room.objects.create(unit=world.unit_a, name="A200")
    for n in range(1, count):
        bed = Bed.objects.create(room=room, label=f"B{n:02d}") if n % 2 else None
        code = "one-to-one" if n % 4 == 1 else "q15"
        orders.append(order_for(world, add_person(world, n, bed), code))
    for n, order in enumerate(orders):
        if n % 3 == 0:
            check(order, world, minutes_ago=5)
        # One open stretch per staff member: the first few 1:1 persons have someone with them.
        covering = {1: "bht", 5: "nurse", 9: "clinician", 13: "supervisor"}.get(n)
        if order.level.staff_ratio and covering:
            Coverage.objects.create(
                order=order,
                staff=world.staff[covering],
                started_at=clock.now(),
                started_by=world.staff["nurse"],
                recorded_at=clock.now(),
            )
    paused = orders[-1]
    MonitoringException.objects.create(
        order=paused,
        kind=ExceptionKind.OFF_UNIT,
        reason="X-ray",
        started_at=clock.now(),
        started_by=world.staff["nurse"],
        recorded_at=clock.now(),
    )
    ObservationOrder.objects.filter(pk=paused.pk).update(paused_at=clock.now(), due_at=None)
    return orders


# --- Selector ----------------------------------------------------------------------------------


def test_rows_show_what_the_floor_needs_and_are_due_first(world: World) -> None:
    a = order_for(world, world.person_a, precautions=["suicide", "elopement"])
    check(a, world, minutes_ago=14, location="dayroom", activity="tv")
    b_person = add_person(world, 1, world.beds_a[1])
    b = order_for(world, b_person)
    check(b, world, minutes_ago=2)
    rows = board_selectors.board_rows(world.user("bht"), world.unit_a)
    assert [r.order for r in rows] == [a, b]
    first = rows[0]
    assert first.name == world.person_a.display_name
    assert (first.room, first.bed) == ("A100", "A")
    assert [p[1] for p in first.precautions] == ["Suicide", "Elopement"]
    assert first.last_location_label == "Day room"
    assert first.last_activity_label == "Watching TV"
    assert first.status == CheckStatus.DUE
    assert first.due_text() == "due in 1 min"
    assert rows[1].status == CheckStatus.UPCOMING
    assert rows[1].due_text() == "due in 13 min"
    event = AuditEvent.objects.filter(action=Action.VIEW, object_id="unit board a").get()
    assert set(event.detail["person_ids"]) == {
        str(world.person_a.public_id),
        str(b_person.public_id),
    }


def test_a_paused_person_says_why_and_sorts_last(world: World) -> None:
    a = order_for(world, world.person_a)
    b = order_for(world, add_person(world, 1))
    MonitoringException.objects.create(
        order=a,
        kind=ExceptionKind.OFF_UNIT,
        reason="Court",
        started_at=clock.now(),
        started_by=world.staff["nurse"],
        recorded_at=clock.now(),
    )
    ObservationOrder.objects.filter(pk=a.pk).update(paused_at=clock.now(), due_at=None)
    rows = board_selectors.board_rows(world.user("bht"), world.unit_a)
    assert [r.order for r in rows] == [b, a]
    assert rows[1].status == CheckStatus.PAUSED
    assert rows[1].status_label == "Paused: Off the unit"
    assert rows[1].due_at is None


def test_one_to_one_shows_who_is_with_the_person_now(world: World) -> None:
    order = order_for(world, world.person_a, "one-to-one")
    Coverage.objects.create(
        order=order,
        staff=world.staff["bht"],
        started_at=clock.now(),
        started_by=world.staff["nurse"],
        recorded_at=clock.now(),
    )
    Coverage.objects.create(
        order=order,
        staff=world.staff["nurse"],
        started_at=clock.now() - timedelta(hours=1),
        ended_at=clock.now() - timedelta(minutes=5),
        started_by=world.staff["nurse"],
        recorded_at=clock.now(),
    )
    (row,) = board_selectors.board_rows(world.user("bht"), world.unit_a)
    assert row.needs_coverage_shown
    assert row.with_now == [world.staff["bht"].display_name]


def test_my_assignment_keeps_my_persons_and_the_persons_in_my_rooms(world: World) -> None:
    a = order_for(world, world.person_a)  # bed A100-A
    roommate = order_for(world, add_person(world, 1, world.beds_a[1]))  # bed A100-B
    elsewhere = order_for(world, add_person(world, 2, world.beds_a[2]))  # room A101
    alone = order_for(world, add_person(world, 3))
    now = clock.now()
    common = {
        "unit": world.unit_a,
        "staff": world.staff["bht"],
        "assigned_by": world.staff["nurse"],
        "recorded_at": now,
    }
    ShiftAssignment.objects.create(
        kind=AssignmentKind.ROOM,
        room=world.beds_a[0].room,
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(hours=7),
        **common,
    )
    ShiftAssignment.objects.create(
        kind=AssignmentKind.PERSON,
        person=alone.person,
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(hours=7),
        **common,
    )
    # Ended early and yet to start: neither counts now.
    ShiftAssignment.objects.create(
        kind=AssignmentKind.PERSON,
        person=elsewhere.person,
        starts_at=now - timedelta(hours=2),
        ends_at=now + timedelta(hours=6),
        ended_at=now - timedelta(minutes=1),
        **common,
    )
    ShiftAssignment.objects.create(
        kind=AssignmentKind.PERSON,
        person=elsewhere.person,
        starts_at=now + timedelta(minutes=1),
        ends_at=now + timedelta(hours=6),
        **common,
    )
    mine = board_selectors.board_rows(world.user("bht"), world.unit_a, mine=True)
    assert {r.order for r in mine} == {a, roommate, alone}
    everyone = board_selectors.board_rows(world.user("bht"), world.unit_a)
    assert {r.order for r in everyone if r.is_mine} == {a, roommate, alone}
    assert len(everyone) == 4
    # The nurse has no assignment at all.
    assert board_selectors.board_rows(world.user("nurse"), world.unit_a, mine=True) == []


def test_room_order_walks_the_hall(world: World) -> None:
    order_for(world, world.person_a)  # A100
    order_for(world, add_person(world, 1, world.beds_a[3]))  # A101 B
    order_for(world, add_person(world, 2, world.beds_a[2]))  # A101 A
    order_for(world, add_person(world, 3))  # no bed: last
    rows = board_selectors.board_rows(world.user("bht"), world.unit_a, sort="room")
    assert [(r.room, r.bed) for r in rows] == [
        ("A100", "A"),
        ("A101", "A"),
        ("A101", "B"),
        ("", ""),
    ]


def test_the_board_shows_only_this_unit_and_nothing_to_an_outsider(world: World) -> None:
    order_for(world, world.person_a)
    ObservationOrder.objects.create(  # on unit B
        person=world.person_b,
        episode=world.person_b.episodes.get(),
        level=level(),
        reason="Unit B",
        ordered_by=world.staff["nurse"],
        started_at=clock.now(),
        recorded_at=clock.now(),
    )
    rows = board_selectors.board_rows(world.user("bht"), world.unit_a)
    assert [r.person for r in rows] == [world.person_a]
    assert board_selectors.board_rows(world.user("outsider"), world.unit_a) == []


def _queries(world: World, expected_rows: int) -> int:
    user = type(world.user("bht")).objects.get(pk=world.user("bht").pk)  # no cached actor
    with CaptureQueriesContext(connection) as queries:
        rows = board_selectors.board_rows(user, world.unit_a)
    assert len(rows) == expected_rows
    return len(queries)


# The actor (3), the orders (1), their last checks (1) and beds (1), open exceptions and
# coverage (2: of the paused orders and those on 1:1 or 2:1 only), the assignment (1), ligature
# findings in the unit's rooms (1) and the audited list read (5).
BOARD_QUERY_BUDGET = 15


def test_no_one_paused_or_on_one_to_one_reads_no_exceptions_or_coverage(world: World) -> None:
    order_for(world, world.person_a)
    user = type(world.user("bht")).objects.get(pk=world.user("bht").pk)
    with CaptureQueriesContext(connection) as queries:
        rows = board_selectors.board_rows(user, world.unit_a)
    assert [r.with_now for r in rows] == [[]]
    assert rows[0].open_exception is None
    read = " ".join(q["sql"] for q in queries.captured_queries)
    assert "rounds_monitoringexception" not in read
    assert "rounds_coverage" not in read


@pytest.mark.parametrize("size", [5, 40])
def test_the_board_reads_in_a_constant_number_of_queries(
    world: World, size: int, django_assert_max_num_queries: Any
) -> None:
    census(world, size)
    user = type(world.user("bht")).objects.get(pk=world.user("bht").pk)
    with django_assert_max_num_queries(BOARD_QUERY_BUDGET):
        rows = board_selectors.board_rows(user, world.unit_a)
    assert len(rows) == size
    assert any(r.with_now for r in rows)
    assert any(r.paused_kind for r in rows)


def test_five_and_forty_persons_cost_the_same_queries(world: World) -> None:
    census(world, 5)
    small = _queries(world, 5)
    room = Room.objects.create(unit=world.unit_a, name="A300")
    for n in range(100, 135):
        bed = Bed.objects.create(room=room, label=f"C{n}") if n % 2 else None
        order = order_for(world, add_person(world, n, bed), "one-to-one" if n % 5 == 0 else "q15")
        if n % 3 == 0:
            check(order, world, minutes_ago=3)
    assert _queries(world, 40) == small


# --- Pages -------------------------------------------------------------------------------------


def board_url(world: World, name: str = "rounds:board") -> str:
    return reverse(name, kwargs={"public_id": world.unit_a.public_id})


def check_url(order: ObservationOrder) -> str:
    return reverse("rounds:check-record", kwargs={"public_id": order.public_id})


def test_board_list_links_each_of_my_units(world: World, signed_in: Any) -> None:
    body = signed_in("bht").get(reverse("rounds:board-list")).content.decode()
    assert board_url(world) in body
    assert str(world.unit_b.public_id) not in body


def test_board_page_shows_rows_with_status_in_words_and_icon(world: World, signed_in: Any) -> None:
    order = order_for(world, world.person_a, precautions=["suicide"])
    check(order, world, minutes_ago=20, location="dayroom", activity="tv")
    Alert.objects.create(
        kind="escalation",
        recipient=world.staff["bht"],
        unit=world.unit_a,
        message="Check overdue",
        due_at=clock.now(),
        created_at=clock.now(),
        dedupe_key="t1",
    )
    response = signed_in("bht").get(board_url(world))
    body = response.content.decode()
    assert response.status_code == 200
    assert world.person_a.display_name in body
    assert "⚠</span> Late" in body
    assert "overdue by 5 min" in body
    assert "Suicide" in body
    assert 'data-alert-count="1"' in body
    assert "Day room, Watching TV" in body
    assert "js/board.js" in body
    assert 'hx-headers=\'{"X-Pillars-Poll": "1"}\'' in body
    # The last check's time is shown in the unit's zone (America/Chicago), not UTC.
    seen = Check.objects.filter(order=order).values_list("observed_at", flat=True).get()
    assert f">{clock.local(seen, world.unit_a.time_zone):%H:%M}</time>" in body


def test_a_peer_sees_the_board_without_check_buttons(world: World, signed_in: Any) -> None:
    order = order_for(world, world.person_a)
    check(order, world, minutes_ago=5)
    body = signed_in("peer").get(board_url(world)).content.decode()
    assert world.person_a.display_name in body
    assert "one-tap" not in body
    body = signed_in("bht").get(board_url(world)).content.decode()
    assert 'class="one-tap"' in body


def test_rows_partial_and_round_page(world: World, signed_in: Any) -> None:
    order_for(world, world.person_a)
    client = signed_in("bht")
    rows = client.get(board_url(world, "rounds:board-rows"), headers={"HX-Request": "true"})
    assert rows.status_code == 200
    assert b"<html" not in rows.content
    assert world.person_a.display_name.encode() in rows.content
    page = client.get(board_url(world, "rounds:round"))
    assert page.status_code == 200
    assert b"data-round-card" in page.content
    assert AuditEvent.objects.filter(object_id="round a").exists()


def test_the_poll_does_not_keep_an_idle_board_signed_in(world: World, signed_in: Any) -> None:
    order_for(world, world.person_a)
    idle = timedelta(seconds=settings.SESSION_IDLE_SECONDS)
    t0 = datetime(2026, 4, 6, 13, 0, tzinfo=UTC)
    with time_machine.travel(t0, tick=False) as traveller:
        client = signed_in("bht")
        assert client.get(board_url(world)).status_code == 200
        rows = board_url(world, "rounds:board-rows")
        for _ in range(int(idle.total_seconds() // 60) - 1):
            traveller.shift(timedelta(minutes=1))
            answer = client.get(rows, headers={**POLL, "HX-Request": "true"})
            assert answer.status_code == 200
        traveller.shift(timedelta(minutes=1))
        ended = client.get(rows, headers={**POLL, "HX-Request": "true"})
        assert ended.status_code == 204
        assert "/account/sign-in/" in ended["HX-Redirect"]


def test_a_tap_while_active_keeps_the_session(world: World, signed_in: Any) -> None:
    """The control for the test above: real clicks do count."""
    order_for(world, world.person_a)
    t0 = datetime(2026, 4, 6, 13, 0, tzinfo=UTC)
    with time_machine.travel(t0, tick=False) as traveller:
        client = signed_in("bht")
        for _ in range(20):
            traveller.shift(timedelta(minutes=1))
            assert client.get(board_url(world)).status_code == 200


# --- Recording a check -------------------------------------------------------------------------


def posted(**overrides: Any) -> dict[str, Any]:
    values = {
        "client_id": str(uuid.uuid4()),
        "observed_at": clock.now().isoformat(),
        "location": "bedroom",
        "activity": "asleep",
        "safety_status": "safe",
    }
    values.update(overrides)
    return values


def test_json_check_is_stored_once_and_a_replay_answers_200(world: World, signed_in: Any) -> None:
    order = order_for(world, world.person_a)
    client = signed_in("bht")
    data = posted()
    first = client.post(check_url(order), data, headers=JSON)
    assert first.status_code == 201
    assert first.json()["client_id"] == data["client_id"]
    again = client.post(check_url(order), data, headers=JSON)
    assert again.status_code == 200
    assert again.json()["public_id"] == first.json()["public_id"]
    stored = Check.objects.get(client_id=data["client_id"])
    assert stored.observed_by == world.staff["bht"]
    assert AuditEvent.objects.filter(action=Action.CREATE, object_id=str(stored.public_id)).count()
    assert Check.objects.count() == 1


def test_json_refusals_are_problem_details(world: World, signed_in: Any) -> None:
    order = order_for(world, world.person_a)
    client = signed_in("bht")
    data = posted()
    assert client.post(check_url(order), data, headers=JSON).status_code == 201
    conflict = client.post(check_url(order), {**data, "location": "dayroom"}, headers=JSON)
    assert conflict.status_code == 409
    assert conflict["Content-Type"].startswith("application/problem+json")
    bad = client.post(check_url(order), posted(location="moon"), headers=JSON)
    assert bad.status_code == 422
    assert "location" in bad.json()["errors"]
    assert Check.objects.count() == 1
    peer = signed_in("peer").post(check_url(order), posted(), headers=JSON)
    assert peer.status_code == 403
    assert peer["Content-Type"].startswith("application/problem+json")
    outsider = signed_in("outsider").post(check_url(order), posted(), headers=JSON)
    assert outsider.status_code == 404
    assert world.person_a.legal_family_name not in outsider.content.decode()
    assert Check.objects.count() == 1


def test_a_late_entry_needs_a_reason_then_goes_through(world: World, signed_in: Any) -> None:
    order = order_for(world, world.person_a)
    client = signed_in("bht")
    data = posted(observed_at=(clock.now() - timedelta(minutes=25)).isoformat())
    refused = client.post(check_url(order), data, headers=JSON)
    assert refused.status_code == 422
    assert list(refused.json()["errors"]) == ["late_reason"]
    assert not Check.objects.exists()
    resent = client.post(
        check_url(order), {**data, "late_reason": "Network was down"}, headers=JSON
    )
    assert resent.status_code == 201
    stored = Check.objects.get()
    assert stored.is_late_entry
    assert stored.late_reason == "Network was down"


def test_htmx_check_answers_the_updated_row(world: World, signed_in: Any) -> None:
    order = order_for(world, world.person_a)
    client = signed_in("bht")
    htmx = {"HX-Request": "true"}
    response = client.post(check_url(order), posted(location="dayroom"), headers=htmx)
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith("<tr")
    assert "✓</span> Saved" in body
    assert "Day room, Asleep" in body
    refused = client.post(check_url(order), posted(activity="flying"), headers=htmx)
    assert refused.status_code == 200
    assert "Choose what the person was doing." in refused.content.decode()
    assert Check.objects.count() == 1


def test_plain_form_check_without_javascript(world: World, signed_in: Any) -> None:
    order = order_for(world, world.person_a)
    client = signed_in("bht")
    back = board_url(world)
    response = client.post(
        check_url(order),
        {"client_id": str(uuid.uuid4()), "location": "bedroom", "activity": "asleep", "next": back},
    )
    assert response.status_code == 302
    assert response["Location"] == back
    stored = Check.objects.get()
    assert stored.safety_status == "safe"
    # No device clock: the server's moment stands in, so it is no late entry.
    assert stored.recorded_at - stored.observed_at < timedelta(seconds=5)
    assert not stored.is_late_entry
    away = client.post(check_url(order), {"location": "bedroom", "next": "https://evil.test/"})
    assert away.status_code == 302
    assert away["Location"] == reverse("rounds:board-list")
    # A ``next`` that is no address at all (it once answered 500 naming it as a view) or a path
    # on another host goes back to the boards too.
    for target in ("x'\"<script>999", "board", "//evil.test/path", "javascript:alert(1)"):
        odd = client.post(check_url(order), {"location": "bedroom", "next": target})
        assert odd.status_code == 302, target
        assert odd["Location"] == reverse("rounds:board-list"), target
    assert Check.objects.count() == 1


def test_a_bad_observed_at_is_refused_before_anything_is_stored(
    world: World, signed_in: Any
) -> None:
    order = order_for(world, world.person_a)
    response = signed_in("bht").post(
        check_url(order), posted(observed_at="yesterday-ish"), headers=JSON
    )
    assert response.status_code == 422
    assert "observed_at" in json.loads(response.content)["errors"]
    assert not Check.objects.exists()


def test_home_panel_links_each_units_board(world: World, signed_in: Any) -> None:
    body = signed_in("bht").get("/").content.decode()
    assert board_url(world) in body
    assert 'href="/rounds/"' in body  # the "Unit board" navigation entry
    assert 'href="/rounds/"' not in signed_in("privacy").get("/").content.decode()


def test_the_board_api_gives_the_same_rows_due_first_and_audits_the_read(world: World) -> None:
    from pillars.core.tests.api_support import api_as

    later = order_for(world, world.person_a)
    check(later, world, minutes_ago=1)
    sooner = order_for(world, add_person(world, 1))  # never checked: missed, so first
    before = AuditEvent.objects.filter(action=Action.VIEW).count()
    response = api_as(world.user("bht")).get(f"/units/{world.unit_a.public_id}/board")
    assert response.status_code == 200
    rows = response.json()
    by_order = {row["order"]: row for row in rows}
    assert str(later.public_id) in by_order
    row = by_order[str(later.public_id)]
    assert row["status"] == CheckStatus.UPCOMING
    assert row["last_location"]
    assert row["name"] == world.person_a.display_name
    assert rows.index(by_order[str(sooner.public_id)]) < rows.index(row)
    assert AuditEvent.objects.filter(action=Action.VIEW).count() == before + 1
    # Someone else's unit is as good as absent.
    elsewhere = api_as(world.user("outsider")).get(f"/units/{world.unit_a.public_id}/board")
    assert elsewhere.status_code == 404


def test_the_benchmark_baseline_renders_the_same_rows_as_the_board(world: World) -> None:
    """``make bench`` compares the board with a bare view (one hand-written query, the board's
    own row template): it must show the same persons in the same order."""
    from django.test import RequestFactory

    from pillars.rounds.bench import bare_board

    orders = census(world, 6)
    check(orders[0], world, minutes_ago=3)
    rows = board_selectors.board_rows(world.user("bht"), world.unit_a)
    html = bare_board(RequestFactory().get("/"), world.unit_a.pk).content.decode()
    positions = [html.index(f'id="row-{row.order.public_id}"') for row in rows]
    assert len(rows) == 6
    assert positions == sorted(positions)
    assert html.count('id="row-') == len(rows)


def test_the_board_keeps_room_order_through_polls_and_taps(world: World, signed_in: Any) -> None:
    # Issue 11 item 5: most-urgent-first re-sorted rows under the finger on every poll and tap.
    first = order_for(world, world.person_a)  # room A100 bed A, checked a minute ago
    check(first, world, minutes_ago=1)
    later = order_for(world, add_person(world, 2, world.beds_a[2]))  # room A101: never checked
    client = signed_in("bht")

    def shown() -> list[ObservationOrder]:
        rows = client.get(board_url(world, "rounds:board-rows"), headers={"HX-Request": "true"})
        return [row.order for row in rows.context["rows"]]

    page = client.get(board_url(world))
    assert [row.order for row in page.context["rows"]] == [first, later]
    assert shown() == [first, later]
    check(later, world)  # the missed person is checked: nobody moves
    assert shown() == [first, later]


def test_the_session_batch_answers_each_item_and_names_a_bad_one(
    world: World, signed_in: Any
) -> None:
    order = order_for(world, world.person_a)
    client = signed_in("bht")
    url = reverse("rounds:check-batch")

    def item(**overrides: Any) -> dict[str, Any]:
        values = {
            "order": str(order.public_id),
            "client_id": str(uuid.uuid4()),
            "observed_at": clock.now().isoformat(),
            "location": "bedroom",
            "activity": "asleep",
            "safety_status": "safe",
        }
        return values | overrides

    bad = client.post(
        url, {"checks": [item(), item(), item(location="moon")]}, content_type="application/json"
    )
    assert bad.status_code == 422
    assert list(bad.json()["errors"]) == ["checks.2.location"]
    good = item()
    first = client.post(url, {"checks": [good]}, content_type="application/json")
    assert first.json()["results"][0]["status"] == "created"
    again = client.post(url, {"checks": [good]}, content_type="application/json")
    assert again.json()["results"][0]["status"] == "replayed"
    assert Check.objects.filter(order=order).count() == 1
