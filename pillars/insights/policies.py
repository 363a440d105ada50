"""Who sees which insights dashboard: the director the organization (or one site), a unit's
leads (nurse, clinician, supervisor) their own units' dashboards, a supervisor their staff's,
the privacy officer access and disclosures; the figures drill down to pages whose own policies
decide what each viewer sees."""

from __future__ import annotations

from typing import Any

from pillars.core import policy
from pillars.core.policy import Actor, rule
from pillars.core.roles import RoleCode as R

# A unit's leads, and the director who leads every unit.
UNIT_LEADS = (R.NURSE, R.CLINICIAN, R.SUPERVISOR, R.DIRECTOR)


def _unit_lead(actor: Actor, unit: Any) -> bool:
    return actor.is_org_wide or (unit is not None and unit.pk in actor.unit_ids)


ACTIONS = {
    "insights.view_organization": rule(
        R.DIRECTOR,
        check=lambda a, o: a.is_org_wide,
        description="the director's dashboard: every unit, site or the whole organization",
    ),
    "insights.view_unit": rule(
        *UNIT_LEADS,
        check=_unit_lead,
        description="a unit's dashboard (its own staff leads, the director)",
    ),
    "insights.view_team": rule(
        R.SUPERVISOR,
        R.DIRECTOR,
        description="the supervisor's dashboard: their supervisees (the director: everyone)",
    ),
    "insights.view_privacy": rule(
        R.PRIVACY,
        description="the privacy officer's dashboard: access and disclosures by month",
    ),
    "insights.view_measures": rule(
        *UNIT_LEADS,
        description="the measures' definitions and the units one may see (API)",
    ),
}


def install() -> None:
    policy.register(ACTIONS)
