"""What caseload balance adds: menu entries and the non-peer caseload limits in the admin."""

from __future__ import annotations

from pillars.core import navigation
from pillars.core.navigation import NavEntry
from pillars.people.services import add_reference_models
from pillars.workforce.models.caseloads import CaseloadKindLimit


def install() -> None:
    """Register this area's hooks."""
    add_reference_models(CaseloadKindLimit)
    navigation.register(
        [
            NavEntry(
                "Caseload balance",
                "workforce:caseload-balance",
                "workforce.view_caseload_balance",
                order=64,
                more=True,
            ),
            NavEntry(
                "My caseload",
                "workforce:my-caseload",
                "workforce.view_own_caseload",
                order=65,
                more=True,
            ),
        ]
    )
