"""Who may see and do what in the workforce area: supervision."""

from __future__ import annotations


def install() -> None:
    """Register this area's actions with the policy layer."""
