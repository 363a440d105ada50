"""Demo data for the workforce app, one module per area, each with ``load(ctx)``: a year of
workforce history written through the workforce services, like every demo loader, area by area
in the app's own order."""

from pillars.demo.incidents.context import DemoContext
from pillars.workforce.apps import AREAS


def load_all(ctx: DemoContext) -> None:
    ctx.load_areas("workforce", AREAS)
