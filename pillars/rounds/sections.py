"""The observation section of a person served's page: current level, precautions, and links
to order, change or end it and to the history. Registered with people's person-page hook so
that people never imports rounds."""

from __future__ import annotations

import functools
from datetime import tzinfo
from typing import Any

from django.http import HttpRequest
from django.template.defaultfilters import linebreaksbr
from django.utils.html import format_html
from django.utils.safestring import SafeString

from pillars.audit.choices import Category
from pillars.core import clock, policy, prepared
from pillars.core.templatetags.pillars_time import fold_mark
from pillars.core.templatetags.record_urls import record_url
from pillars.people.models import PersonServed
from pillars.people.sections import SAFETY, PersonSection, hidden_unless_allowed, register_section
from pillars.rounds import selectors
from pillars.rounds.choices import Precaution
from pillars.rounds.models import ObservationOrder

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


PRECAUTION_LABELS: dict[str, str] = dict(Precaution.choices)


@functools.lru_cache(maxsize=64)
def _precaution_item(code: str) -> SafeString:
    """A precaution as the section lists it (the item of rounds/partials/_precautions.html), its
    icon beside its label: made once per precaution, as both are fixed."""
    return format_html(
        '<li class="precaution"><span aria-hidden="true">{}</span> {}</li>',
        PRECAUTION_ICONS.get(code, "•"),
        PRECAUTION_LABELS.get(code, code),
    )


def precaution_rows(codes: list[str]) -> list[dict[str, str]]:
    """Each precaution with its icon and label, for templates that show both."""
    return [
        {"code": c, "label": PRECAUTION_LABELS.get(c, c), "icon": PRECAUTION_ICONS.get(c, "•")}
        for c in codes
    ]


@hidden_unless_allowed("rounds.view")
def person_observation(
    request: HttpRequest, person: PersonServed, page: dict[str, Any]
) -> prepared.Steps[dict[str, Any] | None]:
    """The current order ready to print, the link to order a level or change it (for those who
    may) and the level history's."""
    order = yield from selectors.current_order_summary.steps(person, request.user)
    can_order = page.get("writable", True) and policy.allows(request.user, "rounds.order", person)
    return {
        "order": _order_facts(order, page["zone"]) if order else None,
        "order_url": record_url("rounds:order-new", person.public_id) if can_order else "",
        "history_url": record_url("rounds:order-history", person.public_id),
    }


def _order_facts(order: ObservationOrder, zone: tzinfo) -> dict[str, Any]:
    """What the section shows of the current order (``current_order_summary``): the orderer with
    the start written in the person's zone as the other times of the page are, the list's items
    of its precautions, the special instructions with their line breaks."""
    started = clock.local(order.started_at, zone)
    return {
        "level": order.level_name,  # type: ignore[attr-defined]
        "precautions": SafeString("".join(_precaution_item(code) for code in order.precautions)),
        "instructions": linebreaksbr(order.instructions),
        "ordered": f"{order.ordered_by_name}, "  # type: ignore[attr-defined]
        f"{started:%Y-%m-%d %H:%M}{fold_mark(order.started_at, zone)}",
        "reason": order.reason,
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
