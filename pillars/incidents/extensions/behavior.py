"""What the behavior area adds to other apps' pages: a section on the person served's page (the
plan, its phase and contract, links to record and chart) and a "Record behavior" link on each
unit-board row of a person with a plan."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from pillars.core import policy
from pillars.incidents.selectors import behavior as selectors
from pillars.people.models import PersonServed, Unit
from pillars.people.sections import PersonSection, register_section
from pillars.rounds import board_extras
from pillars.rounds.board_extras import BoardExtension, RowExtra


def person_behavior(
    request: HttpRequest, person: PersonServed, page: dict[str, Any]
) -> dict[str, Any] | None:
    # The person page has already checked scope (so `allows`) and audited the read.
    if not policy.allows(request.user, "incidents.view_behavior", person):
        return None
    plan = selectors.current_plan(person)
    writable = page.get("writable", True)
    phases = selectors.phases_of(person) if plan else []
    return {
        "plan": plan,
        "ended": selectors.ended_plan(person) if plan is None else None,
        "phase": phases[-1] if phases else None,
        "contract": selectors.contract_in_force(selectors.contracts_of(person)) if plan else None,
        "can_write": writable
        and policy.allows(request.user, "incidents.write_behavior_plan", person),
        "can_record": writable and policy.allows(request.user, "incidents.record_behavior", person),
    }


def board_rows(
    request: HttpRequest, unit: Unit, person_ids: list[int]
) -> dict[int, list[RowExtra]]:
    """One query for the whole board: the persons shown who have a plan get a link to the fast
    ABC form. The board already limits rows to the unit the user sees; recording is checked
    again (with the person's scope) when the form opens and when it is saved."""
    if not policy.can(request.user, "incidents.record_behavior"):
        return {}
    with_plans = selectors.persons_with_plans(person_ids)
    return {
        pk: [
            RowExtra(
                label="Record behavior",
                url=reverse("incidents:behavior-record-new", args=[public_id]),
                icon="✎",
            )
        ]
        for pk, public_id in with_plans.items()
    }


def install() -> None:
    register_section(
        PersonSection(
            "incidents-behavior",
            "incidents/behavior/partials/_person_behavior.html",
            person_behavior,
            order=30,
        )
    )
    board_extras.register(BoardExtension(key="incidents-behavior", rows=board_rows, order=30))
