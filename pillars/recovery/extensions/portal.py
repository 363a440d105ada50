"""What the portal area adds to other apps' pages: a section on the person's page linking to
the accesses they were given to their own page (no menu entry: the person's pages are reached
only by the link handed to them)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from pillars.core import policy
from pillars.people.models import PersonServed
from pillars.people.sections import CARE_TEAM, hidden_unless_allowed
from pillars.recovery.extensions import register_mixed_section


@hidden_unless_allowed("recovery.view_person_access")
def person_portal(
    request: HttpRequest, person: PersonServed, page: dict[str, Any]
) -> dict[str, Any] | None:
    return {"can_issue": policy.allows(request.user, "recovery.issue_person_access", person)}


def install() -> None:
    """Register this area's person-page section."""
    register_mixed_section(
        "recovery-portal",
        "recovery/portal/_person_section.html",
        person_portal,
        order=79,
        group=CARE_TEAM,
    )
