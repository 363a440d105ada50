"""Demo data for the recovery app's portal area: demo-peer gave two persons on their caseload
access to their own page, and ended one of them. The links and codes are never stored (only
hashes), so the demo cannot show them; issue a new one from the person's page to try it."""

from __future__ import annotations

from pillars.demo.incidents.context import DemoContext
from pillars.demo.recovery.plans import _persons
from pillars.people.selectors import current_placement
from pillars.recovery.services import portal as services


def load(ctx: DemoContext) -> None:
    """Two accesses issued by demo-peer, the second one revoked."""
    peer = ctx.demo_staff.get("demo-peer")
    if peer is None:
        return
    placed = [p for p, _ in _persons(ctx, peer) if current_placement(p) is not None][:2]
    for k, person in enumerate(placed):
        issued = services.issue_access(person, actor=peer.user)
        if k == 1:
            services.revoke_access(issued.access, actor=peer.user)
