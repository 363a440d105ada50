"""Demo workforce data: recognition. A year of thank-you notes between colleagues of the same
unit and from their supervisors, through the service."""

from __future__ import annotations

from datetime import timedelta

from pillars.core import clock
from pillars.demo.incidents.context import DemoContext
from pillars.workforce.services.recognition import give_recognition

MESSAGES = [
    "Thank you for staying calm and kind during a hard admission.",
    "You covered my rounds without being asked. It made the night.",
    "Great handoff: clear, short, nothing missed.",
    "Your de-escalation in the dayroom kept everyone safe.",
    "Thanks for walking the new hire through the board.",
    "You made a person feel heard today. It showed.",
]


def load(ctx: DemoContext) -> None:
    rng = ctx.rng("recognition")
    for by_role in ctx.staff_by_unit.values():
        members = [m for group in by_role.values() for m in group]
        if len(members) < 2:
            continue
        for _ in range(len(members)):
            giver, receiver = rng.sample(members, 2)
            moment = ctx.now - timedelta(days=rng.randrange(1, 365), hours=rng.randrange(0, 12))
            if giver.hired_on > moment.date() or receiver.hired_on > moment.date():
                continue
            if any(
                m.exited_on is not None and m.exited_on <= moment.date() for m in (giver, receiver)
            ):
                continue
            with clock.replaying_at(moment):
                give_recognition(receiver, actor=giver.user, message=rng.choice(MESSAGES))
