"""What the plans area adds to other apps' pages: the wellness plan and goals section of a
person's page."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from pillars.people.models import PersonServed
from pillars.people.sections import RECOVERY, hidden_unless_allowed
from pillars.recovery.extensions import register_mixed_section
from pillars.recovery.selectors import plans as selectors


@hidden_unless_allowed("recovery.view_goals")
def person_plans(
    request: HttpRequest, person: PersonServed, page: dict[str, Any]
) -> dict[str, Any] | None:
    versions = list(selectors.versions_of(person, request.user)[:3])
    return {
        "current": next((v for v in versions if v.is_signed), None),
        "draft": next((v for v in versions if not v.is_signed), None),
        "goals": list(selectors.active_goals_of(person, request.user)[:6]),
    }


def install() -> None:
    """Register this area's sections, panels and menu entries."""
    register_mixed_section(
        "recovery-plans",
        "recovery/plans/_person_section.html",
        person_plans,
        order=60,
        group=RECOVERY,
    )
