"""What the encounters area adds to other apps' pages (person sections, home panels, navigation)."""

from __future__ import annotations


def install() -> None:
    """Register this area's sections, panels and menu entries."""
