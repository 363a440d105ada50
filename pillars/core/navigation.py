"""Navigation by role: each entry names the policy action that shows it."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse

from pillars.core import policy
from pillars.core.policy import Actor


@dataclass(frozen=True)
class NavItem:
    label: str
    url: str
    is_current: bool


# (label, url name, policy action that must be allowed)
ENTRIES: list[tuple[str, str, str | None]] = [
    ("Home", "core:home", None),
    ("Unit board", "rounds:board-list", "rounds.view"),
    ("Persons served", "people:person-list", "people.list_persons"),
    ("Units", "people:unit-list", "people.view_unit"),
    ("Staff", "people:staff-list", "people.view_staff"),
    ("Incident reports", "incidents:incident-drafts", "incidents.report"),
    ("Incidents to review", "incidents:incident-review-queue", "incidents.review"),
    ("Restraint report", "incidents:restraint-report", "incidents.restraint_report"),
    ("Inspections", "rounds:inspection-list", "rounds.view_inspections"),
    ("Work orders", "rounds:workorder-list", "rounds.view_inspections"),
    ("Inspection checklists", "rounds:inspection-templates", "rounds.manage_inspection_templates"),
    ("Emergency access", "people:emergency-start", "people.break_glass"),
    ("Access reviews", "people:emergency-review-list", "people.review_emergency_access"),
    ("Audit report", "audit:report", "audit.view_report"),
    ("Observation levels", "rounds:level-list", "rounds.manage_levels"),
    (
        "Restraint rule profiles",
        "incidents:restraint-profiles",
        "incidents.restraint_choose_profile",
    ),
    ("Import", "people:import", "people.import"),
    ("Staff exposure", "incidents:exposure-aggregate", "incidents.view_exposure_aggregate"),
    ("My exposure", "incidents:exposure-mine", "incidents.view_own_exposure"),
]


def navigation_for(actor: Actor, path: str) -> list[NavItem]:
    items = []
    for label, name, action in ENTRIES:
        if action is not None and not policy.can(actor, action):
            continue
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue
        current = path == url if url == "/" else path.startswith(url)
        items.append(NavItem(label, url, current))
    return items
