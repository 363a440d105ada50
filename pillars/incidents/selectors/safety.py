"""Reads of safety plans, scoped by the policy layer; reads of a person's plan are audited."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import QuerySet

from pillars.core import policy
from pillars.core.entry import get_for
from pillars.incidents.models.safety import SafetyPlanStatus, SafetyPlanVersion
from pillars.people.models import PersonServed, Placement, Unit
from pillars.people.selectors import record_person_read


def versions_of(person: PersonServed, user: Any = None) -> QuerySet[SafetyPlanVersion]:
    """Every version of the person's plan the user may read, newest first (the caller has
    checked the person's scope; a version made in a Part 2 program keeps its label)."""
    return (
        policy.readable(SafetyPlanVersion.objects.filter(person=person), user)
        .select_related("drafted_by", "signed_by")
        .order_by("-number")
    )


def current_plan(person: PersonServed, user: Any = None) -> SafetyPlanVersion | None:
    """The person's plan now: the latest signed version."""
    return versions_of(person, user).filter(status=SafetyPlanStatus.SIGNED).first()


def draft_of(person: PersonServed, user: Any = None) -> SafetyPlanVersion | None:
    return versions_of(person, user).filter(status=SafetyPlanStatus.DRAFT).first()


def get_version_for(
    user: Any, public_id: Any, action: str = "incidents.view_safety_plan", *, what: str
) -> SafetyPlanVersion:
    """One plan version, 404 when out of scope, 403 when not allowed; the read is audited."""
    version = get_for(
        SafetyPlanVersion.objects.select_related("person", "drafted_by", "signed_by"),
        user,
        public_id,
        action,
    )
    record_person_read(user, version, version.person, what=what, version=version.number)
    return version


def current_plans_for(person_ids: list[int], user: Any = None) -> dict[int, SafetyPlanVersion]:
    """The current plan of each of these persons that has one, in one query (the unit board)."""
    rows = (
        policy.readable(SafetyPlanVersion.objects.current(), user)
        .filter(person_id__in=person_ids)
        .select_related("person")
        # The Part 2 label columns too: the label guard reads them on every row it logs, and a
        # deferred column would cost one query per row (a board of n persons, n queries).
        .only(
            "public_id",
            "person_id",
            "person__public_id",
            "number",
            "review_on",
            "status",
            "is_part2",
            "made_in_unit_id",
        )
    )
    return {v.person_id: v for v in rows}


def overdue_reviews(user: Any, unit: Unit, today: date) -> QuerySet[SafetyPlanVersion]:
    """Current plans of the persons on the unit now whose review date has passed, oldest first."""
    on_unit = Placement.objects.filter(unit=unit, ended_at__isnull=True).values(
        "episode__person_id"
    )
    return policy.restrict(
        SafetyPlanVersion.objects.current()
        .filter(person_id__in=on_unit, review_on__lt=today)
        .select_related("person")
        .order_by("review_on", "person__legal_family_name"),
        user,
        "incidents.view_safety_plan",
    )
