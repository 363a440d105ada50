"""Who may see and do what with caseload balance: supervisors see their supervisees'
caseloads against their limits and the director everyone's; either moves a departing or
absent staff member's caseload in bulk. Everyone reads their own caseload and the handover
notes left for them."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from pillars.core import policy
from pillars.core.policy import Actor, rule
from pillars.core.policy_shared import own_or_supervisee, own_or_supervisee_q
from pillars.core.roles import RoleCode as R
from pillars.workforce.models.caseloads import Handover
from pillars.workforce.policies.supervision import STAFF_ROLES, supervises_or_org_wide


def _handover_visible(actor: Actor, handover: Any) -> bool:
    if actor.is_org_wide or handover.made_by_id == actor.staff_id:
        return True
    if own_or_supervisee(actor, handover.from_staff_id):
        return True
    return handover.receivers.filter(pk=actor.staff_id).exists()


def _restrict(actor: Actor, qs: QuerySet[Any]) -> QuerySet[Any]:
    if actor.is_org_wide:
        return qs
    return qs.filter(
        Q(made_by_id=actor.staff_id)
        | own_or_supervisee_q(actor, "from_staff_id")
        | Q(receivers=actor.staff_id)
    ).distinct()


# Who balances caseloads: supervisors and clinicians for their supervisees, the director for all.
BALANCERS = (R.SUPERVISOR, R.CLINICIAN, R.DIRECTOR)

ACTIONS = {
    "workforce.view_own_caseload": rule(
        *STAFF_ROLES, description="read one's own caseload, its limit and handover notes"
    ),
    "workforce.view_caseload_balance": rule(
        *BALANCERS,
        check=supervises_or_org_wide,
        description="caseloads against limits (one's supervisees; the director: everyone)",
    ),
    "workforce.reassign_caseload": rule(
        *BALANCERS,
        check=supervises_or_org_wide,
        scope="write",
        description="move a caseload in bulk with a handover note",
    ),
}


def install() -> None:
    policy.register(ACTIONS)
    policy.register_scope(Handover, visible=_handover_visible, restrict=_restrict)
