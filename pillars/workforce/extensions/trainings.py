"""What the workforce area trainings adds to other apps' pages (menu entries, sections)."""

from __future__ import annotations


def install() -> None:
    """Register this area's hooks."""
