"""What the safety area adds to other apps' pages: the safety plan section of a person's page,
and on the unit board a link to each person's current plan (and a flag when its review is
overdue) plus a count of the unit's overdue reviews."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.html import format_html_join

from pillars.audit.choices import Category
from pillars.core import clock, policy, prepared
from pillars.core.templatetags.record_urls import record_url
from pillars.incidents.models import PlanSection
from pillars.incidents.selectors import safety as selectors
from pillars.people.models import PersonServed, Unit
from pillars.people.sections import SAFETY, PersonSection, hidden_unless_allowed, register_section
from pillars.people.selectors import person_zone
from pillars.rounds import board_extras
from pillars.rounds.board_extras import BoardExtension, RowExtra, register


@hidden_unless_allowed("incidents.view_safety_plan")
def person_safety_plan(
    request: HttpRequest, person: PersonServed, page: dict[str, Any]
) -> prepared.Steps[dict[str, Any] | None]:
    """The current plan (its number, signing day and review day in the unit's calendar, its
    warning signs), the draft waiting to be signed, the latest versions and the links the
    reader may follow, ready to print: one read."""
    versions = yield selectors.latest_versions_later(person, request.user, 5)
    current = next((v for v in versions if v.is_signed), None)
    draft = next((v for v in versions if not v.is_signed), None)
    plan = None
    if current is not None:
        zone = page.get("zone_name") or person_zone(person)
        signs = (current.content or {}).get(PlanSection.WARNING_SIGNS, [])
        signed_on = (
            clock.local(current.signed_at, zone).date().isoformat() if current.signed_at else ""
        )
        plan = {
            "signed": f"Version {current.number}, signed {signed_on}",
            "review_on": current.review_on.isoformat(),
            "overdue": current.is_review_overdue(clock.today_in(zone)),
            "warning_signs": "; ".join(sign.get("text", "") for sign in signs) or "None written",
            "pdf_url": record_url("incidents:safety-plan-pdf", current.public_id),
        }
    can_draft = page.get("writable", True) and policy.allows(
        request.user, "incidents.draft_safety_plan", person
    )
    return {
        "current": plan,
        "draft": f"Draft version {draft.number} is waiting to be signed"
        if draft is not None
        else "",
        # Each version's link, a draft marked.
        "versions": format_html_join(
            ", ",
            '<a href="{}">{}</a>',
            (
                (
                    record_url("incidents:safety-plan-version", v.public_id),
                    v.number if v.is_signed else f"{v.number} (draft)",
                )
                for v in versions
            ),
        ),
        "plan_url": record_url("incidents:safety-plan", person.public_id),
        "edit_url": record_url("incidents:safety-plan-edit", person.public_id) if can_draft else "",
    }


def board_rows(
    request: HttpRequest, unit: Unit, person_ids: list[int]
) -> prepared.Steps[dict[int, list[RowExtra]]]:
    """A "Safety plan" link for each person with a signed plan: one query for every row."""
    if not policy.can(getattr(request, "user", None), "incidents.view_safety_plan"):
        return {}
    today = clock.today_in(unit.time_zone)
    rows: dict[int, list[RowExtra]] = {}
    plans = yield from selectors.current_plans_for.steps(person_ids, request.user)
    public_ids = board_extras.public_ids(request, unit, list(plans))
    for person_id, version in plans.items():
        url = record_url("incidents:safety-plan", public_ids[person_id]) + "#current-plan"
        extras = [RowExtra(label="Safety plan", url=url, icon="✚")]
        if version.review_on < today:
            extras.append(
                RowExtra(
                    label=f"Safety plan review overdue since {version.review_on:%Y-%m-%d}",
                    kind="flag",
                    tone="warning",
                    icon="⚠",
                )
            )
        rows[person_id] = extras
    return rows


def _panel_counts(request: HttpRequest, unit: Unit) -> dict[str, Any] | None:
    if not policy.can(getattr(request, "user", None), "incidents.view_safety_plan"):
        return None
    today = clock.today_in(unit.time_zone)
    placed = sorted(p.pk for p in board_extras.placed_on(request, unit))
    return {"overdue": selectors.count_overdue_reviews(request.user, today, placed)}


def board_panel(request: HttpRequest, unit: Unit) -> dict[str, Any] | None:
    """How many plans on the unit are past their review date, with a link to the list (counted
    with the board's other panel counts); nothing when none is, or for roles that do not read
    plans."""
    return board_extras.count_panel(
        request,
        unit,
        "incidents-safety-plan",
        _panel_counts,
        "overdue",
        lambda: record_url("incidents:safety-plan-overdue", unit.public_id),
    )


def register_all() -> None:
    register_section(
        PersonSection(
            "incidents-safety-plan",
            "incidents/safety/_person_section.html",
            person_safety_plan,
            order=30,
            category=Category.GENERAL,
            group=SAFETY,
        )
    )
    register(
        BoardExtension(
            key="incidents-safety-plan",
            rows=board_rows,
            panel_template="incidents/safety/_board_panel.html",
            panel_context=board_panel,
            panel_counts=_panel_counts,
            order=40,
        )
    )


def install() -> None:
    register_all()
