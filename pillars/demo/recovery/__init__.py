"""Demo data for the recovery app, one module per area, each with ``load(ctx)``.

The loaders get the incidents demo's context (units, staff by unit and role, the demo sign-ins,
a random generator per area) and write through the recovery services, like every demo loader.
"""

from pillars.demo.incidents.context import DemoContext

AREAS = ("directory", "plans", "capital", "encounters", "matching", "referrals", "portal")


def load_all(ctx: DemoContext) -> None:
    ctx.load_areas("recovery", AREAS)
