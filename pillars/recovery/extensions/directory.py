"""What the directory area adds to other apps' pages: the "Resource directory" menu entry for
every staff role."""

from __future__ import annotations

from pillars.core import navigation
from pillars.core.navigation import NavEntry


def install() -> None:
    """Register this area's sections, panels and menu entries."""
    navigation.register(
        [
            NavEntry(
                "Resource directory", "recovery:directory-search", "recovery.search_directory", 60
            )
        ]
    )
