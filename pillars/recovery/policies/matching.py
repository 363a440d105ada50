"""Who may see and do what in the recovery app's matching area."""

from __future__ import annotations


def install() -> None:
    """Register this area's actions and scopes with the one policy layer."""
