"""What the behavior area adds to other apps' pages: a section on the person served's page (the
plan, its phase and contract with its review mark, links to record and chart) and, on the unit
board, a "Record behavior" link on each row of a person with a plan in force, a flag on each row
whose contract review has come, and a count of those with a link to the list."""

from __future__ import annotations

import functools
from typing import Any

from django.http import HttpRequest
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString

from pillars.audit.choices import Category
from pillars.core import clock, policy, prepared
from pillars.core.templatetags.record_urls import record_url, route_url
from pillars.incidents.models import BehaviorContract, Measure
from pillars.incidents.selectors import behavior as selectors
from pillars.people.models import PersonServed, Unit
from pillars.people.sections import SAFETY, PersonSection, hidden_unless_allowed, register_section
from pillars.people.selectors import person_zone
from pillars.rounds import board_extras
from pillars.rounds.board_extras import BoardExtension, RowExtra

# A target's measure as the section names it (``TargetBehavior.get_measure_display``).
MEASURES = dict(Measure.choices)


@functools.lru_cache(maxsize=16)
def _measure_hint(measure: str) -> SafeString:
    """What the section prints after a target's name: its measure by its label, made once per
    measure."""
    return format_html(' <span class="hint">({})</span>', MEASURES.get(measure, measure))


@hidden_unless_allowed("incidents.view_behavior")
def person_behavior(
    request: HttpRequest, person: PersonServed, page: dict[str, Any]
) -> prepared.Steps[dict[str, Any] | None]:
    """One step of reads (``prepared.Steps``): the latest plan, with its phase, its contract in
    force and its targets, each of which the database gives only while that plan is in force
    (``selectors._in_force``). What the section prints is written out here once (each fact as
    its line, days as ``Y-m-d``, measures by their labels, the links the reader may follow)."""
    # The version with its writer's and ender's names (``written_by_name``, ``ended_by_name``).
    # A phase and a contract are records of their own, each read with its own Part 2 label.
    latest, phases, contracts, targets = yield from prepared.all_of(
        selectors.latest_plan_summary.steps(person, request.user),
        prepared.waited(selectors.latest_phase_later(person, request.user)),
        prepared.waited(selectors.contract_in_force_later(person, request.user)),
        prepared.waited(selectors.plan_targets_later(person, request.user)),
    )
    current = latest if latest is not None and latest.is_current else None
    writable = page.get("writable", True)
    plan = None
    if current is not None:
        phase = phases[0] if phases else None
        # The contract in force is the latest signed one.
        review_on = contracts[0].review_on if contracts else None
        plan = {
            "version": f"{current.version}, in effect from {current.effective_on.isoformat()}"
            f" ({current.written_by_name})",
            # Each name escaped, then its measure's hint.
            "targets": SafeString(
                "; ".join(escape(name) + _measure_hint(measure) for name, measure in targets)
            ),
            "phase": f"{phase.name} since {phase.started_on.isoformat()}"
            if phase is not None
            else "No phase set",
            "review_on": review_on.isoformat() if review_on is not None else "",
            "review_due": review_on is not None
            and BehaviorContract.review_has_come(
                review_on, clock.today_in(page.get("zone_name") or person_zone(person))
            ),
        }
    ended = None
    if current is None and latest is not None and latest.is_ended:
        ended = {
            "ended_on": latest.ended_on.isoformat(),
            "ended_by": latest.ended_by_name,
            "reason": latest.end_reason,
        }
    can_record = (
        plan is not None
        and writable
        and policy.allows(request.user, "incidents.record_behavior", person)
    )
    can_write = writable and policy.allows(request.user, "incidents.write_behavior_plan", person)
    return {
        "plan": plan,
        "ended": ended,
        "record_url": record_url("incidents:behavior-record-new", person.public_id)
        if can_record
        else "",
        "chart_url": record_url("incidents:behavior-chart", person.public_id)
        if plan or ended
        else "",
        "plan_url": record_url("incidents:behavior-plan", person.public_id),
        "edit_url": record_url("incidents:behavior-plan-edit", person.public_id)
        if can_write
        else "",
    }


def board_rows(
    request: HttpRequest, unit: Unit, person_ids: list[int]
) -> prepared.Steps[dict[int, list[RowExtra]]]:
    """Two queries for the whole board: the persons shown who have a plan in force get a link
    to the fast ABC form, and those whose contract review has come (the unit's today) a
    warning flag. The board already limits rows to the unit the user sees; recording is
    checked again (with the person's scope) when the form opens and when it is saved."""
    user = getattr(request, "user", None)
    rows: dict[int, list[RowExtra]] = {}
    today = clock.today_in(unit.time_zone)
    found = yield from prepared.all_of(
        selectors.persons_with_plans.steps(person_ids, user)
        if policy.can(user, "incidents.record_behavior")
        else prepared.answered(set()),
        selectors.reviews_due_for.steps(person_ids, today, user)
        if policy.can(user, "incidents.view_behavior")
        else prepared.answered({}),
    )
    with_plans: set[int] = found[0]
    due: dict[int, Any] = found[1]
    # The persons' public ids as the board read them (no join of their own).
    public_ids = board_extras.public_ids(request, unit, sorted(with_plans | set(due)))
    for pk in with_plans:
        rows[pk] = [
            RowExtra(
                label="Record behavior",
                url=record_url("incidents:behavior-record-new", public_ids[pk]),
                icon="✎",
            )
        ]
    for pk, contract in due.items():
        url = record_url("incidents:behavior-plan", public_ids[pk])
        rows.setdefault(pk, []).append(
            RowExtra(
                label=f"Behavior contract review due since {contract.review_on:%Y-%m-%d}",
                url=f"{url}#contract-{contract.public_id}",
                kind="flag",
                tone="warning",
                icon="⚠",
            )
        )
    return rows


def _panel_counts(request: HttpRequest, unit: Unit) -> dict[str, Any] | None:
    if not policy.can(getattr(request, "user", None), "incidents.view_behavior"):
        return None
    placed = sorted(p.pk for p in board_extras.placed_on(request, unit))
    return {"due": selectors.count_reviews_due(request.user, unit, placed)}


def board_panel(request: HttpRequest, unit: Unit) -> dict[str, Any] | None:
    """How many persons on the unit have a contract review due, with a link to the list
    (counted with the board's other panel counts); nothing when none has, or for roles that do
    not read behavior plans."""
    return board_extras.count_panel(
        request,
        unit,
        "incidents-behavior",
        _panel_counts,
        "due",
        lambda: route_url("incidents:behavior-reviews-due") + f"?unit={unit.public_id}",
    )


def install() -> None:
    register_section(
        PersonSection(
            "incidents-behavior",
            "incidents/behavior/partials/_person_behavior.html",
            person_behavior,
            order=30,
            category=Category.GENERAL,
            group=SAFETY,
        )
    )
    board_extras.register(
        BoardExtension(
            key="incidents-behavior",
            rows=board_rows,
            panel_template="incidents/behavior/partials/_board_panel.html",
            panel_context=board_panel,
            panel_counts=_panel_counts,
            order=30,
        )
    )
