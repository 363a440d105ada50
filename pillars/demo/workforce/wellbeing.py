"""Demo workforce data: wellbeing."""

from __future__ import annotations

from pillars.demo.incidents.context import DemoContext


def load(ctx: DemoContext) -> None:
    """Nothing yet."""
