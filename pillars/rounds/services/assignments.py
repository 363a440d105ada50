"""Shift assignments: the shift lead assigns persons served (or rooms) to staff for a shift in
bulk, and reassigns mid-shift.

Shifts are reasoned in the unit's own zone (DESIGN.md rule 1): 19:00 to 07:00 crosses midnight,
and on a daylight-saving change day a 12-hour night is 11 or 13 real hours. ``shift_bounds``
turns local times into the stored UTC moments.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Q

from pillars.audit import log as audit
from pillars.audit.choices import Action, Purpose
from pillars.core import clock, policy
from pillars.core.errors import ValidationError, invalid
from pillars.people.models import PersonServed, Placement, Room, Staff, Unit
from pillars.rounds.choices import AssignmentKind
from pillars.rounds.models import ShiftAssignment
from pillars.rounds.services.orders import CLOCK_SKEW

# No shift is longer than a day; a longer stretch is a typo in a date.
LONGEST_SHIFT = timedelta(hours=24)


def _exists_locally(naive: datetime, zone: ZoneInfo) -> datetime | None:
    """The aware moment for a local wall time, or None when the wall time does not exist
    (skipped by a spring-forward change) or happens twice (a fall-back change)."""
    first = naive.replace(tzinfo=zone, fold=0)
    second = naive.replace(tzinfo=zone, fold=1)
    if first.utcoffset() != second.utcoffset():
        return None  # ambiguous (fall back) or skipped (spring forward)
    return first.astimezone(UTC)


def shift_bounds(unit: Unit, day: date, starts: time, ends: time) -> tuple[datetime, datetime]:
    """A shift given as the unit's local start date, start time and end time; an end at or
    before the start is on the next day (19:00 to 07:00)."""
    zone = ZoneInfo(unit.time_zone)
    end_day = day if ends > starts else day + timedelta(days=1)
    start = _exists_locally(datetime.combine(day, starts), zone)
    end = _exists_locally(datetime.combine(end_day, ends), zone)
    errors: dict[str, list[str]] = {}
    if start is None:
        errors["starts_at"] = ["That local time is skipped or repeated by a clock change."]
    if end is None:
        errors["ends_at"] = ["That local time is skipped or repeated by a clock change."]
    if errors or start is None or end is None:
        raise ValidationError(errors)
    return start, end


def _works_on(staff: Staff, unit: Unit) -> bool:
    return (
        staff.home_units.filter(pk=unit.pk).exists() or staff.programs.filter(units=unit).exists()
    )


def _may_take(staff: Staff, action: str) -> bool:
    return staff.roles.filter(code__in=policy.roles_for(action)).exists()


def _staff_problem(staff: Staff, unit: Unit, action: str, day: date) -> str | None:
    """Why a staff member cannot take this part of the shift, if they cannot."""
    if not staff.is_employed_on(day):
        return f"{staff.display_name} is not employed on {day:%Y-%m-%d}."
    if not _works_on(staff, unit):
        return f"{staff.display_name} does not work on {unit.name}."
    if not _may_take(staff, action):
        what = "lead the shift" if action == "rounds.assign" else "round on persons served"
        return f"{staff.display_name} does not hold a role that may {what}."
    return None


def _overlapping(unit: Unit, starts_at: datetime, ends_at: datetime) -> Q:
    """Rows of the unit in force at some moment of [starts_at, ends_at)."""
    return Q(unit=unit, starts_at__lt=ends_at, ends_at__gt=starts_at) & (
        Q(ended_at__isnull=True) | Q(ended_at__gt=starts_at)
    )


def _label(item: PersonServed | Room) -> str:
    return item.display_name if isinstance(item, PersonServed) else f"room {item.name}"


def _key(item: PersonServed | Room) -> tuple[str, int]:
    return ("person" if isinstance(item, PersonServed) else "room", item.pk)


def assign_shift(
    unit: Unit,
    *,
    actor: Any,
    starts_at: datetime,
    ends_at: datetime,
    by_staff: Mapping[Staff, Iterable[PersonServed | Room]],
    lead: Staff | None = None,
) -> list[ShiftAssignment]:
    """Assign a shift in one go: the lead and, per staff member, the persons served or rooms
    they round on. All or nothing; a person or room given to two staff members in the same
    stretch is refused, as is staff who do not work on the unit or persons not on it."""
    acting = policy.require(actor, "rounds.assign", unit)
    now = clock.now()
    errors: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    if starts_at.tzinfo is None or ends_at.tzinfo is None:
        raise invalid("starts_at", "The times must include a time zone.")
    if ends_at <= starts_at:
        add("ends_at", "The shift must end after it starts.")
    elif ends_at - starts_at > LONGEST_SHIFT:
        add("ends_at", "A shift is at most 24 hours.")
    if ends_at <= now:
        add("ends_at", "This shift is already over.")
    day = clock.local(starts_at, unit.time_zone).date()
    plan: list[tuple[Staff, PersonServed | Room]] = []
    seen: dict[tuple[str, int], Staff] = {}
    for staff, items in by_staff.items():
        items = list(items)
        if not items:
            continue
        if problem := _staff_problem(staff, unit, "rounds.record_check", day):
            add("by_staff", problem)
            continue
        for item in items:
            if (earlier := seen.get(_key(item))) is not None and earlier != staff:
                add("by_staff", f"{_label(item)} is given to two staff members.")
                continue
            seen[_key(item)] = staff
            plan.append((staff, item))
    if lead is not None and (problem := _staff_problem(lead, unit, "rounds.assign", day)):
        add("lead", problem)
    if not plan and lead is None:
        add("by_staff", "Assign at least one person served or room, or the shift lead.")
    rooms = [item for _, item in plan if isinstance(item, Room)]
    if any(room.unit_id != unit.pk for room in rooms):
        add("by_staff", "A room is not on this unit.")
    persons = [item for _, item in plan if isinstance(item, PersonServed)]
    on_unit = set(
        Placement.objects.current()
        .filter(unit=unit, episode__person__in=persons)
        .values_list("episode__person_id", flat=True)
    )
    for person in persons:
        if person.pk not in on_unit:
            add("by_staff", f"{person.display_name} is not on {unit.name}.")
    if errors:
        raise ValidationError(errors)
    made: list[ShiftAssignment] = []
    with transaction.atomic():
        # One lock per unit orders concurrent shift leads: the overlap check below then sees
        # every committed row.
        Unit.objects.select_for_update().get(pk=unit.pk)
        taken = ShiftAssignment.objects.filter(_overlapping(unit, starts_at, ends_at))
        clash = taken.filter(
            Q(person__in=persons) | Q(room__in=rooms) | Q(kind=AssignmentKind.LEAD)
            if lead is not None
            else Q(person__in=persons) | Q(room__in=rooms)
        ).select_related("staff", "person", "room")
        for row in clash:
            what = (
                "The shift lead"
                if row.kind == AssignmentKind.LEAD
                else _label(
                    row.person or row.room  # type: ignore[arg-type]
                )
            )
            local_end = clock.local(row.ends_at, unit.time_zone)
            add(
                "lead" if row.kind == AssignmentKind.LEAD else "by_staff",
                f"{what} is already assigned to {row.staff.display_name} until "
                f"{local_end:%Y-%m-%d %H:%M}; reassign instead.",
            )
        if errors:
            raise ValidationError(errors)
        common = {
            "unit": unit,
            "starts_at": starts_at,
            "ends_at": ends_at,
            "assigned_by_id": acting.staff_pk,
            "recorded_at": now,
        }
        if lead is not None:
            made.append(
                ShiftAssignment.objects.create(staff=lead, kind=AssignmentKind.LEAD, **common)
            )
        for staff, item in plan:
            if isinstance(item, PersonServed):
                row = ShiftAssignment(staff=staff, kind=AssignmentKind.PERSON, person=item)
            else:
                row = ShiftAssignment(staff=staff, kind=AssignmentKind.ROOM, room=item)
            for name, value in common.items():
                setattr(row, name, value)
            row.save()
            made.append(row)
        audit.record(
            actor,
            Action.CREATE,
            unit,
            object_type="rounds.shiftassignment",
            object_id=f"shift on {unit.code}",
            purpose=Purpose.OPERATIONS,
            detail={
                "unit": str(unit.public_id),
                "starts_at": starts_at.isoformat(),
                "ends_at": ends_at.isoformat(),
                "lead": str(lead.public_id) if lead is not None else None,
                "assignments": [str(a.public_id) for a in made],
                "person_ids": [str(p.public_id) for p in persons],
            },
        )
    return made


def reassign(
    assignment: ShiftAssignment, *, actor: Any, to_staff: Staff, at: datetime | None = None
) -> ShiftAssignment:
    """Hand one part of the shift to another staff member from ``at`` (now by default): the
    row ends then and a new one runs for the rest of the shift, so who had whom at any moment
    stays answerable. Never back-dated."""
    acting = policy.require(actor, "rounds.assign", assignment)
    now = clock.now()
    moment = at or now
    if moment.tzinfo is None:
        raise invalid("at", "The time must include a time zone.")
    if moment < now - CLOCK_SKEW:
        raise invalid("at", "A reassignment cannot be back-dated.")
    moment = max(moment, now)
    with transaction.atomic():
        locked = (
            # of=self: PostgreSQL cannot lock the nullable side of the person/room joins.
            ShiftAssignment.objects.select_for_update(of=("self",))
            .select_related("unit", "staff", "person", "room")
            .get(pk=assignment.pk)
        )
        unit = locked.unit
        end = min(locked.ends_at, locked.ended_at) if locked.ended_at else locked.ends_at
        if moment >= end:
            raise invalid("at", "This part of the shift is over (or already reassigned).")
        if to_staff.pk == locked.staff_id:
            raise invalid("to_staff", f"{to_staff.display_name} already has this.")
        action = "rounds.assign" if locked.kind == AssignmentKind.LEAD else "rounds.record_check"
        day = clock.local(moment, unit.time_zone).date()
        if problem := _staff_problem(to_staff, unit, action, day):
            raise invalid("to_staff", problem)
        start = max(moment, locked.starts_at)
        locked.ended_at = start
        locked.save(update_fields=["ended_at"])
        new = ShiftAssignment.objects.create(
            unit=unit,
            staff=to_staff,
            kind=locked.kind,
            person=locked.person,
            room=locked.room,
            starts_at=start,
            ends_at=locked.ends_at,
            assigned_by_id=acting.staff_pk,
            recorded_at=now,
        )
        audit.record(
            actor,
            Action.UPDATE,
            locked,
            person_id=locked.person.public_id if locked.person else None,
            purpose=Purpose.OPERATIONS,
            detail={
                "event": "reassign",
                "from_staff": str(locked.staff.public_id),
                "to_staff": str(to_staff.public_id),
                "at": start.isoformat(),
                "new_assignment": str(new.public_id),
            },
        )
    return new
