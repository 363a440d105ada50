"""Demo data for the workforce app, one module per area, each with ``load(ctx)``: a year of
workforce history written through the workforce services, like every demo loader."""

from importlib import import_module

from pillars.demo.incidents.context import DemoContext

AREAS = (
    "credentials",
    "trainings",
    "gating",
    "supervision",
    "drift",
    "caseloads",
    "wellbeing",
    "recognition",
    "ladder",
    "retention",
)


def load_all(ctx: DemoContext) -> None:
    for area in AREAS:
        import_module(f"pillars.demo.workforce.{area}").load(ctx)
        ctx.progress(f"workforce: {area}")
