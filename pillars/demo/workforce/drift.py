"""Demo role drift: demo-peer (whose notes already carry some scope-guard flags) has logged
more and more non-peer time over the last months (transport, covering floor shifts, clinical
paperwork) until it crosses the 25% line; the drift review then puts the items on the next
supervision agenda. Other peers log a little transport now and then."""

from __future__ import annotations

from datetime import datetime, timedelta

from pillars.core import clock, policy
from pillars.demo.incidents.context import DemoContext
from pillars.people.models import Staff
from pillars.workforce.services import drift as services

TASKS = ["transport", "floor_coverage", "clinical_paperwork", "other"]


def load(ctx: DemoContext) -> None:
    peer = ctx.demo_staff.get("demo-peer")
    rng = ctx.rng("drift")
    today = clock.organization_today(ctx.now)
    if peer is not None:
        policy.forget(peer.user)
        for days_ago in range(180, 0, -1):
            day = today - timedelta(days=days_ago)
            if day < peer.hired_on or day.weekday() >= 5:
                continue
            # Drift grows: a little transport early on, floor shifts and paperwork lately.
            weight = (180 - days_ago) / 180
            if rng.random() > 0.25 + 0.6 * weight:
                continue
            task = TASKS[0] if weight < 0.4 else rng.choice(TASKS[:3])
            minutes = int(20 + 160 * weight * rng.random())
            with clock.replaying_at(
                datetime.combine(day, datetime.min.time(), ctx.now.tzinfo) + timedelta(hours=17)
            ):
                services.log_time(
                    actor=peer.user,
                    worked_on=day,
                    task=task,
                    minutes=max(minutes, 10),
                    note="Asked to cover" if task == "floor_coverage" else "",
                )
    others = Staff.objects.filter(roles__code="peer", exited_on__isnull=True).exclude(
        pk=peer.pk if peer is not None else 0
    )[:6]
    for other in others:
        policy.forget(other.user)
        for days_ago in range(60, 0, -9):
            day = today - timedelta(days=days_ago)
            if day < other.hired_on:
                continue
            with clock.replaying_at(
                datetime.combine(day, datetime.min.time(), ctx.now.tzinfo) + timedelta(hours=17)
            ):
                services.log_time(actor=other.user, worked_on=day, task="transport", minutes=30)
    services.review_drift(ctx.now)
