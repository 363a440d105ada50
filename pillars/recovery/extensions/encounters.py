"""What the encounters area adds to other apps' pages: the "Peer encounters" section of a
person's page (recent encounters, for those who may read them), the menu entries, and the
reference data the admin edits (activity taxonomy, scope-guard words, program rules)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from pillars.core import navigation, policy
from pillars.core.navigation import NavEntry
from pillars.people.models import PersonServed
from pillars.people.sections import RECOVERY, hidden_unless_allowed
from pillars.people.services import add_reference_models
from pillars.recovery.extensions import register_mixed_section
from pillars.recovery.models.encounters import PeerActivity, PeerServiceRule, ScopeGuardTerm
from pillars.recovery.selectors import encounters as selectors

SECTION_ROWS = 5


@hidden_unless_allowed("recovery.view_encounter")
def person_encounters(
    request: HttpRequest, person: PersonServed, page: dict[str, Any]
) -> dict[str, Any] | None:
    encounters = list(selectors.encounters_of(person, request.user)[:SECTION_ROWS])
    can_write = page.get("writable", True) and policy.allows(
        request.user, "recovery.write_encounter", person
    )
    if not encounters and not can_write:
        return None
    return {"encounters": encounters, "can_write": can_write}


def install() -> None:
    """Register this area's sections, panels and menu entries."""
    add_reference_models(PeerActivity, ScopeGuardTerm, PeerServiceRule)
    register_mixed_section(
        "recovery-encounters",
        "recovery/encounters/_person_section.html",
        person_encounters,
        order=50,
        group=RECOVERY,
    )
    navigation.register(
        [
            NavEntry("Peer encounters", "recovery:my-day", "recovery.view_encounter", order=40),
            NavEntry(
                "Video sessions",
                "recovery:session-list",
                "recovery.view_virtual_session",
                order=41,
                more=True,
            ),
        ]
    )
