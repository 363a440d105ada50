"""Demo data for the incidents app, one module per area, each with ``load(ctx)``."""

from pillars.demo.incidents.context import DemoContext

AREAS = ("behavior", "incidents", "restraint", "safety")


def load_all(ctx: DemoContext) -> None:
    ctx.load_areas("incidents", AREAS)
