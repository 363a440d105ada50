"""Who may see and do what in the workforce area: retention. Turnover and retention figures,
the list of exits and exit interviews are for the director and administrators; an
administrator (human resources) or the director records an exit interview."""

from __future__ import annotations

from pillars.core import policy
from pillars.core.policy import rule
from pillars.core.policy_shared import register_reference_data
from pillars.core.roles import RoleCode as R
from pillars.workforce.models.retention import ExitInterview, ExitReasonKind

LEADS = (R.DIRECTOR, R.ADMIN)

ACTIONS = {
    "workforce.view_retention": rule(*LEADS, description="turnover, retention and exits"),
    "workforce.record_exit_interview": rule(
        *LEADS, scope="write", description="record an exit interview"
    ),
}


def install() -> None:
    policy.register(ACTIONS)
    policy.register_scope(
        ExitInterview,
        visible=lambda a, o: a.has_role(*LEADS),
        restrict=lambda a, qs: qs if a.has_role(*LEADS) else qs.none(),
    )
    register_reference_data(ExitReasonKind)
