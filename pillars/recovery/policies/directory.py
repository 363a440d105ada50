"""Who may see and do what in the resource directory.

The directory is reference data about community services, with nothing about any person
served: every staff role searches it and reads a service. Administrators import and export it.
A saved resource is a record about a person served: peers save one for a person they may see,
and the person's care team reads it (people.policies decides who sees the person).
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from pillars.core import policy
from pillars.core.policy import Actor, rule
from pillars.core.roles import RoleCode as R
from pillars.people.policies import CARE_TEAM, person_scope_q, person_visible
from pillars.recovery.models import HsdsService, SavedResource

ALL_STAFF = tuple(R)

ACTIONS = {
    "recovery.search_directory": rule(
        *ALL_STAFF, description="search the resource directory and read a service"
    ),
    "recovery.manage_directory": rule(
        R.ADMIN, scope="write", description="import and export the resource directory"
    ),
    "recovery.save_resource": rule(
        R.PEER, scope="write", description="save a directory service for a person served"
    ),
    "recovery.view_saved_resources": rule(
        *CARE_TEAM, R.DIRECTOR, description="read the resources saved for a person served"
    ),
}


def _restrict_saved(actor: Actor, qs: QuerySet[SavedResource]) -> QuerySet[Any]:
    return qs if actor.is_org_wide else qs.filter(person_scope_q(actor, "person"))


def install() -> None:
    """Register this area's actions and scopes with the one policy layer."""
    policy.register(ACTIONS)
    # Reference data: every signed-in staff member may know a service exists.
    policy.register_scope(HsdsService, visible=lambda a, s: True, restrict=lambda a, qs: qs)
    policy.register_scope(
        SavedResource,
        visible=lambda a, r: person_visible(a, r.person),
        restrict=_restrict_saved,
    )
