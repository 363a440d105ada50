"""Demo data for referrals: referrals of demo-peer's persons to directory services (confidential
services skipped) in every state a referral reaches through the services (a draft is never
stored: a referral is made when it is sent), and one logged outside referral, all
written through the referral services, deterministic from ``ctx.rng("referrals")``. A person
whose record is Part 2 and has no consent naming the service is skipped, as the service
refuses it."""

from __future__ import annotations

from django.db.models import Q

from pillars.core import policy
from pillars.core.errors import ValidationError
from pillars.demo.incidents.context import DemoContext, with_demo_staff
from pillars.people.models import PersonServed, Staff
from pillars.people.policies import person_scope_q
from pillars.recovery.models.directory import HsdsService
from pillars.recovery.models.referrals import ReferralOutcomeReason, ReferralStatus
from pillars.recovery.services import referrals as services

REASONS = [
    "Help finding steady housing close to the bus line.",
    "Groceries each week while benefits are sorted out.",
    "A job-readiness class the person asked about.",
    "A mutual-aid meeting on weekday evenings.",
    "Help with the application for health coverage.",
]
S = ReferralStatus
# The path each demo referral takes after it is sent, one per state it ends in; the first ones
# stay open. Ending as "not accepted" or "did not happen" carries its reason.
PATH: list[list[str]] = [
    [],
    [S.RECEIVED],
    [S.ACCEPTED],
    [S.ACCEPTED, S.IN_PROGRESS],
    [S.ACCEPTED, S.IN_PROGRESS, S.ON_HOLD],
    [S.ACCEPTED, S.COMPLETED],
    [S.REJECTED],
    [S.ACCEPTED, S.FAILED],
    [S.CANCELLED],
    [S.ENTERED_IN_ERROR],
]
REASON_FOR: dict[str, str] = {S.REJECTED: "service-full", S.FAILED: "no-show"}
NOTE_FOR: dict[str, str] = {
    S.CANCELLED: "The person found a place on their own; cancelled with them.",
    S.ENTERED_IN_ERROR: "Sent to the wrong service by mistake.",
}


@with_demo_staff("demo-peer")
def load(ctx: DemoContext, peer: Staff) -> None:
    """Referrals of demo-peer's persons in several states, through the services."""
    rng = ctx.rng("referrals")
    actor = peer.user
    acting = policy.actor_for(actor)
    persons = list(
        PersonServed.objects.filter(person_scope_q(acting, "pk")).order_by("record_number")[
            : len(PATH) + 1
        ]
    )
    offered = list(
        HsdsService.objects.filter(x_confidential=False)
        .exclude(Q(service_at_locations__location__x_confidential=True))
        .select_related("organization")
        .order_by("name")[:20]
    )
    if not persons or not offered:
        return
    reasons = {r.code: r for r in ReferralOutcomeReason.objects.filter(is_active=True)}
    # Persons a referral may go to now (a Part 2 record needs a consent naming the service).
    referable = [
        p for p in persons if services.preview(p, actor=actor, service=offered[0]).may_send
    ][:3]
    if not referable:
        return
    for n, steps in enumerate(PATH):
        try:
            made = services.refer(
                referable[n % len(referable)],
                actor=actor,
                service=rng.choice(offered),
                reason=REASONS[n % len(REASONS)],
            )
        except ValidationError:
            continue
        for status in steps:
            services.update_status(
                made,
                actor=actor,
                status=status,
                note=NOTE_FOR.get(status, "Spoke with the service."),
                outcome_reason=reasons.get(REASON_FOR.get(status, "")),
            )
    services.log_outside(
        referable[-1],
        actor=actor,
        organization="Neighborhood Legal Aid",
        contact="Front desk",
        reason="Advice about a landlord dispute.",
    )
