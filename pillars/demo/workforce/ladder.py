"""Demo workforce data: the career ladder. Staff with two or more years are placed on their
role's second step by the director, through the service; the rest start on the first."""

from __future__ import annotations

from datetime import timedelta

from pillars.core import clock
from pillars.demo.incidents.context import DemoContext, with_demo_staff
from pillars.people.models import Staff
from pillars.workforce.models.ladder import LadderStep
from pillars.workforce.services.ladder import place_on_ladder


@with_demo_staff("demo-director")
def load(ctx: DemoContext, director: Staff) -> None:
    today = clock.organization_today(ctx.now)
    for by_role in ctx.staff_by_unit.values():
        for role, members in by_role.items():
            step = LadderStep.objects.filter(role__code=role, rank=2, is_active=True).first()
            if step is None:
                continue
            for member in members:
                since = member.hired_on + timedelta(days=730)
                if since <= today and member.exited_on is None:
                    place_on_ladder(member, actor=director.user, step=step, since_on=since)
