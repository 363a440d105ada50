"""Shift assignments: bulk assignment in the unit's zone (across midnight and daylight-saving
changes), overlap refusals, reassignment mid-shift, "my assignment", pages and API."""

from __future__ import annotations

from datetime import date, time, timedelta
from typing import Any

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.http import Http404

from pillars.audit.testing import events_since, last_seq
from pillars.core import clock
from pillars.core.errors import ValidationError
from pillars.people.models import Room
from pillars.people.testing import World, make_staff
from pillars.rounds.choices import AssignmentKind
from pillars.rounds.models import ShiftAssignment
from pillars.rounds.selectors.assignments import assigned_person_ids, assignments_active_at
from pillars.rounds.services.assignments import assign_shift, reassign, shift_bounds
from pillars.rounds.tests.floor import another_person, local

pytestmark = pytest.mark.django_db


def tonight(world: World) -> tuple[Any, Any]:
    """Tonight's 19:00-07:00 shift in the unit's zone (or the next one, if past 19:00)."""
    today = clock.today_in(world.unit_a.time_zone)
    return shift_bounds(world.unit_a, today + timedelta(days=1), time(19), time(7))


def night(world: World, **overrides: Any) -> list[ShiftAssignment]:
    starts, ends = tonight(world)
    values: dict[str, Any] = {
        "starts_at": starts,
        "ends_at": ends,
        "lead": world.staff["nurse"],
        "by_staff": {world.staff["bht"]: [world.person_a]},
    }
    values.update(overrides)
    return assign_shift(world.unit_a, actor=world.user("nurse"), **values)


# --- Local times to moments -----------------------------------------------------------------


def test_a_night_shift_crosses_midnight(world: World) -> None:
    starts, ends = shift_bounds(world.unit_a, date(2027, 1, 12), time(19), time(7))
    assert starts == local(2027, 1, 12, 19)
    assert ends == local(2027, 1, 13, 7)
    assert ends - starts == timedelta(hours=12)


def test_daylight_saving_days_make_a_twelve_hour_night_11_or_13_hours(world: World) -> None:
    spring_start, spring_end = shift_bounds(world.unit_a, date(2027, 3, 13), time(19), time(7))
    assert spring_end - spring_start == timedelta(hours=11)
    fall_start, fall_end = shift_bounds(world.unit_a, date(2027, 11, 6), time(19), time(7))
    assert fall_end - fall_start == timedelta(hours=13)
    day_start, day_end = shift_bounds(world.unit_a, date(2027, 3, 14), time(7), time(19))
    assert day_end - day_start == timedelta(hours=12)


def test_a_local_time_skipped_or_repeated_by_the_clock_change_is_refused(world: World) -> None:
    with pytest.raises(ValidationError) as info:
        shift_bounds(world.unit_a, date(2027, 3, 14), time(2, 30), time(14))
    assert "starts_at" in info.value.message_dict
    with pytest.raises(ValidationError) as info:
        shift_bounds(world.unit_a, date(2027, 11, 6), time(19), time(1, 30))
    assert "ends_at" in info.value.message_dict


def test_assigning_on_the_spring_forward_night_stores_eleven_hours(world: World) -> None:
    with time_machine.travel(local(2027, 3, 13, 12), tick=False):
        starts, ends = shift_bounds(world.unit_a, date(2027, 3, 13), time(19), time(7))
        made = night(world, starts_at=starts, ends_at=ends)
    row = next(a for a in made if a.kind == AssignmentKind.PERSON)
    assert row.ends_at - row.starts_at == timedelta(hours=11)
    assert clock.local(row.ends_at, "America/Chicago").hour == 7


# --- Bulk assignment ------------------------------------------------------------------------


def test_bulk_assignment_is_one_audited_write(world: World) -> None:
    room = Room.objects.get(unit=world.unit_a, name="A101")
    second = another_person(world, "MRN-AS2")
    seq = last_seq()
    made = night(
        world,
        by_staff={world.staff["bht"]: [world.person_a, room], world.staff["nurse"]: [second]},
    )
    assert [a.kind for a in made] == ["lead", "person", "room", "person"]
    assert {a.assigned_by for a in made} == {world.staff["nurse"]}
    [event] = events_since(seq, action="create")
    assert event.object_type == "rounds.shiftassignment"
    assert sorted(event.detail["assignments"]) == sorted(str(a.public_id) for a in made)
    assert set(event.detail["person_ids"]) == {
        str(world.person_a.public_id),
        str(second.public_id),
    }


def test_the_same_person_to_two_staff_is_refused_and_nothing_stored(world: World) -> None:
    with pytest.raises(ValidationError) as info:
        night(
            world,
            by_staff={
                world.staff["bht"]: [world.person_a],
                world.staff["nurse"]: [world.person_a],
            },
        )
    assert "given to two staff" in str(info.value.message_dict["by_staff"])
    assert not ShiftAssignment.objects.exists()


def test_overlap_with_an_existing_shift_is_refused(world: World) -> None:
    night(world)
    starts, ends = tonight(world)
    with pytest.raises(ValidationError) as info:
        night(
            world,
            starts_at=starts + timedelta(hours=6),
            ends_at=ends + timedelta(hours=6),
            by_staff={world.staff["clinician"]: [world.person_a]},
        )
    assert "already assigned to T Bht" in str(info.value.message_dict["by_staff"])
    assert "lead" in info.value.message_dict
    assert ShiftAssignment.objects.count() == 2
    # The next shift, starting as this one ends, is fine.
    night(world, starts_at=ends, ends_at=ends + timedelta(hours=12))
    assert ShiftAssignment.objects.count() == 4


def test_staff_and_persons_must_belong_to_the_unit(world: World) -> None:
    peer = world.staff["peer"]
    with pytest.raises(ValidationError) as info:
        night(
            world,
            lead=world.staff["bht"],
            by_staff={
                world.staff["outsider"]: [world.person_a],
                world.staff["bht"]: [world.person_b],
                peer: [world.person_a],
            },
        )
    messages = info.value.message_dict
    assert "does not work on Unit A" in str(messages["by_staff"])
    assert "Okafor" in str(messages["by_staff"])  # person_b is on unit B
    assert "may round" in str(messages["by_staff"])  # a peer does not round
    assert "may lead" in str(messages["lead"])  # a BHT does not lead the shift
    assert not ShiftAssignment.objects.exists()


def test_bad_times_are_refused(world: World) -> None:
    starts, ends = tonight(world)
    with pytest.raises(ValidationError) as info:
        night(world, starts_at=ends, ends_at=starts)
    assert "ends_at" in info.value.message_dict
    with pytest.raises(ValidationError) as info:
        night(world, ends_at=starts + timedelta(hours=30))
    assert "ends_at" in info.value.message_dict
    with pytest.raises(ValidationError) as info:
        night(world, starts_at=starts - timedelta(days=3), ends_at=ends - timedelta(days=3))
    assert "already over" in str(info.value.message_dict["ends_at"])
    with pytest.raises(ValidationError):
        night(world, lead=None, by_staff={})
    assert not ShiftAssignment.objects.exists()


def test_assignment_permissions(world: World) -> None:
    starts, ends = tonight(world)
    for role in ("bht", "clinician", "director"):
        with pytest.raises(PermissionDenied):
            assign_shift(
                world.unit_a, actor=world.user(role), starts_at=starts, ends_at=ends, by_staff={}
            )
    with pytest.raises(Http404):
        assign_shift(
            world.unit_a, actor=world.user("outsider"), starts_at=starts, ends_at=ends, by_staff={}
        )
    made = assign_shift(
        world.unit_a,
        actor=world.user("supervisor"),
        starts_at=starts,
        ends_at=ends,
        by_staff={world.staff["bht"]: [world.person_a]},
    )
    assert len(made) == 1


# --- Reassignment and "my assignment" -------------------------------------------------------


def test_reassign_mid_shift_keeps_who_had_whom(world: World) -> None:
    starts, ends = tonight(world)
    [_, row] = night(world)
    midnight = starts + timedelta(hours=5)
    bht, nurse = world.staff["bht"], world.staff["nurse"]
    with time_machine.travel(midnight, tick=False):
        assert assigned_person_ids(bht, world.unit_a, midnight) == {world.person_a.pk}
        seq = last_seq()
        new = reassign(row, actor=world.user("nurse"), to_staff=nurse)
        [event] = events_since(seq, object_id=str(row.public_id))
        assert event.detail["to_staff"] == str(nurse.public_id)
    row.refresh_from_db()
    assert row.ended_at == midnight
    assert (new.starts_at, new.ends_at, new.person) == (midnight, ends, world.person_a)
    before, after = midnight - timedelta(minutes=1), midnight + timedelta(minutes=1)
    assert assigned_person_ids(bht, world.unit_a, before) == {world.person_a.pk}
    assert assigned_person_ids(bht, world.unit_a, after) == set()
    assert assigned_person_ids(nurse, world.unit_a, after) == {world.person_a.pk}
    assert assignments_active_at(world.unit_a, after).filter(kind="person").get() == new


def test_reassign_refusals(world: World) -> None:
    starts, _ = tonight(world)
    [_, row] = night(world)
    with pytest.raises(ValidationError) as info:
        reassign(row, actor=world.user("nurse"), to_staff=world.staff["bht"])
    assert "to_staff" in info.value.message_dict
    with pytest.raises(ValidationError) as info:
        reassign(row, actor=world.user("nurse"), to_staff=world.staff["outsider"])
    assert "does not work" in str(info.value.message_dict["to_staff"])
    with pytest.raises(ValidationError) as info:
        reassign(
            row,
            actor=world.user("nurse"),
            to_staff=world.staff["nurse"],
            at=clock.now() - timedelta(hours=1),
        )
    assert "back-dated" in str(info.value.message_dict["at"])
    with pytest.raises(PermissionDenied):
        reassign(row, actor=world.user("bht"), to_staff=world.staff["nurse"])
    with pytest.raises(Http404):
        reassign(row, actor=world.user("outsider"), to_staff=world.staff["nurse"])
    assert ShiftAssignment.objects.count() == 2
    with (
        time_machine.travel(starts + timedelta(hours=13), tick=False),
        pytest.raises(ValidationError, match="over"),
    ):
        reassign(row, actor=world.user("nurse"), to_staff=world.staff["nurse"])


def test_a_room_assignment_expands_to_whoever_is_in_its_beds(world: World) -> None:
    room = world.beds_a[2].room
    third = another_person(world, "MRN-AS3", bed=world.beds_a[2])
    starts, _ = tonight(world)
    night(world, by_staff={world.staff["bht"]: [room]})
    moment = starts + timedelta(hours=1)
    assert assigned_person_ids(world.staff["bht"], world.unit_a, moment) == {third.pk}
    newcomer = make_staff("t-newcomer", ["bht"], [world.unit_a])
    assert assigned_person_ids(newcomer, world.unit_a, moment) == set()


# --- Pages and API --------------------------------------------------------------------------


def test_the_assign_page_assigns_in_bulk_in_local_time(world: World, signed_in: Any) -> None:
    from django.urls import reverse

    client = signed_in("nurse")
    url = reverse("rounds:assign", kwargs={"public_id": world.unit_a.public_id})
    page = client.get(url)
    assert page.status_code == 200
    assert world.person_a.display_name in page.content.decode()
    day = clock.today_in(world.unit_a.time_zone) + timedelta(days=1)
    field = f"person_{world.person_a.public_id}"
    both = {
        "day": day.isoformat(),
        "starts": "19:00",
        "ends": "07:00",
        "lead": str(world.staff["nurse"].public_id),
        field: str(world.staff["bht"].public_id),
    }
    assert client.post(url, both).status_code == 302
    row = ShiftAssignment.objects.get(kind="person")
    assert clock.local(row.starts_at, "America/Chicago").hour == 19
    assert row.ends_at - row.starts_at == timedelta(hours=12)
    again = client.post(url, both)
    assert again.status_code == 200
    assert "reassign instead" in again.content.decode()
    assert ShiftAssignment.objects.count() == 2


def test_assignments_api(world: World) -> None:
    from pillars.core.tests.api_support import api_as, assert_problem

    starts, ends = tonight(world)
    body = {
        "starts_at": starts.isoformat(),
        "ends_at": ends.isoformat(),
        "parts": [
            {"staff": str(world.staff["bht"].public_id), "persons": [str(world.person_b.public_id)]}
        ],
    }
    api = api_as(world.user("nurse"))
    refused = assert_problem(api.post(f"/units/{world.unit_a.public_id}/assignments", body), 422)
    assert "Okafor" not in str(refused)  # a person from another unit is never named
    body["parts"][0]["persons"] = [str(world.person_a.public_id)]
    made = api.post(f"/units/{world.unit_a.public_id}/assignments", body)
    assert made.status_code == 201, made.content
    [row] = made.json()["assignments"]
    with time_machine.travel(starts + timedelta(hours=1), tick=False):
        listed = api_as(world.user("bht")).get(f"/units/{world.unit_a.public_id}/assignments")
        assert [r["public_id"] for r in listed.json()] == [row["public_id"]]
        moved = api.post(
            f"/assignments/{row['public_id']}/reassign",
            {"to_staff": str(world.staff["nurse"].public_id)},
        )
    assert moved.status_code == 201, moved.content
    assert moved.json()["staff"] == str(world.staff["nurse"].public_id)
