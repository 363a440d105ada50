"""Demo caseloads: a peer of demo-supervisor goes on leave and their caseload moves, with a
handover note, to colleagues with room (each receiver's limit checked by the service)."""

from __future__ import annotations

from datetime import timedelta

from pillars.core import clock, policy
from pillars.demo.incidents.context import DemoContext
from pillars.people.models import Staff
from pillars.workforce.selectors.caseloads import caseload_rows, open_assignments

NOTE = (
    "Going on leave for six weeks. Mornings suit most people here best; two are working on "
    "housing applications due this month, and the weekly group meets Thursdays."
)


def load(ctx: DemoContext) -> None:
    from pillars.workforce.services.caseloads import reassign_caseload

    supervisor = ctx.demo_staff.get("demo-supervisor")
    peer = ctx.demo_staff.get("demo-peer")
    if supervisor is None:
        return
    policy.forget(supervisor.user)
    today = clock.organization_today(ctx.now)
    team = list(
        Staff.objects.filter(supervisor=supervisor, roles__code="peer", exited_on__isnull=True)
        .distinct()
        .order_by("pk")
    )
    leaving = next((s for s in team if s != peer and open_assignments(s, today).exists()), None)
    if leaving is None:
        return
    receivers = [s for s in team if s != leaving]
    room = {r.staff.pk: r.room or 0 for r in caseload_rows(receivers, today) if r.kind == "peer"}
    moves = []
    for assignment in open_assignments(leaving, today).filter(kind="peer")[:6]:
        for receiver in sorted(receivers, key=lambda s: -room.get(s.pk, 0)):
            already = open_assignments(receiver, today).filter(person=assignment.person).exists()
            if room.get(receiver.pk, 0) > 0 and not already:
                moves.append((assignment, receiver))
                room[receiver.pk] -= 1
                break
    if not moves:
        return
    # Earlier today, never before today began (the assignments above are read as of today).
    midnight = ctx.now.replace(hour=0, minute=0, second=0, microsecond=0)
    with clock.replaying_at(max(ctx.now - timedelta(hours=2), midnight)):
        reassign_caseload(leaving, actor=supervisor.user, moves=moves, reason="leave", note=NOTE)
