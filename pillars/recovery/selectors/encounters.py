"""Reads of peer encounters and video sessions, scoped by the policy layer; reads are audited."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Prefetch, QuerySet

from pillars.core import policy
from pillars.people.models import PersonServed
from pillars.recovery.models.encounters import (
    Encounter,
    PeerActivity,
    VirtualSession,
    VirtualStatus,
)
from pillars.recovery.models.plans import Goal, GoalStatus
from pillars.recovery.selectors.person_reads import get_person_record_for


def _with_details(qs: QuerySet[Encounter]) -> QuerySet[Encounter]:
    return qs.select_related("person", "written_by", "goal", "group").prefetch_related(
        Prefetch("activities", queryset=PeerActivity.objects.order_by("sort_order", "label"))
    )


def encounters_visible_to(user: Any, *, person: PersonServed | None = None) -> QuerySet[Encounter]:
    """The encounters the user may read, newest first (optionally one person's)."""
    qs = Encounter.objects.all()
    if person is not None:
        qs = qs.filter(person=person)
    return _with_details(policy.restrict(qs, user, "recovery.view_encounter")).order_by(
        "-started_at", "-id"
    )


def encounters_of(person: PersonServed, user: Any) -> QuerySet[Encounter]:
    """A person's encounters the user may read (for a page that already checked the person)."""
    return encounters_visible_to(user, person=person)


def written_by(user: Any, staff_id: int, since: datetime) -> QuerySet[Encounter]:
    """The staff member's own recent encounters (their day list)."""
    return encounters_visible_to(user).filter(written_by_id=staff_id, started_at__gte=since)


def get_encounter_for(
    user: Any, public_id: Any, action: str = "recovery.view_encounter", *, what: str
) -> Encounter:
    """One encounter, 404 when out of scope, 403 when not allowed; the read is audited."""
    encounters = (
        _with_details(Encounter.objects.all())
        .select_related("voided_by", "virtual_session")
        .prefetch_related("flags", "addenda__written_by")
    )
    return get_person_record_for(encounters, user, public_id, action, what=what)


def active_activities() -> QuerySet[PeerActivity]:
    return PeerActivity.objects.filter(is_active=True).order_by("sort_order", "label")


def goals_for(person: PersonServed, user: Any) -> QuerySet[Goal]:
    """The person's goals being worked on, for the encounter form (the person is checked)."""
    return policy.readable(
        Goal.objects.filter(person=person, status=GoalStatus.ACTIVE), user
    ).order_by("created_at", "id")


def sessions_visible_to(
    user: Any, *, upcoming_from: datetime | None = None
) -> QuerySet[VirtualSession]:
    qs = VirtualSession.objects.select_related("person", "peer")
    if upcoming_from is not None:
        qs = qs.filter(scheduled_at__gte=upcoming_from, status=VirtualStatus.SCHEDULED)
    return policy.restrict(qs, user, "recovery.view_virtual_session").order_by("scheduled_at", "id")


def get_session_for(
    user: Any, public_id: Any, action: str = "recovery.view_virtual_session", *, what: str
) -> VirtualSession:
    sessions = VirtualSession.objects.select_related("person", "peer", "program")
    return get_person_record_for(sessions, user, public_id, action, what=what)


def goals_for_many(persons: list[PersonServed], user: Any) -> QuerySet[Goal]:
    """The active goals of several persons (the group form), in one query."""
    return policy.readable(
        Goal.objects.filter(person__in=persons, status=GoalStatus.ACTIVE), user
    ).order_by("person_id", "created_at", "id")
