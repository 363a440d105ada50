"""Workforce reads: recognition. One's own (given and received), and counts for leaders: by
month and by the recipient's home unit, never who or what."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import QuerySet

from pillars.core import clock, policy
from pillars.people.models import Staff
from pillars.people.selectors import employed_q
from pillars.people.tenancy import in_organization
from pillars.workforce.models.recognition import Recognition


def received_by(user: Any) -> QuerySet[Recognition]:
    actor = policy.require(user, "workforce.view_own_recognition")
    return policy.restrict(
        Recognition.objects.select_related("given_by"), user, "workforce.view_own_recognition"
    ).filter(given_to_id=actor.staff_pk)


def given_by(user: Any) -> QuerySet[Recognition]:
    actor = policy.require(user, "workforce.view_own_recognition")
    return policy.restrict(
        Recognition.objects.select_related("given_to"), user, "workforce.view_own_recognition"
    ).filter(given_by_id=actor.staff_pk)


def colleagues(user: Any, today: Any) -> QuerySet[Staff]:
    """Who may be recognized: everyone employed today but oneself."""
    actor = policy.require(user, "workforce.give_recognition")
    return (
        in_organization(Staff.objects.filter(employed_q(today)), actor)
        .exclude(pk=actor.staff_pk)
        .order_by("display_name")
    )


@dataclass(frozen=True)
class Counts:
    by_month: list[tuple[str, int, int]]  # (YYYY-MM, from peers, from leaders)
    by_unit: list[tuple[str, int]]
    total: int


def recognition_counts(user: Any) -> Counts:
    """Counts only, of the reader's organization: per month (peer and leader apart) and per
    recipient's home unit."""
    actor = policy.require(user, "workforce.view_recognition_counts")
    given = in_organization(Recognition.objects.all(), actor)
    months: Counter[tuple[str, bool]] = Counter()
    # The organization's months: thanks given at 20:00 on 31 March in Chicago is March's.
    zone = settings.PILLARS_DEFAULT_TIME_ZONE
    for given_at, leader in given.values_list("given_at", "is_from_leader"):
        months[(f"{clock.local(given_at, zone):%Y-%m}", leader)] += 1
    keys = sorted({m for m, _ in months})
    per_unit: Counter[str] = Counter()
    for (name,) in given.values_list("given_to__home_units__name"):
        per_unit[name or "No home unit"] += 1
    return Counts(
        by_month=[(m, months[(m, False)], months[(m, True)]) for m in keys],
        by_unit=sorted(per_unit.items()),
        total=sum(months.values()),
    )
