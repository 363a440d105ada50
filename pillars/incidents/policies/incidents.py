"""Who may see and do what with incident reports.

An incident belongs to a unit. A draft is its reporter's alone until submitted; a submitted
incident is visible to the unit's staff and organization-wide roles. The staff exposure ledger
incidents write is the workforce app's (workforce.policies.wellbeing).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from pillars.core import policy
from pillars.core.policy import Actor, rule
from pillars.core.policy_shared import register_reference_data
from pillars.core.roles import RoleCode as R
from pillars.incidents.models import (
    Debrief,
    DeescalationStep,
    Incident,
    IncidentAddendum,
    Injury,
    Notification,
    NotificationRule,
)
from pillars.incidents.models.incidents import IncidentStatus

REPORTERS = (R.BHT, R.NURSE, R.CLINICIAN, R.PEER)
FLOOR = (R.BHT, R.NURSE, R.CLINICIAN, R.PEER, R.SUPERVISOR)


def _is_reporter(actor: Actor, obj: Any) -> bool:
    return not isinstance(obj, Incident) or obj.reported_by_id == actor.staff_id


ACTIONS = {
    "incidents.view": rule(*FLOOR, R.DIRECTOR, description="read incident reports"),
    "incidents.report": rule(*REPORTERS, scope="write", description="report an incident"),
    "incidents.edit_draft": rule(
        *REPORTERS, check=_is_reporter, scope="write", description="edit or submit one's draft"
    ),
    "incidents.list_unit": rule(R.NURSE, R.SUPERVISOR, R.DIRECTOR, description="unit incidents"),
    "incidents.review": rule(R.SUPERVISOR, scope="write", description="review and close"),
    "incidents.addendum": rule(*FLOOR, scope="write", description="correct a submitted report"),
    "incidents.debrief": rule(*FLOOR, scope="write", description="record a debrief"),
    "incidents.notify": rule(
        R.NURSE, R.CLINICIAN, R.SUPERVISOR, scope="write", description="record a notification"
    ),
}


def incident_visible(actor: Actor, incident: Incident) -> bool:
    if incident.reported_by_id == actor.staff_id:
        return True
    if incident.status == IncidentStatus.DRAFT:
        return False
    return actor.is_org_wide or incident.unit_id in actor.unit_ids


def restrict_incidents(actor: Actor, qs: QuerySet[Incident]) -> QuerySet[Incident]:
    own = Q(reported_by_id=actor.staff_id)
    if actor.is_org_wide:
        return qs.filter(own | ~Q(status=IncidentStatus.DRAFT))
    return qs.filter(own | (~Q(status=IncidentStatus.DRAFT) & Q(unit_id__in=actor.unit_ids)))


def _by_incident(path: str) -> Any:
    def restrict(actor: Actor, qs: QuerySet[Any]) -> QuerySet[Any]:
        return qs.filter(
            **{f"{path}__in": restrict_incidents(actor, Incident.objects.all()).values("pk")}
        )

    return restrict


def install() -> None:
    policy.register(ACTIONS)
    policy.register_scope(Incident, visible=incident_visible, restrict=restrict_incidents)
    for model in (IncidentAddendum, Debrief, Injury, Notification):
        policy.register_scope(
            model,
            visible=lambda a, o: incident_visible(a, o.incident),
            restrict=_by_incident("incident"),
        )
    register_reference_data(DeescalationStep, NotificationRule)
