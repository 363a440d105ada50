"""What the incidents demo loaders get from the demo generator."""

from __future__ import annotations

import functools
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from importlib import import_module

from pillars.people.models import Staff, Unit

type Loader = Callable[[DemoContext], None]


@dataclass
class DemoContext:
    seed: int
    scale: str  # "small" or "large"
    now: datetime  # the moment the demo is loaded (clock.now())
    units: list[Unit]
    # The employed staff of each unit by role code: staff_by_unit[unit.code]["bht"] -> [Staff].
    staff_by_unit: dict[str, dict[str, list[Staff]]]
    # The demo sign-ins (demo-bht, demo-nurse, ...) by username, where the plan has them.
    demo_staff: dict[str, Staff]
    progress: Callable[[str], None] = field(default=lambda _: None)

    def rng(self, area: str) -> random.Random:
        """A generator of its own for each area, so areas do not shift each other's data."""
        return random.Random(f"{self.seed}:{area}")

    def first_staff(self, unit: Unit, role: str) -> Staff | None:
        """The unit's first employed staff member in ``role``, when it has one."""
        found = self.staff_by_unit.get(unit.code, {}).get(role, [])
        return found[0] if found else None

    def load_areas(self, app: str, areas: Iterable[str]) -> None:
        """Run each area's demo loader (``pillars.demo.<app>.<area>.load``), in order."""
        for area in areas:
            import_module(f"pillars.demo.{app}.{area}").load(self)
            self.progress(f"{app}: {area}")


def with_demo_staff(username: str) -> Callable[[Callable[[DemoContext, Staff], None]], Loader]:
    """A demo loader that acts as the demo sign-in ``username`` (given to it as its second
    argument) and does nothing where the plan has no such sign-in."""

    def wrap(load: Callable[[DemoContext, Staff], None]) -> Loader:
        @functools.wraps(load)
        def run(ctx: DemoContext) -> None:
            member = ctx.demo_staff.get(username)
            if member is not None:
                load(ctx, member)

        return run

    return wrap
