"""Demo workforce data: retention. The demo's hires and exits are people's (the generator hires
and lets staff go over the years); this adds exit interviews for most of the last year's exits,
one of them an internal transfer (left out of turnover), through the service."""

from __future__ import annotations

from datetime import timedelta

from pillars.core import clock
from pillars.demo.incidents.context import DemoContext, with_demo_staff
from pillars.people.models import Staff
from pillars.workforce.services.retention import record_exit_interview

SAID = [
    ("The schedule never settled; I could not plan my family's week.", "Fixed rotations."),
    ("My supervisor made time for me every week.", "Pay that keeps up with the hospital."),
    ("The team. We looked after each other after bad nights.", "Fewer double shifts."),
]


@with_demo_staff("demo-admin")
def load(ctx: DemoContext, admin: Staff) -> None:
    rng = ctx.rng("retention")
    since = clock.organization_today(ctx.now) - timedelta(days=365)
    transferred = False
    for staff in Staff.objects.filter(
        exited_on__gte=since, exited_on__lte=clock.organization_today(ctx.now)
    ):
        if rng.random() < 0.25:
            continue
        helped, change = rng.choice(SAID)
        reason = ""
        if not transferred and staff.exit_reason == "resigned_career":
            reason, transferred = "internal_transfer", True
        held = staff.exited_on or clock.organization_today(ctx.now)
        with clock.replaying_at(ctx.now):
            record_exit_interview(
                staff,
                actor=admin.user,
                held_on=held,
                reason=reason,
                would_return=rng.choice((True, False, None)),
                what_helped=helped,
                what_would_change=change,
            )
