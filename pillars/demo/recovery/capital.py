"""Demo data for the recovery app's capital area: BARC-10 histories across about a year for
the persons on demo-peer's caseload, rising and falling, and a couple of MIRC administrations
(so the per-part change shows). Older administrations are entered as if from paper (dated on
the day answered, recorded now); deterministic from ``ctx.rng("capital")``."""

from __future__ import annotations

import random
from datetime import timedelta

from pillars.core import clock
from pillars.demo.incidents.context import DemoContext
from pillars.demo.recovery.plans import PERSONS, _persons
from pillars.recovery.models.capital import Instrument
from pillars.recovery.services import capital as services


def _answers(rng: random.Random, items: int, low: int, high: int, target: float) -> dict[str, int]:
    """Answers whose mean is about ``target`` (on the scale ``low``-``high``)."""
    out = {}
    for n in range(1, items + 1):
        value = round(target + rng.uniform(-1, 1))
        out[str(n)] = min(high, max(low, value))
    return out


def load(ctx: DemoContext) -> None:
    """A BARC-10 every five to eight weeks across about a year; MIRC twice for two persons."""
    peer = ctx.demo_staff.get("demo-peer")
    if peer is None:
        return
    barc = Instrument.objects.filter(code="barc-10").first()
    mirc = Instrument.objects.filter(code="mirc").first()
    if barc is None:
        return
    rng = ctx.rng("capital")
    today = clock.organization_today(ctx.now)
    persons = _persons(ctx, peer)[: PERSONS.get(ctx.scale, 5)]
    for k, (person, _) in enumerate(persons):
        level = rng.uniform(2.2, 3.4)  # mean answer on 1-6
        day = today - timedelta(days=rng.randint(300, 340))
        while day <= today:
            services.record_assessment(
                person,
                actor=peer.user,
                instrument=barc,
                answers=_answers(rng, 10, 1, 6, level),
                administered_on=day,
                is_self_administered=rng.random() < 0.4,
            )
            # Mostly upward, with setbacks.
            level = min(5.8, max(1.4, level + rng.choice([0.5, 0.4, 0.3, -0.6, 0.2])))
            day += timedelta(days=rng.randint(35, 56))
        if mirc is not None and k < 2:
            for offset, mean in ((rng.randint(150, 200), 2.1), (rng.randint(5, 20), 2.9)):
                services.record_assessment(
                    person,
                    actor=peer.user,
                    instrument=mirc,
                    answers=_answers(rng, 28, 1, 4, mean),
                    administered_on=today - timedelta(days=offset),
                )
