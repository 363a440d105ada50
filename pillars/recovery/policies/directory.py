"""Who may see and do what in the resource directory.

The directory is reference data about community services, with nothing about any person
served: every staff role searches it and reads a service. Administrators import and export it.
A saved resource is a record about a person served: peers save one for a person they may see,
and the person's care team reads it (people.policies decides who sees the person).
"""

from __future__ import annotations

from pillars.core import policy
from pillars.core.policy import rule
from pillars.core.policy_shared import register_reference_data
from pillars.core.roles import RoleCode as R
from pillars.people.policies import CARE_TEAM
from pillars.recovery.models import HsdsService, SavedResource
from pillars.recovery.policies.persons import register_person_scope

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


def install() -> None:
    """Register this area's actions and scopes with the one policy layer."""
    policy.register(ACTIONS)
    register_reference_data(HsdsService)
    register_person_scope(SavedResource)
