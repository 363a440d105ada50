"""What the workforce area recognition adds to other apps: menu entries."""

from __future__ import annotations

from pillars.core.navigation import NavEntry
from pillars.core.navigation import register as register_nav


def install() -> None:
    """Register this area's hooks."""
    register_nav(
        [
            NavEntry(
                "Recognition",
                "workforce:recognition-mine",
                "workforce.view_own_recognition",
                order=98,
                more=True,
            ),
            NavEntry(
                "Recognition counts",
                "workforce:recognition-counts",
                "workforce.view_recognition_counts",
                order=99,
                more=True,
            ),
        ]
    )
