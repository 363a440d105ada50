"""What role drift adds: menu entries (the time log; the organization's figures) and its
thresholds in the admin."""

from __future__ import annotations

from pillars.core import navigation
from pillars.core.navigation import NavEntry
from pillars.people.services import add_reference_models
from pillars.workforce.models.drift import DriftThreshold


def install() -> None:
    """Register this area's hooks."""
    add_reference_models(DriftThreshold)
    navigation.register(
        [
            NavEntry("Time log", "workforce:time-log", "workforce.log_time", order=62, more=True),
            NavEntry(
                "Role drift", "workforce:drift-org", "workforce.view_org_drift", order=63, more=True
            ),
        ]
    )
