"""Who may run the FHIR bulk export.

Directors and the privacy officer: the two roles with organization-wide sight whose work is
answering to boards, payers, surveyors and auditors, and who sign in with two factors. An
administrator manages accounts and settings, not the records of persons served, so an
administrator may not take a copy of them all. The export holds what the requester may see
(``policy.restrict``), and Part 2 records only under a consent (``mappers``)."""

from __future__ import annotations

from pillars.core import policy
from pillars.core.policy import rule
from pillars.core.roles import RoleCode as R

ACTIONS = {
    "insights.bulk_export": rule(
        R.DIRECTOR,
        R.PRIVACY,
        description="run the FHIR bulk export ($export) and download its files",
    ),
}


def install() -> None:
    policy.register(ACTIONS)
