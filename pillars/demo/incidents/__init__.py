"""Demo data for the incidents app, one module per area, each with ``load(ctx)``."""

from importlib import import_module

from pillars.demo.incidents.context import DemoContext

AREAS = ("behavior", "incidents", "restraint", "safety")


def load_all(ctx: DemoContext) -> None:
    for area in AREAS:
        import_module(f"pillars.demo.incidents.{area}").load(ctx)
        ctx.progress(f"incidents: {area}")
