"""Reads of observation levels: reference data, no person served in them (not audited)."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet

from pillars.core import policy
from pillars.people.tenancy import organization_for
from pillars.rounds.models import ObservationLevel


def current_levels() -> QuerySet[ObservationLevel]:
    """The versions that new orders use, in the order a form lists them."""
    return ObservationLevel.objects.filter(is_current=True).order_by("sort_order", "code")


def levels_visible_to(
    user: Any, action: str = "rounds.view_levels", *, include_older: bool = False
) -> QuerySet[ObservationLevel]:
    qs = ObservationLevel.objects.all() if include_older else current_levels()
    return policy.restrict(qs, user, action).order_by("sort_order", "code", "-version")


def level_versions(user: Any) -> list[ObservationLevel]:
    """Every version of every level, with how many orders each version governs: the orders of
    the user's organization (the levels are shared; their orders are each organization's)."""
    versions = levels_visible_to(user, "rounds.manage_levels", include_older=True)
    mine = Q(orders__organization_id=organization_for(user))
    return list(versions.annotate(orders_count=Count("orders", filter=mine)))


def current_level_by_code(code: str) -> ObservationLevel | None:
    return current_levels().filter(code=code).first()
