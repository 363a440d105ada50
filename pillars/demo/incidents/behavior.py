"""Demo data for the behavior area of incidents."""

from pillars.demo.incidents.context import DemoContext


def load(ctx: DemoContext) -> None:
    """Nothing yet."""
