"""Reads of checks, scoped to the user; showing a person's checks is an audited read."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import QuerySet

from pillars.core import policy
from pillars.people.selectors import record_person_read
from pillars.rounds.models import Check, ObservationOrder


def checks_of(user: Any, order: ObservationOrder, *, since: datetime) -> QuerySet[Check]:
    """An order's checks observed since a moment, restricted to what the user may see."""
    return (
        policy.restrict(Check.objects.filter(order=order), user, "rounds.view")
        .filter(observed_at__gte=since)
        .select_related("order")
    )


def record_checks_read(user: Any, order: ObservationOrder, shown: list[Check]) -> None:
    """One audit event for a page of a person's checks: who read them, which, and why."""
    record_person_read(
        user, order, order.person, what="checks", checks=[str(c.public_id) for c in shown]
    )
