"""Reads of safety plans, scoped by the policy layer; reads of a person's plan are audited."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import QuerySet

from pillars.core import policy, prepared
from pillars.core.plan_versions import PlanReads
from pillars.incidents.models.safety import SafetyPlanStatus, SafetyPlanVersion
from pillars.people.labels import LABEL_COLUMNS
from pillars.people.models import PersonServed, Placement, Unit
from pillars.people.selectors import record_person_read

# A person's versions, the current plan, the draft, and one version with its read audited
# (core.plan_versions.PlanReads).
PLANS = PlanReads(
    SafetyPlanVersion, SafetyPlanStatus, "incidents.view_safety_plan", record_person_read
)
versions_of = PLANS.versions_of
current_plan = PLANS.current_plan
draft_of = PLANS.draft_of
get_version_for = PLANS.get_version_for


def latest_versions_later(
    person: PersonServed, user: Any, count: int
) -> prepared.Pending[SafetyPlanVersion]:
    """The person's ``count`` latest versions the user may read, newest first, for the person
    page's section: the columns it shows and the Part 2 label columns (the label guard reads
    them on a row it logs), without the drafter's and signer's rows it does not show."""

    def build(person_id: int) -> QuerySet[SafetyPlanVersion]:
        return (
            policy.readable(SafetyPlanVersion.objects.filter(person_id=person_id), user)
            .only(
                "public_id",
                *LABEL_COLUMNS,
                "number",
                "status",
                "signed_at",
                "review_on",
                "content",
            )
            .order_by("-number")[:count]
        )

    return policy.readable_later(f"latest {count} safety plan versions", user, build, person.pk)


@prepared.stepwise
def current_plans_for(
    person_ids: list[int], user: Any = None
) -> prepared.Steps[dict[int, SafetyPlanVersion]]:
    """The current plan of each of these persons that has one, in one query (the unit board),
    built once per reader's labels and census size (``policy.readable_rows``)."""

    def build(persons: list[int]) -> QuerySet[SafetyPlanVersion]:
        return (
            policy.readable(SafetyPlanVersion.objects.current(), user)
            .filter(person_id__in=persons)
            # One current plan a person: no ORDER BY.
            .order_by()
            # The Part 2 label columns too: the label guard reads them on every row it logs,
            # and a deferred column would cost one query per row (a board of n persons, n
            # queries). The board has the persons' public ids: no join for them.
            .only("public_id", "number", "review_on", "status", *LABEL_COLUMNS)
        )

    rows = yield policy.readable_later(
        "current safety plans of the board's persons", user, build, sorted(set(person_ids))
    )
    return {v.person_id: v for v in rows}


def overdue_reviews(user: Any, unit: Unit, today: date) -> QuerySet[SafetyPlanVersion]:
    """Current plans of the persons on the unit now whose review date has passed, oldest first
    (the board's panel counts them: ``count_overdue_reviews``)."""
    on_unit = Placement.objects.filter(unit=unit, ended_at__isnull=True).values(
        "episode__person_id"
    )
    return policy.restrict(
        _overdue_plans(today, on_unit)
        .select_related("person")
        .order_by("review_on", "person__legal_family_name"),
        user,
        "incidents.view_safety_plan",
    )


def count_overdue_reviews(user: Any, today: date, placed: list[int]) -> prepared.KeptCount:
    """How many plans ``overdue_reviews`` holds, for the board's panel: ``placed`` is the ids
    of the persons on the unit now, in order, which the board has read. Built and compiled
    once per process per reader (``policy.restricted_count``), counted with the other panels'."""
    return policy.restricted_count(
        "safety plans overdue", user, "incidents.view_safety_plan", _overdue_plans, today, placed
    )


def _overdue_plans(today: date, persons: Any) -> QuerySet[SafetyPlanVersion]:
    return SafetyPlanVersion.objects.current().filter(person_id__in=persons, review_on__lt=today)
