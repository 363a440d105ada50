"""Reads of people, units and staff, scoped to the user and audited when they touch a person."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from django.db.models import Q, QuerySet
from django.http import Http404

from pillars.audit import log as audit
from pillars.audit.choices import Action, Category, Purpose
from pillars.core import clock, policy
from pillars.people.models import (
    CaseloadAssignment,
    EmergencyAccess,
    Episode,
    PersonServed,
    Placement,
    Staff,
    Unit,
)


def person_category(person: PersonServed) -> str:
    """Substance-use (42 CFR Part 2) when the person was ever placed in a Part 2 program."""
    part2 = Placement.objects.filter(
        episode__person=person, unit__is_substance_use_program=True
    ).exists()
    return Category.SUBSTANCE_USE if part2 else Category.GENERAL


def _parse_uuid(value: Any) -> UUID:
    try:
        return value if isinstance(value, UUID) else UUID(str(value))
    except ValueError:
        raise Http404("Not found") from None


def _purpose(user: Any, person: PersonServed) -> str:
    actor = policy.actor_for(user)
    if person.pk in actor.emergency_person_ids and not (
        actor.is_org_wide or person.pk in actor.caseload_person_ids
    ):
        return Purpose.EMERGENCY
    return Purpose.TREATMENT


def persons_visible_to(
    user: Any, *, search: str = "", unit: Unit | None = None, action: str = "people.list_persons"
) -> QuerySet[PersonServed]:
    qs = policy.restrict(PersonServed.objects.all(), user, action)
    if search:
        for word in search.split()[:4]:
            qs = qs.filter(
                Q(legal_given_name__icontains=word)
                | Q(legal_family_name__icontains=word)
                | Q(preferred_name__icontains=word)
                | Q(record_number__iexact=word)
            )
    if unit is not None:
        qs = qs.filter(episodes__placements__unit=unit, episodes__placements__ended_at__isnull=True)
    return qs.order_by("legal_family_name", "legal_given_name", "pk")


def record_list_read(
    user: Any, people: list[PersonServed], *, what: str, detail: dict[str, Any] | None = None
) -> None:
    """One audit event for a page or API list that showed persons served."""
    if not people:
        return
    part2 = set(
        Placement.objects.filter(
            episode__person__in=people, unit__is_substance_use_program=True
        ).values_list("episode__person_id", flat=True)
    )
    audit.record(
        actor=user,
        action=Action.VIEW,
        object_type="people.personserved",
        object_id=what,
        category=Category.SUBSTANCE_USE if part2 else Category.GENERAL,
        purpose=Purpose.TREATMENT,
        detail={**(detail or {}), "person_ids": [str(p.public_id) for p in people]},
    )


def get_person_for(
    user: Any, public_id: Any, action: str = "people.view_person", *, what: str = "record"
) -> PersonServed:
    """One person served, or 404 when out of scope / 403 when not allowed; the read is audited."""
    person = PersonServed.objects.filter(public_id=_parse_uuid(public_id)).first()
    if person is None:
        raise Http404("Not found")
    policy.require(user, action, person)
    audit.record(
        actor=user,
        action=Action.VIEW,
        target=person,
        person_id=person.public_id,
        category=person_category(person),
        purpose=_purpose(user, person),
        detail={"what": what},
    )
    return person


def current_placement(person: PersonServed) -> Placement | None:
    return (
        Placement.objects.current()
        .filter(episode__person=person)
        .select_related("unit", "bed__room", "episode")
        .first()
    )


def census_at(unit: Unit, moment: datetime | None = None) -> QuerySet[Placement]:
    """Who was on the unit at a moment (now by default)."""
    return (
        Placement.objects.at(moment or clock.now())
        .filter(unit=unit)
        .select_related("episode__person", "bed__room")
        .order_by("bed__room__name", "bed__label", "episode__person__legal_family_name")
    )


def units_visible_to(user: Any) -> QuerySet[Unit]:
    return policy.restrict(Unit.objects.select_related("site"), user, "people.view_unit")


def get_unit_for(user: Any, public_id: Any, action: str = "people.view_unit") -> Unit:
    unit = Unit.objects.select_related("site").filter(public_id=_parse_uuid(public_id)).first()
    if unit is None:
        raise Http404("Not found")
    policy.require(user, action, unit)
    return unit


def staff_visible_to(user: Any, *, search: str = "") -> QuerySet[Staff]:
    qs = policy.restrict(
        Staff.objects.select_related("user", "supervisor"), user, "people.view_staff"
    )
    if search:
        for word in search.split()[:4]:
            qs = qs.filter(
                Q(display_name__icontains=word)
                | Q(job_title__icontains=word)
                | Q(user__username__iexact=word)
                | Q(badge_number__iexact=word)
            )
    return qs.order_by("display_name", "pk")


def get_staff_for(user: Any, public_id: Any, action: str = "people.view_staff") -> Staff:
    staff = (
        Staff.objects.select_related("user", "supervisor")
        .filter(public_id=_parse_uuid(public_id))
        .first()
    )
    if staff is None:
        raise Http404("Not found")
    policy.require(user, action, staff)
    return staff


def episodes_of(person: PersonServed) -> QuerySet[Episode]:
    return person.episodes.prefetch_related("placements__unit", "placements__bed__room")


def caseload_of(person: PersonServed) -> QuerySet[CaseloadAssignment]:
    return person.caseload.select_related("staff").order_by("ended_on", "-started_on")


def grants_awaiting_review(user: Any) -> QuerySet[EmergencyAccess]:
    return (
        policy.restrict(EmergencyAccess.objects.all(), user, "people.review_emergency_access")
        .filter(reviewed_at__isnull=True)
        .select_related("staff", "person")
        .order_by("started_at")
    )
