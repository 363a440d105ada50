"""Reads for the floor gate: the rules, and the warnings a staff member was given."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from pillars.core import policy
from pillars.people.models import Staff
from pillars.workforce.models.gating import FloorRule, FloorWarning

RECENT_WARNINGS = 20


def floor_rules() -> QuerySet[FloorRule]:
    return FloorRule.objects.filter(is_active=True).prefetch_related(
        "credential_types", "courses", "roles"
    )


def warnings_of(staff: Staff, user: Any) -> list[FloorWarning]:
    """The latest warnings given for the staff member (the caller checked they may read the
    staff member's credentials)."""
    if not policy.allows(user, "workforce.view_credentials", staff):
        return []
    return list(FloorWarning.objects.filter(staff=staff)[:RECENT_WARNINGS])
