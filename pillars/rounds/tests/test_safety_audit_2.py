"""A safety audit of observation rounds, as a BHT on nights, a charge nurse and a surveyor see
them: when a check may be recorded (pauses, order edges, the same moment twice, an order that
changed under the request), late entries that must stay visible (board, API, handoff), the
daylight-saving nights of America/Chicago, and who hears an overdue check when the unit's usual
people are not there."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest import mock

import pytest
import time_machine
from django.urls import reverse

from conftest import client_of
from pillars.core import clock
from pillars.core.errors import ValidationError
from pillars.core.tests.api_support import api_as
from pillars.people.choices import AlertKind
from pillars.people.models import Alert, Staff
from pillars.people.services import transfer_person
from pillars.people.testing import World, build_world, make_staff
from pillars.rounds import services
from pillars.rounds.choices import AssignmentKind, CheckStatus
from pillars.rounds.models import Check, ObservationOrder, ShiftAssignment
from pillars.rounds.services import escalation, handoffs
from pillars.rounds.services import sync as sync_services
from pillars.rounds.services.exceptions import end_exception, start_exception
from pillars.rounds.services.set_aside import SetAsideItem, set_aside_checks
from pillars.rounds.services.sync import CheckItem, record_checks
from pillars.rounds.tests.floor import CHICAGO, level, order_for

pytestmark = pytest.mark.django_db

MIN = timedelta(minutes=1)
SECOND = timedelta(seconds=1)


def check(order: ObservationOrder, world: World, **kw: Any) -> Check:
    values: dict[str, Any] = {
        "observed_at": clock.now(),
        "location": "bedroom",
        "activity": "asleep",
        "safety_status": "safe",
        "client_id": uuid.uuid4(),
    }
    values.update(kw)
    return services.record_check(order, actor=world.user("bht"), **values)


def item(order: ObservationOrder, observed_at: datetime, **kw: Any) -> CheckItem:
    values: dict[str, Any] = {
        "order": order.public_id,
        "client_id": uuid.uuid4(),
        "observed_at": observed_at,
        "location": "dayroom",
        "activity": "sitting",
        "safety_status": "safe",
    }
    values.update(kw)
    return CheckItem(**values)


def off_unit(order: ObservationOrder, world: World, **kw: Any) -> Any:
    return start_exception(
        order,
        actor=world.user("nurse"),
        kind="off_unit",
        reason="Dental appointment",
        with_whom="Transport and a BHT",
        where="Dental clinic",
        **kw,
    )


def world_built_before(moment: datetime) -> World:
    """A world whose persons were admitted two days before ``moment``."""
    with time_machine.travel(moment, tick=False):
        return build_world()


def errors_of(raised: Any) -> dict[str, list[str]]:
    return dict(raised.value.message_dict)


# --- When a check may be recorded --------------------------------------------------------------


def test_no_check_while_the_person_is_off_monitoring(world: World) -> None:
    """A BHT taps a person whose order is paused (off the unit): the record would say they were
    seen where they were not. The check is refused, and the clock stays paused."""
    order = order_for(world, started_at=clock.now() - 20 * MIN)
    check(order, world, observed_at=clock.now() - 5 * MIN)
    off_unit(order, world, started_at=clock.now() - 2 * MIN)
    with pytest.raises(ValidationError) as raised:
        check(order, world)
    assert "paused" in errors_of(raised)["observed_at"][0]
    order.refresh_from_db()
    assert order.check_count == 1
    assert order.status_at(clock.now()) == CheckStatus.PAUSED
    # A check observed at the very moment the pause began is the last one before it.
    check(order, world, observed_at=order.paused_at)


def test_no_late_entry_dated_inside_a_pause_that_has_ended(world: World) -> None:
    start = clock.now() - 3 * 60 * MIN
    order = order_for(world, started_at=start)
    with time_machine.travel(start + MIN, tick=False):
        check(order, world)
        exception = off_unit(order, world)
    with time_machine.travel(start + 61 * MIN, tick=False):
        end_exception(exception, actor=world.user("nurse"))
    inside = start + 30 * MIN
    with pytest.raises(ValidationError) as raised:
        check(order, world, observed_at=inside, late_reason="Charted from memory")
    assert "paused" in errors_of(raised)["observed_at"][0]
    # The same through a tablet's queue: refused, saying why, and nothing stored.
    (result,) = record_checks(
        [item(order, inside, late_reason="Tablet was offline")], actor=world.user("bht")
    )
    assert result.status == "refused"
    assert "paused" in result.errors["observed_at"][0]
    # The moment the pause ended is the check due at once: it is taken.
    check(order, world, observed_at=start + 61 * MIN, late_reason="Busy with a new admission")
    assert Check.objects.filter(order=order).count() == 2


def test_one_check_per_moment_but_a_replay_is_still_harmless(world: World) -> None:
    order = order_for(world)
    moment = clock.now() - MIN
    first = check(order, world, observed_at=moment)
    again = check(order, world, observed_at=moment, client_id=first.client_id)
    assert again.pk == first.pk
    with pytest.raises(ValidationError) as raised:
        check(order, world, observed_at=moment)
    assert "already recorded" in errors_of(raised)["observed_at"][0]
    order.refresh_from_db()
    assert order.check_count == 1


def test_a_batch_with_two_checks_of_one_moment_stores_one_and_says_why(world: World) -> None:
    order = order_for(world)
    moment = clock.now() - MIN
    later = clock.now() - 30 * SECOND
    results = record_checks(
        [item(order, moment), item(order, moment), item(order, later)], actor=world.user("bht")
    )
    assert [r.status for r in results] == ["created", "refused", "created"]
    assert "already recorded" in results[1].errors["observed_at"][0]
    assert Check.objects.filter(order=order).count() == 2
    order.refresh_from_db()
    assert (order.check_count, order.last_observed_at) == (2, later)


def test_the_moment_a_level_changes_belongs_to_the_new_order(world: World) -> None:
    """q15 changed to q5 at 10:00: a check at 10:00 is the q5 order's, never both orders'."""
    old = order_for(world, started_at=clock.now() - 30 * MIN)
    change = clock.now() - 2 * MIN
    new = services.order_observation(
        world.person_a,
        actor=world.user("nurse"),
        level=level("q5"),
        reason="Said a plan",
        started_at=change,
    )
    old.refresh_from_db()
    check(new, world, observed_at=change)
    with pytest.raises(ValidationError) as raised:
        check(old, world, observed_at=change)
    assert "ended" in errors_of(raised)["observed_at"][0]
    (result,) = record_checks([item(old, change)], actor=world.user("bht"))
    assert result.status == "refused"
    # Just before the change it is still the old order's.
    check(old, world, observed_at=change - SECOND)


def test_a_level_change_cannot_be_dated_before_a_check_of_the_current_order(
    world: World,
) -> None:
    """A change typed at 10:20 as of 10:10 would leave the 10:15 check after its order ended
    and the new order without it."""
    order = order_for(world, started_at=clock.now() - 30 * MIN)
    seen = check(order, world, observed_at=clock.now() - 5 * MIN)
    with pytest.raises(ValidationError) as raised:
        services.order_observation(
            world.person_a,
            actor=world.user("nurse"),
            level=level("q5"),
            reason="Said a plan",
            started_at=clock.now() - 10 * MIN,
        )
    assert "started_at" in errors_of(raised)
    order.refresh_from_db()
    assert order.ended_at is None
    # From the check on, it is taken.
    services.order_observation(
        world.person_a,
        actor=world.user("nurse"),
        level=level("q5"),
        reason="Said a plan",
        started_at=seen.observed_at,
    )


def test_a_level_changed_while_the_person_is_off_the_unit_stays_paused(world: World) -> None:
    """The clinician raises the level while the person is at an appointment: the new order is
    paused from the change (no alarm for a person nobody can see) and resumes when the
    exception on it ends; the old order's exception ends with the old order."""
    order = order_for(world, started_at=clock.now() - 30 * MIN)
    check(order, world, observed_at=clock.now() - 20 * MIN, late_reason="Charted late")
    away = off_unit(order, world, started_at=clock.now() - 10 * MIN)
    new = services.order_observation(
        world.person_a, actor=world.user("nurse"), level=level("q5"), reason="Said a plan"
    )
    away.refresh_from_db()
    assert away.ended_at == new.started_at
    carried = new.exceptions.get()
    assert carried.ended_at is None
    assert (carried.kind, carried.where, carried.started_at) == (
        away.kind,
        away.where,
        new.started_at,
    )
    assert (new.paused_at, new.due_at) == (new.started_at, None)
    assert new.status_at(clock.now()) == CheckStatus.PAUSED
    assert escalation.escalate_due(clock.now() + 60 * MIN).claimed == 0
    end_exception(carried, actor=world.user("nurse"))
    new.refresh_from_db()
    assert new.paused_at is None
    assert new.due_at is not None


def test_an_order_ended_while_the_person_is_away_ends_its_exception(world: World) -> None:
    order = order_for(world, started_at=clock.now() - 30 * MIN)
    away = off_unit(order, world, started_at=clock.now() - 10 * MIN)
    services.end_observation(order, actor=world.user("nurse"), reason="Discharged from the clinic")
    away.refresh_from_db()
    order.refresh_from_db()
    assert away.ended_at == order.ended_at


def test_an_order_ended_after_the_request_read_it_takes_no_check(world: World) -> None:
    order = order_for(world)
    as_read = ObservationOrder.objects.get(pk=order.pk)
    services.end_observation(order, actor=world.user("nurse"), reason="Discharged")
    with pytest.raises(ValidationError) as raised:
        check(as_read, world, observed_at=clock.now() + 30 * SECOND)
    assert "ended" in errors_of(raised)["observed_at"][0]
    assert not Check.objects.exists()


def test_an_order_paused_while_a_batch_was_read_takes_none_of_its_checks(world: World) -> None:
    order = order_for(world, started_at=clock.now() - 30 * MIN)
    check(order, world, observed_at=clock.now() - 20 * MIN, late_reason="Charted late")
    validate = sync_services.validate_check

    def paused_meanwhile(*args: Any, **kwargs: Any) -> Any:
        if not order.exceptions.exists():
            off_unit(order, world, started_at=clock.now() - 10 * MIN)
        return validate(*args, **kwargs)

    with mock.patch.object(sync_services, "validate_check", paused_meanwhile):
        (result,) = record_checks([item(order, clock.now() - 5 * MIN)], actor=world.user("bht"))
    assert result.status == "refused"
    assert "paused" in result.errors["observed_at"][0]
    order.refresh_from_db()
    assert (order.check_count, order.paused_at is not None, order.due_at) == (1, True, None)


@time_machine.travel(datetime(2025, 6, 2, 15, 0, tzinfo=UTC), tick=False)
def test_the_edges_of_a_check_moment(world: World) -> None:
    now = clock.now()
    order = order_for(world, started_at=now - 60 * MIN)
    with pytest.raises(ValidationError):
        check(order, world, observed_at=order.started_at - SECOND)
    check(order, world, observed_at=order.started_at, late_reason="Charted after the admission")
    with pytest.raises(ValidationError):
        check(order, world, observed_at=now + services.CLOCK_SKEW + SECOND)
    # Exactly the late threshold is on time; one second more needs a reason.
    on_time = check(order, world, observed_at=now - services.LATE_ENTRY_AFTER)
    assert not on_time.is_late_entry
    with pytest.raises(ValidationError) as raised:
        check(order, world, observed_at=now - services.LATE_ENTRY_AFTER - SECOND)
    assert "late_reason" in errors_of(raised)


# --- Late entries stay visible -----------------------------------------------------------------


def test_the_board_and_its_api_flag_a_last_check_that_was_a_late_entry(
    world: World, signed_in: Any
) -> None:
    order = order_for(world, started_at=clock.now() - 60 * MIN)
    check(order, world, observed_at=clock.now() - 14 * MIN, late_reason="Tablet was offline")
    page = signed_in("nurse").get(reverse("rounds:board", args=[world.unit_a.public_id]))
    row = page.content.decode().split(f'id="row-{order.public_id}"')[1].split("</tr>")[0]
    assert "Late entry" in row
    (api_row,) = api_as(world.user("nurse")).get(f"/units/{world.unit_a.public_id}/board").json()
    assert api_row["last_is_late_entry"] is True
    # A check on time after it clears the flag: the board shows the last check.
    check(order, world)
    (api_row,) = api_as(world.user("nurse")).get(f"/units/{world.unit_a.public_id}/board").json()
    assert api_row["last_is_late_entry"] is False


def test_a_client_cannot_make_a_late_entry_look_on_time(world: World) -> None:
    order = order_for(world, started_at=clock.now() - 60 * MIN)
    observed = clock.now() - 40 * MIN
    body = {
        "client_id": str(uuid.uuid4()),
        "observed_at": observed.isoformat(),
        "location": "bedroom",
        "activity": "asleep",
        "safety_status": "safe",
        "late_reason": "Charted at the end of the round",
        "recorded_at": observed.isoformat(),
        "is_late_entry": False,
    }
    answer = api_as(world.user("bht")).post(f"/orders/{order.public_id}/checks", body)
    assert answer.status_code == 201, answer.content
    stored = Check.objects.get()
    assert stored.is_late_entry
    assert stored.recorded_at - stored.observed_at >= 40 * MIN
    assert answer.json()["is_late_entry"] is True


def test_the_handoff_lists_a_back_fill_entered_during_the_shift(db: Any) -> None:
    """At 08:00 someone enters a check for 06:30: the night's handoff was compiled before it and
    the day's shift starts at 07:00; the day's handoff still lists it, saying when it was seen."""
    day_start = datetime(2025, 3, 4, 13, 0, tzinfo=UTC)  # 07:00 CST
    world = world_built_before(day_start)
    with time_machine.travel(day_start - 12 * 60 * MIN, tick=False):
        order = order_for(world, started_at=day_start - 12 * 60 * MIN)
    with time_machine.travel(day_start + 60 * MIN, tick=False):
        late = check(
            order, world, observed_at=day_start - 30 * MIN, late_reason="Forgot to chart it"
        )
    with time_machine.travel(day_start + 11 * 60 * MIN, tick=False):
        handoff = handoffs.compile_handoff(
            world.unit_a,
            actor=world.user("nurse"),
            start=day_start,
            end=day_start + 12 * 60 * MIN,
        )
    (person,) = handoff.snapshot["persons"]
    assert [e["check"] for e in person["late_entries"]] == [str(late.public_id)]
    assert person["late_entries"][0]["before_shift"] is True


# --- Daylight-saving nights (America/Chicago) --------------------------------------------------

# 2025-11-02: 01:00-02:00 happens twice (CDT, then CST). 2025-03-09: 02:00-03:00 never happens.
FALL_BACK_FIRST = datetime(2025, 11, 2, 6, 0, tzinfo=UTC)  # 01:00 CDT
FALL_BACK_SECOND = datetime(2025, 11, 2, 7, 0, tzinfo=UTC)  # 01:00 CST
SPRING_FORWARD = datetime(2025, 3, 9, 8, 0, tzinfo=UTC)  # 02:00 CST is 03:00 CDT


@pytest.fixture
def night_world(db: Any) -> World:
    """A world admitted two days before the fall-back night."""
    return world_built_before(FALL_BACK_FIRST)


def test_the_clock_counts_real_minutes_across_both_changes(world: World) -> None:
    order = order_for(world, started_at=clock.now() - 60 * MIN)
    for last in (FALL_BACK_FIRST + 50 * MIN, SPRING_FORWARD - 10 * MIN):
        order.last_observed_at = last
        order.started_at = last - 60 * MIN
        due = order.next_due_at()
        assert due - last == 15 * MIN
        assert order.status_at(due) == CheckStatus.DUE
        assert order.status_at(due + SECOND) == CheckStatus.LATE
        assert order.status_at(order.missed_at()) == CheckStatus.LATE
        assert order.status_at(order.missed_at() + SECOND) == CheckStatus.MISSED
    # 01:50 CDT + 15 minutes is 01:05 CST, not 02:05.
    assert clock.local(FALL_BACK_FIRST + 65 * MIN, CHICAGO).strftime("%H:%M %Z") == "01:05 CST"


def test_handoff_and_check_times_in_the_repeated_hour_say_which_one(night_world: World) -> None:
    """A check seen at 01:50 CDT and entered at 01:05 CST was entered 15 minutes later, not 45
    minutes earlier: both times carry their zone on the handoff and the check's page."""
    world = night_world
    night_start = FALL_BACK_FIRST - 6 * 60 * MIN  # 19:00 CDT on 1 November
    with time_machine.travel(night_start, tick=False):
        order = order_for(world, started_at=night_start)
    with time_machine.travel(FALL_BACK_SECOND + 5 * MIN, tick=False):
        late = check(
            order, world, observed_at=FALL_BACK_FIRST + 50 * MIN, late_reason="Busy with a fall"
        )
    with time_machine.travel(FALL_BACK_SECOND + 4 * 60 * MIN, tick=False):
        handoff = handoffs.compile_handoff(
            world.unit_a,
            actor=world.user("nurse"),
            start=night_start,
            end=night_start + 13 * 60 * MIN,
        )
        nurse = client_of(world.staff["nurse"])
        page = nurse.get(reverse("rounds:handoff-detail", args=[handoff.public_id]))
        detail = nurse.get(reverse("rounds:check-detail", args=[late.public_id]))
    body = page.content.decode()
    assert "observed 01:50 CDT, entered 01:05 CST" in body
    shown = detail.content.decode()
    assert "01:50:00 CDT" in shown
    assert "01:05:00 CST" in shown


def test_a_set_aside_check_from_the_repeated_hour_can_be_recorded_at_its_moment(
    night_world: World,
) -> None:
    """A tablet queued a check seen at 01:30 CST (the second 01:30) that the server set aside.
    The lead's form offers 01:30, which alone names two moments and was refused as ambiguous:
    the only way to record the check was a wrong time. The queued moment is taken as it is."""
    world = night_world
    seen = FALL_BACK_SECOND + 30 * MIN  # 01:30 CST
    with time_machine.travel(FALL_BACK_FIRST - 60 * MIN, tick=False):
        order = order_for(world, started_at=FALL_BACK_FIRST - 60 * MIN)
    with time_machine.travel(seen + 5 * MIN, tick=False):
        (row,) = set_aside_checks(
            [
                SetAsideItem(
                    order=str(order.public_id),
                    problem="location: Not a valid choice.",
                    fields={"observed_at": seen.isoformat(), "location": "roof"},
                )
            ],
            actor=world.user("bht"),
        )
        assert row is not None
    with time_machine.travel(seen + 40 * MIN, tick=False):
        nurse = client_of(world.staff["nurse"])
        page = nurse.get(reverse("rounds:set-aside-list", args=[world.unit_a.public_id]))
        assert 'value="2025-11-02T01:30"' in page.content.decode()
        done = nurse.post(
            reverse("rounds:set-aside-record", args=[row.public_id]),
            {
                "observed_at": "2025-11-02T01:30",
                "location": "bedroom",
                "activity": "asleep",
                "safety_status": "safe",
                "late_reason": "Set aside on the tablet",
            },
        )
    assert done.status_code == 302  # the form refused 01:30 as ambiguous
    assert Check.objects.get().observed_at == seen


def test_an_overdue_alert_in_the_repeated_hour_says_which_one(night_world: World) -> None:
    world = night_world
    with time_machine.travel(FALL_BACK_FIRST + 10 * MIN, tick=False):
        order = order_for(world, started_at=FALL_BACK_FIRST + 10 * MIN)
    escalation.escalate_due(order.due_at)
    messages = set(Alert.objects.values_list("message", flat=True))
    assert messages
    assert all("01:10 CDT" in m for m in messages), messages


# --- Someone always hears an overdue check -----------------------------------------------------


def _heard(order: ObservationOrder) -> set[str]:
    return set(
        Alert.objects.filter(subject_id=order.public_id).values_list(
            "recipient__user__username", flat=True
        )
    )


def test_a_due_check_is_heard_with_no_lead_and_the_only_nurse_gone_today(world: World) -> None:
    order = order_for(world, started_at=clock.now())
    nurse = world.staff["nurse"]
    Staff.objects.filter(pk=nurse.pk).update(
        exited_on=clock.today_in(world.unit_a.time_zone), exit_reason="other"
    )
    tech = make_staff("t-night-tech", ["bht"], [world.unit_a])
    ShiftAssignment.objects.create(
        unit=world.unit_a,
        staff=tech,
        kind=AssignmentKind.ROOM,
        room=world.beds_a[2].room,  # not the person's room
        starts_at=clock.now() - 60 * MIN,
        ends_at=clock.now() + 11 * 60 * MIN,
        assigned_by=world.staff["supervisor"],
        recorded_at=clock.now(),
    )
    due = order.next_due_at()
    escalation.escalate_due(due)
    # Nobody leads, no nurse is employed: the staff on shift on the unit hear it at due.
    assert _heard(order) == {"t-night-tech"}
    escalation.escalate_due(due + 5 * MIN)
    assert "t-nurse" not in _heard(order)


def test_a_lead_whose_shift_ended_is_not_the_one_who_hears(world: World) -> None:
    order = order_for(world, started_at=clock.now())
    due = order.next_due_at()
    gone = make_staff("t-day-lead", ["nurse"], [world.unit_b])
    ShiftAssignment.objects.create(
        unit=world.unit_a,
        staff=gone,
        kind=AssignmentKind.LEAD,
        starts_at=due - 12 * 60 * MIN,
        ends_at=due,  # the day shift ended as the check fell due
        assigned_by=world.staff["supervisor"],
        recorded_at=due - 12 * 60 * MIN,
    )
    escalation.escalate_due(due + 5 * MIN)
    assert _heard(order) == {"t-nurse"}


def test_a_units_own_chain_whose_step_finds_nobody_is_heard_further_up(world: World) -> None:
    escalation.replace_steps(
        world.unit_a,
        actor=world.user("admin"),
        steps=[
            {"position": 1, "after_minutes": 0, "recipient": "lead"},
            {"position": 2, "after_minutes": 20, "recipient": "director"},
        ],
    )
    order = order_for(world, started_at=clock.now())
    world.staff["nurse"].user.is_active = False
    world.staff["nurse"].user.save()
    escalation.escalate_due(order.due_at)
    # No lead and no active nurse: the unit's supervisor hears the step at due.
    assert _heard(order) == {"t-supervisor"}


def test_after_a_transfer_the_new_unit_hears_the_running_order(world: World) -> None:
    order = order_for(world, started_at=clock.now() - 20 * MIN)
    check(order, world, observed_at=clock.now() - 14 * MIN, late_reason="Charted late")
    transfer_person(
        world.person_a.episodes.get(),
        actor=world.user("nurse"),
        unit=world.unit_b,
        bed=world.beds_b[1],
        reason="Needs a quieter unit",
    )
    order.refresh_from_db()
    escalation.escalate_due(order.due_at)
    # Unit B has no lead and no nurse of its own; its director is the organization's.
    heard = _heard(order)
    assert heard
    assert not heard & {"t-bht", "t-nurse"}


def test_a_transfer_mid_chain_starts_the_chain_again_on_the_new_unit(world: World) -> None:
    """Unit A's tech and lead heard the overdue check; then the person moved to unit B. B's
    lead must hear it too (dated when due), not only the steps A's chain had left."""
    order = order_for(world, started_at=clock.now() - 20 * MIN)
    lead_b = make_staff("t-lead-b", ["nurse"], [world.unit_b])
    due = order.next_due_at()
    escalation.escalate_due(due + 6 * MIN)
    transfer_person(
        world.person_a.episodes.get(),
        actor=world.user("nurse"),
        unit=world.unit_b,
        bed=world.beds_b[1],
        reason="Needs a quieter unit",
    )
    escalation.escalate_due(due + 7 * MIN)
    on_b = Alert.objects.filter(subject_id=order.public_id, unit=world.unit_b)
    assert {(a.recipient, a.due_at) for a in on_b} == {
        (lead_b, due),  # nobody rounds on the person on B: the lead stands in, at due
        (lead_b, due + 5 * MIN),
    }
    # Once: a second pass at the same moment, and the next, write nothing new.
    assert escalation.escalate_due(due + 7 * MIN).claimed == 0
    escalation.escalate_due(due + 15 * MIN)
    assert on_b.filter(recipient=lead_b).count() == 2


def test_the_overdue_alerts_of_a_changed_order_close_with_the_reason(world: World) -> None:
    order = order_for(world, started_at=clock.now() - 30 * MIN)
    escalation.escalate_due(clock.now())
    open_before = Alert.objects.filter(subject_id=order.public_id, resolved_at__isnull=True).count()
    assert open_before
    services.order_observation(
        world.person_a, actor=world.user("nurse"), level=level("q5"), reason="Said a plan"
    )
    still_open = Alert.objects.filter(subject_id=order.public_id, resolved_at__isnull=True)
    assert not still_open.exists()
    reasons = set(
        Alert.objects.filter(subject_id=order.public_id).values_list("resolved_reason", flat=True)
    )
    assert reasons == {"The order changed to Every 5 minutes; its checks are due on the new order."}


def test_two_sweeps_at_one_moment_alert_each_recipient_once(world: World) -> None:
    order = order_for(world, started_at=clock.now() - 40 * MIN)
    moment = clock.now()
    first = escalation.escalate_due(moment)
    second = escalation.escalate_due(moment)
    assert (first.claimed, second.claimed) == (1, 0)
    keys = list(
        Alert.objects.filter(subject_id=order.public_id).values_list("recipient_id", "dedupe_key")
    )
    assert len(keys) == len(set(keys))
    assert set(Alert.objects.values_list("kind", flat=True)) <= {
        AlertKind.CHECK_DUE,
        AlertKind.ESCALATION,
    }
