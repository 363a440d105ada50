"""Who may see and do what in the workforce area: drift."""

from __future__ import annotations


def install() -> None:
    """Register this area's actions with the policy layer."""
