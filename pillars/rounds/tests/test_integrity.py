"""The integrity report from the database: the rows it loads, its query budget, its audit event,
the page (flags grouped by kind, links to the checks) and the check page."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.urls import reverse

from pillars.audit.models import AuditEvent
from pillars.people.models import Bed, PersonServed, Placement
from pillars.people.testing import World, make_person, place
from pillars.rounds.integrity import Kind
from pillars.rounds.models import Check, CheckAddendum, Coverage, ObservationLevel, ObservationOrder
from pillars.rounds.selectors import integrity as selectors

pytestmark = pytest.mark.django_db

# 2025-03-04 in America/Chicago (UTC-6): the day shift runs 13:00-01:00 UTC.
DAY = date(2025, 3, 4)
SHIFT_START = datetime(2025, 3, 4, 13, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _late_that_evening() -> Any:
    """The world is built, and the report read, on the evening of the shift."""
    with time_machine.travel(SHIFT_START + timedelta(hours=6), tick=False):
        yield


def _order(world: World, person: PersonServed, level: str = "q15") -> ObservationOrder:
    episode = person.episodes.get()
    return ObservationOrder.objects.create(
        person=person,
        episode=episode,
        level=ObservationLevel.objects.get(code=level, is_current=True),
        reason="test",
        ordered_by=world.staff["nurse"],
        started_at=SHIFT_START - timedelta(days=1),
        recorded_at=SHIFT_START - timedelta(days=1),
    )


def _check(
    order: ObservationOrder,
    by: Any,
    observed: datetime,
    recorded: datetime | None = None,
    **kw: Any,
) -> Check:
    values: dict[str, Any] = {
        "location": "bedroom",
        "activity": "asleep",
        "safety_status": "safe",
    }
    values.update(kw)
    return Check.objects.create(
        order=order,
        observed_by=by,
        observed_at=observed,
        recorded_at=recorded or observed + timedelta(seconds=4),
        client_id=uuid.uuid4(),
        **values,
    )


@pytest.fixture
def floor(world: World) -> dict[str, Any]:
    """Two more persons on unit A (beds 2 and 3) and a q15 order for each person on unit A."""
    with time_machine.travel(SHIFT_START - timedelta(days=1), tick=False):
        people = [world.person_a]
        for n, bed in enumerate(world.beds_a[1:3], start=2):
            person = make_person(f"MRN-A{n}", f"Family{n}")
            place(person, world.unit_a, bed, world.staff["nurse"])
            people.append(person)
        orders = [_order(world, p) for p in people]
    return {"people": people, "orders": orders}


def _backfill(world: World, orders: list[ObservationOrder], n: int = 4) -> list[Check]:
    """Four quarter hours typed in at 17:00 UTC within a minute."""
    bht = world.staff["bht"]
    typed = SHIFT_START + timedelta(hours=4)
    return [
        _check(
            orders[0],
            bht,
            SHIFT_START + timedelta(minutes=15 * k),
            typed + timedelta(seconds=9 * k),
        )
        for k in range(n)
    ]


def _report(world: World, role: str = "nurse", **kw: Any) -> selectors.IntegrityReport:
    period = selectors.shift_period(world.unit_a, DAY, selectors.DAY)
    return selectors.integrity_report(world.user(role), world.unit_a, period, **kw)


def test_shift_periods_are_local() -> None:
    class U:
        time_zone = "America/Chicago"

    day = selectors.shift_period(U(), DAY, selectors.DAY)  # type: ignore[arg-type]
    assert (day.start, day.end) == (SHIFT_START, SHIFT_START + timedelta(hours=12))
    night = selectors.shift_period(U(), DAY, selectors.NIGHT)  # type: ignore[arg-type]
    assert night.start == SHIFT_START + timedelta(hours=12)
    assert night.end == SHIFT_START + timedelta(hours=24)
    # 2025-03-09: clocks go forward at 02:00; that night is 11 real hours long.
    dst = selectors.shift_period(U(), date(2025, 3, 8), selectors.NIGHT)  # type: ignore[arg-type]
    assert dst.end - dst.start == timedelta(hours=11)
    assert selectors.current_shift(U(), SHIFT_START + timedelta(hours=13)) == (  # type: ignore[arg-type]
        DAY,
        selectors.NIGHT,
    )


def test_report_flags_a_backfilled_run_and_audits_the_read(
    world: World, floor: dict[str, Any]
) -> None:
    checks = _backfill(world, floor["orders"])
    report = _report(world)
    kinds = sorted({f.kind for f in report.flags})
    assert kinds == sorted([Kind.BURST, Kind.EVEN_SPACING, Kind.LARGE_GAP])
    burst = next(f for f in report.flags if f.kind == Kind.BURST)
    assert burst.staff == world.staff["bht"].pk
    assert set(burst.check_ids) == {c.public_id for c in checks}
    line = next(s for s in report.summary if s.staff == world.staff["bht"])
    assert line.checks_on_unit == 4
    assert line.checks_flagged == 4
    assert line.kinds[Kind.BURST] == 1
    event = AuditEvent.objects.filter(object_id=str(world.unit_a.public_id)).latest("pk")
    assert event.action == "view"
    assert event.detail["what"] == "integrity report"
    assert event.detail["period"] == "Day shift 2025-03-04"
    assert event.detail["person_ids"] == [str(world.person_a.public_id)]


def test_honest_checks_raise_no_flag(world: World, floor: dict[str, Any]) -> None:
    bht = world.staff["bht"]
    moment = SHIFT_START
    for k in range(6):
        for order in floor["orders"]:
            moment += timedelta(seconds=11 + k)
            _check(order, bht, moment)
        moment += timedelta(minutes=14, seconds=7 * k)
    report = _report(world)
    assert report.flags == []
    assert report.checks_total == 18


def test_other_periods_and_staff_filter(world: World, floor: dict[str, Any]) -> None:
    _backfill(world, floor["orders"])
    period = selectors.shift_period(world.unit_a, DAY, selectors.NIGHT)
    assert selectors.integrity_report(world.user("nurse"), world.unit_a, period).flags == []
    assert _report(world, staff=world.staff["nurse"]).flags == []
    assert _report(world, staff=world.staff["bht"]).flags


def test_one_to_one_elsewhere_and_travel_between_units(world: World, floor: dict[str, Any]) -> None:
    bht = world.staff["bht"]
    Coverage.objects.create(
        order=floor["orders"][1],
        staff=bht,
        started_at=SHIFT_START,
        ended_at=SHIFT_START + timedelta(hours=2),
        started_by=world.staff["nurse"],
        recorded_at=SHIFT_START,
    )
    elsewhere = _check(floor["orders"][0], bht, SHIFT_START + timedelta(minutes=30))
    # A check of a person on unit B eight seconds after one on unit A.
    order_b = _order(world, world.person_b)
    a = _check(floor["orders"][2], bht, SHIFT_START + timedelta(hours=3))
    b = _check(order_b, bht, SHIFT_START + timedelta(hours=3, seconds=8))
    report = _report(world)
    by_kind = {f.kind: f for f in report.flags}
    assert by_kind[Kind.ONE_TO_ONE].check_ids == (elsewhere.public_id,)
    assert by_kind[Kind.TRAVEL].check_ids == (a.public_id, b.public_id)
    assert report.check_units[b.public_id] == world.unit_b.pk


def test_rooms_far_apart_use_the_room_order(world: World, floor: dict[str, Any]) -> None:
    from pillars.people.models import Room

    far_room = Room.objects.create(unit=world.unit_a, name="A199")
    for n in range(12):
        Room.objects.create(unit=world.unit_a, name=f"A15{n:02d}")
    bed = Bed.objects.create(room=far_room, label="A")
    Placement.objects.filter(episode__person=floor["people"][2], ended_at__isnull=True).update(
        bed=bed
    )
    bht = world.staff["bht"]
    first = _check(floor["orders"][0], bht, SHIFT_START + timedelta(hours=1))
    second = _check(floor["orders"][2], bht, SHIFT_START + timedelta(hours=1, seconds=9))
    flags = [f for f in _report(world).flags if f.kind == Kind.TRAVEL]
    assert [f.check_ids for f in flags] == [(first.public_id, second.public_id)]
    # The same checks with the person in the day room: the room is unknown, nothing flagged.
    Check.objects.filter(pk=second.pk).update(location="dayroom")
    assert [f for f in _report(world).flags if f.kind == Kind.TRAVEL] == []


def test_report_query_budget_does_not_grow_with_checks(
    world: World, floor: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    _backfill(world, floor["orders"])
    _report(world)  # warm the actor cache
    with django_assert_max_num_queries(12) as small:
        _report(world)
    for order in floor["orders"]:
        for k in range(30):
            _check(order, world.staff["nurse"], SHIFT_START + timedelta(minutes=5 * k, seconds=k))
    with django_assert_max_num_queries(len(small.captured_queries)):
        _report(world)


def test_report_needs_a_leader(world: World) -> None:
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        _report(world, role="bht")


# --- Pages --------------------------------------------------------------------------------------


def test_page_groups_flags_and_links_each_check(
    world: World, floor: dict[str, Any], signed_in: Any
) -> None:
    checks = _backfill(world, floor["orders"])
    url = reverse("rounds:integrity", kwargs={"public_id": world.unit_a.public_id})
    with time_machine.travel(SHIFT_START + timedelta(hours=5), tick=False):
        response = signed_in("nurse").get(url)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Entered in a burst: 1" in body
    assert "Evenly spaced times: 1" in body
    assert "Entered long after the observation: 4" in body
    assert "Impossible travel between rooms: 0" in body
    for check in checks:
        assert reverse("rounds:check-detail", kwargs={"public_id": check.public_id}) in body
    assert "T Bht" in body
    assert body.count('method="post"') == 1  # sign-out only: nothing to dismiss or hide
    assert 'style="' not in body


def test_page_filters_by_date_and_shift(
    world: World, floor: dict[str, Any], signed_in: Any
) -> None:
    _backfill(world, floor["orders"])
    url = reverse("rounds:integrity", kwargs={"public_id": world.unit_a.public_id})
    client = signed_in("supervisor")
    night = client.get(url, {"day": "2025-03-04", "shift": "night"}).content.decode()
    assert "Night shift 2025-03-04" in night
    assert "No pattern of back-filling found" in night
    day = client.get(url, {"day": "2025-03-04", "shift": "day"}).content.decode()
    assert "Entered in a burst: 1" in day
    ranged = client.get(url, {"day": "2025-03-01", "shift": "range", "until": "2025-03-05"})
    assert "2025-03-01 to 2025-03-05" in ranged.content.decode()
    too_long = client.get(url, {"day": "2025-01-01", "shift": "range", "until": "2025-03-05"})
    assert "At most 31 days" in too_long.content.decode()
    staff_only = client.get(
        url, {"day": "2025-03-04", "shift": "day", "staff": str(world.staff["nurse"].public_id)}
    )
    assert "Entered in a burst: 0" in staff_only.content.decode()


def test_check_page_shows_times_in_the_unit_zone_and_addenda(
    world: World, floor: dict[str, Any], signed_in: Any
) -> None:
    check = _check(
        floor["orders"][0],
        world.staff["bht"],
        SHIFT_START + timedelta(minutes=1),
        SHIFT_START + timedelta(minutes=25),
        is_late_entry=True,
        late_reason="Code on the unit",
    )
    CheckAddendum.objects.create(
        check_record=check,
        written_by=world.staff["nurse"],
        written_at=SHIFT_START + timedelta(hours=1),
        reason="Wrong location",
        text="Was in the day room.",
    )
    url = reverse("rounds:check-detail", kwargs={"public_id": check.public_id})
    response = signed_in("bht").get(url)
    body = response.content.decode()
    assert response.status_code == 200
    assert "2025-03-04 07:01:00" in body
    assert "2025-03-04 07:25:00" in body
    assert body.count("America/Chicago") == 1  # said once, on the page's zone line
    assert "Late entry" in body
    assert "Code on the unit" in body
    assert "Was in the day room." in body
    assert "Wrong location" in body
    event = AuditEvent.objects.filter(object_id=str(check.public_id)).latest("pk")
    assert event.person_id == world.person_a.public_id


# --- Opening on the worst recent shift, named evidence ------------------------------------------

# The night shift of 2025-03-03 in Chicago: 2025-03-04 01:00 to 13:00 UTC.
NIGHT_START = SHIFT_START - timedelta(hours=12)


def _backfill_at(world: World, order: ObservationOrder, start: datetime, n: int) -> list[Check]:
    """``n`` quarter hours from ``start``, typed in four hours later within a minute."""
    typed = start + timedelta(hours=4)
    return [
        _check(
            order,
            world.staff["bht"],
            start + timedelta(minutes=15 * k),
            typed + timedelta(seconds=5 * k),
        )
        for k in range(n)
    ]


def _page(client: Any, world: World, **params: str) -> str:
    url = reverse("rounds:integrity", kwargs={"public_id": world.unit_a.public_id})
    response = client.get(url, params)
    assert response.status_code == 200
    return str(response.content.decode())


def test_recent_shifts_count_each_shift_as_its_own_report_does(
    world: World, floor: dict[str, Any]
) -> None:
    _backfill_at(world, floor["orders"][0], NIGHT_START + timedelta(hours=1), 8)
    _backfill(world, floor["orders"])
    recent = selectors.recent_shifts(world.user("nurse"), world.unit_a)
    assert len(recent) == 14
    assert [(c.day, c.shift) for c in recent[:2]] == [
        (DAY, selectors.DAY),
        (date(2025, 3, 3), selectors.NIGHT),
    ]
    for count in recent[:3]:
        report = selectors.integrity_report(world.user("nurse"), world.unit_a, count.period)
        assert count.flags == len(report.flags)
        assert count.checks == report.checks_total
    worst = selectors.worst_shift(recent)
    assert worst is not None
    assert (worst.day, worst.shift) == (date(2025, 3, 3), selectors.NIGHT)
    assert worst.flags > recent[0].flags > 0


def test_the_page_opens_on_the_worst_recent_shift_and_says_why(
    world: World, floor: dict[str, Any], signed_in: Any
) -> None:
    _backfill_at(world, floor["orders"][0], NIGHT_START + timedelta(hours=1), 8)
    _backfill(world, floor["orders"])
    night = selectors.integrity_report(
        world.user("nurse"),
        world.unit_a,
        selectors.shift_period(world.unit_a, date(2025, 3, 3), selectors.NIGHT),
    )
    today = _report(world)
    body = _page(signed_in("nurse"), world)
    assert (
        f"Opened on the Night shift 2025-03-03: the most flags ({len(night.flags)}) of the 14 "
        "shifts in the last 7 days." in body
    )
    assert f"The current shift, Day shift 2025-03-04, has {len(today.flags)}." in body
    assert '<h2 id="h-period">Night shift 2025-03-03</h2>' in body
    # Every recent shift is listed with its count and a link to it; the shown one is marked.
    assert body.count("?day=") == 13
    assert "?day=2025-03-04&amp;shift=day" in body
    assert "?day=2025-02-26&amp;shift=night" in body
    assert 'Night shift 2025-03-03 <span class="muted">(shown below)</span>' in body
    # A chosen shift is shown as chosen, with the week still listed.
    chosen = _page(signed_in("nurse"), world, day="2025-03-04", shift="day")
    assert '<h2 id="h-period">Day shift 2025-03-04</h2>' in chosen
    assert "Opened on the" not in chosen
    assert "?day=2025-03-03&amp;shift=night" in chosen


def test_with_no_flags_the_page_opens_on_the_current_shift(
    world: World, floor: dict[str, Any], signed_in: Any
) -> None:
    body = _page(signed_in("supervisor"), world)
    assert "No flags in the last 7 days: showing the current shift, Day shift 2025-03-04." in body
    assert '<h2 id="h-period">Day shift 2025-03-04</h2>' in body


def test_each_piece_of_evidence_is_named(
    world: World, floor: dict[str, Any], signed_in: Any
) -> None:
    checks = _backfill(world, floor["orders"])
    body = _page(signed_in("nurse"), world)
    first = reverse("rounds:check-detail", kwargs={"public_id": checks[0].public_id})
    # Observed 07:00 in Chicago, typed in at 11:00: the person, the moments, who and how late.
    moment = checks[0].observed_at.isoformat()
    assert (
        f'<a href="{first}">Alex Rivera, observed <time datetime="{moment}">'
        "2025-03-04 07:00 CST</time></a>: entered by T Bht at" in body
    )
    assert "(4 h 00 min later)</li>" in body
    assert ">check 1<" not in body


def test_a_person_the_reader_may_not_see_is_not_named(
    world: World, floor: dict[str, Any], signed_in: Any
) -> None:
    order_b = _order(world, world.person_b)
    seen = _check(floor["orders"][2], world.staff["bht"], SHIFT_START + timedelta(hours=3))
    unseen = _check(order_b, world.staff["bht"], SHIFT_START + timedelta(hours=3, seconds=8))
    report = _report(world)
    named = {e.person for e in report.evidence.values()}
    assert world.person_b.display_name not in named
    assert "a person on another unit" in named
    # Their check is listed, not linked: its page would answer "not found" to this reader.
    assert (
        report.evidence[seen.public_id].openable,
        report.evidence[unseen.public_id].openable,
    ) == (
        True,
        False,
    )
    client = signed_in("nurse")
    body = _page(client, world)
    assert world.person_b.display_name not in body
    unseen_page = reverse("rounds:check-detail", kwargs={"public_id": unseen.public_id})
    assert unseen_page not in body
    assert client.get(unseen_page).status_code == 404
    assert reverse("rounds:check-detail", kwargs={"public_id": seen.public_id}) in body


def test_scrolling_tables_can_be_reached_by_keyboard(
    world: World, floor: dict[str, Any], signed_in: Any
) -> None:
    _backfill(world, floor["orders"])
    body = _page(signed_in("nurse"), world)
    assert body.count('class="table-scroll"') == 2
    assert body.count('<div class="table-scroll" tabindex="0" role="region" aria-label="') == 2


def test_recent_shifts_query_budget_does_not_grow_with_checks(
    world: World, floor: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    _backfill(world, floor["orders"])
    selectors.recent_shifts(world.user("nurse"), world.unit_a)  # warm the actor cache
    with django_assert_max_num_queries(10) as small:
        selectors.recent_shifts(world.user("nurse"), world.unit_a)
    for order in floor["orders"]:
        _backfill_at(world, order, NIGHT_START + timedelta(hours=2), 20)
        for k in range(30):
            _check(order, world.staff["nurse"], SHIFT_START + timedelta(minutes=5 * k, seconds=k))
    with django_assert_max_num_queries(len(small.captured_queries)):
        selectors.recent_shifts(world.user("nurse"), world.unit_a)


def test_the_page_query_budget_does_not_grow_with_flags(
    world: World, floor: dict[str, Any], signed_in: Any, django_assert_max_num_queries: Any
) -> None:
    client = signed_in("nurse")
    _backfill(world, floor["orders"])
    _page(client, world)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        _page(client, world)
    for order in floor["orders"]:
        _backfill_at(world, order, NIGHT_START + timedelta(hours=2), 20)
    with django_assert_max_num_queries(len(small.captured_queries)):
        _page(client, world)
