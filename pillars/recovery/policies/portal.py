"""Who may give a person access to their own page.

The person's peer specialist or a clinician on their team issues and revokes access; the
supervisor and director may see the list. Access is visible exactly when its person served is
(people.policies). The person's own pages use no staff role: their access is checked by
``recovery.services.portal`` on every request.
"""

from __future__ import annotations

from pillars.core import policy
from pillars.core.policy import rule
from pillars.core.roles import RoleCode as R
from pillars.recovery.models.portal import PersonAccess
from pillars.recovery.policies.persons import person_write, register_person_scope

ISSUERS = (R.PEER, R.CLINICIAN)
READERS = (R.PEER, R.CLINICIAN, R.SUPERVISOR, R.DIRECTOR)

ACTIONS = {
    "recovery.view_person_access": rule(
        *READERS, description="see the accesses a person was given to their own page"
    ),
    "recovery.issue_person_access": person_write(
        *ISSUERS,
        description="give a person a link and code to their own page",
    ),
    "recovery.revoke_person_access": person_write(
        *ISSUERS,
        description="end a person's access to their own page",
    ),
}


def install() -> None:
    """Register this area's actions and scope with the one policy layer."""
    policy.register(ACTIONS)
    register_person_scope(PersonAccess)
