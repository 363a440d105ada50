"""Reads of shift assignments: who has whom on a unit at a moment.

``assignments_active_at`` and ``assigned_person_ids`` are internal reads (the board asks them
for "my assignment"; the sweep asks them for the shift lead): they take no user and show no
names, so they are not audited. Pages and the API go through the scoped, audited reads.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet

from pillars.core import policy
from pillars.core.entry import get_for
from pillars.people.models import Placement, Staff, Unit
from pillars.people.selectors import record_list_read
from pillars.rounds.choices import AssignmentKind
from pillars.rounds.models import ShiftAssignment


def active_at_q(now: datetime) -> Q:
    return Q(starts_at__lte=now, ends_at__gt=now) & (Q(ended_at__isnull=True) | Q(ended_at__gt=now))


def assignments_active_at(unit: Unit, now: datetime) -> QuerySet[ShiftAssignment]:
    """Every part of the shift in force on the unit at ``now`` (lead, persons, rooms)."""
    return (
        ShiftAssignment.objects.filter(active_at_q(now), unit=unit)
        .select_related("staff", "person", "room")
        .order_by("kind", "staff__display_name", "pk")
    )


def shift_leads_at(unit: Unit, now: datetime) -> list[Staff]:
    rows = assignments_active_at(unit, now).filter(kind=AssignmentKind.LEAD)
    return [row.staff for row in rows]


def assigned_person_ids(staff: Staff, unit: Unit, now: datetime) -> set[int]:
    """The persons served a staff member rounds on now: their person assignments, plus whoever
    is in a bed of their assigned rooms at this moment."""
    rows = assignments_active_at(unit, now).filter(staff=staff)
    persons = {row.person_id for row in rows if row.person_id is not None}
    rooms = [row.room_id for row in rows if row.room_id is not None]
    if rooms:
        persons |= set(
            Placement.objects.at(now)
            .filter(unit=unit, bed__room_id__in=rooms)
            .values_list("episode__person_id", flat=True)
        )
    return persons


def get_assignment_for(user: Any, public_id: Any, action: str = "rounds.assign") -> ShiftAssignment:
    """One assignment, 404 when its unit is out of scope, 403 when the action is not allowed."""
    rows = ShiftAssignment.objects.select_related("unit", "staff", "person", "room")
    return get_for(rows, user, public_id, action)


def shift_on(user: Any, unit: Unit, now: datetime) -> list[ShiftAssignment]:
    """The shift in force on a unit for a user who may see it; an audited read when it names
    persons served."""
    rows = list(policy.restrict(assignments_active_at(unit, now), user, "rounds.view"))
    persons = [row.person for row in rows if row.person is not None]
    record_list_read(user, persons, what=f"shift assignments on {unit.code}")
    return rows
