"""Demo data for the restraint area of incidents."""

from pillars.demo.incidents.context import DemoContext


def load(ctx: DemoContext) -> None:
    """Nothing yet."""
