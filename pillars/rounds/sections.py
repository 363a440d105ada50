"""The observation section of a person served's page: current level, precautions, and links
to order, change or end it and to the history. Registered with people's person-page hook so
that people never imports rounds."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from pillars.audit.choices import Category
from pillars.core import policy, prepared
from pillars.people.models import PersonServed
from pillars.people.sections import SAFETY, PersonSection, hidden_unless_allowed, register_section
from pillars.rounds import selectors
from pillars.rounds.choices import Precaution

# Shown beside the text, never instead of it (status is never colour or icon alone).
PRECAUTION_ICONS: dict[str, str] = {
    Precaution.SUICIDE: "⚠",
    Precaution.SELF_HARM: "✚",
    Precaution.ELOPEMENT: "⇥",
    Precaution.FALL: "⇩",
    Precaution.ASSAULT: "⊗",
    Precaution.SEXUAL_SAFETY: "◎",
    Precaution.SEIZURE: "ϟ",
}


def precaution_rows(codes: list[str]) -> list[dict[str, str]]:
    """Each precaution with its icon and label, for templates that show both."""
    labels = dict(Precaution.choices)
    return [
        {"code": c, "label": labels.get(c, c), "icon": PRECAUTION_ICONS.get(c, "•")} for c in codes
    ]


@hidden_unless_allowed("rounds.view")
def person_observation(
    request: HttpRequest, person: PersonServed, page: dict[str, Any]
) -> prepared.Steps[dict[str, Any] | None]:
    order = yield from selectors.current_order_summary.steps(person, request.user)
    writable = page.get("writable", True)
    return {
        "order": order,
        "precautions": precaution_rows(list(order.precautions)) if order else [],
        "can_order": writable and policy.allows(request.user, "rounds.order", person),
    }


def register() -> None:
    register_section(
        PersonSection(
            "rounds-observation",
            "rounds/partials/_person_observation.html",
            person_observation,
            order=10,
            category=Category.GENERAL,
            group=SAFETY,
        )
    )
