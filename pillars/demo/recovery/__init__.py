"""Demo data for the recovery app, one module per area, each with ``load(ctx)``.

The loaders get the incidents demo's context (units, staff by unit and role, the demo sign-ins,
a random generator per area) and write through the recovery services, like every demo loader.
"""

from importlib import import_module

from pillars.demo.incidents.context import DemoContext

AREAS = ("directory", "plans", "capital", "encounters", "matching", "referrals", "portal")


def load_all(ctx: DemoContext) -> None:
    for area in AREAS:
        import_module(f"pillars.demo.recovery.{area}").load(ctx)
        ctx.progress(f"recovery: {area}")
