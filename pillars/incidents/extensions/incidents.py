"""What the incidents area adds to other apps' pages: the person page's incident list, and a
unit board panel with the unit's open incidents and late notifications."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest

from pillars.audit.choices import Category
from pillars.core import clock, policy, prepared
from pillars.core.templatetags.record_urls import route_url
from pillars.people.models import PersonServed, Unit
from pillars.people.sections import SAFETY, PersonSection, hidden_unless_allowed, register_section
from pillars.rounds import board_extras


@hidden_unless_allowed("incidents.view")
def person_incidents(
    request: HttpRequest, person: PersonServed, page: dict[str, Any]
) -> dict[str, Any] | None:
    from pillars.incidents.selectors.incidents import person_incidents as rows_for

    writable = page.get("writable", True)
    return {
        "rows": rows_for(request.user, person),
        "can_report": writable and policy.allows(request.user, "incidents.report"),
    }


def _unit_counts(request: HttpRequest, unit: Unit) -> dict[str, Any] | None:
    """Open incidents and overdue notifications on the unit (counted with the other panels'
    counts in one query), for whoever lists its incidents."""
    user = getattr(request, "user", None)
    if user is None or not policy.allows(user, "incidents.list_unit", unit):
        return None
    return {
        # The same reads on every refresh: built and compiled once per process.
        "open_count": prepared.count_kept("incidents open on a unit", None, _open, unit.pk),
        "overdue": prepared.count_kept(
            "notifications late on a unit", None, _late, unit.pk, clock.now()
        ),
    }


def _open(unit_id: int) -> QuerySet[Any]:
    from pillars.incidents.models import Incident
    from pillars.incidents.models.incidents import IncidentStatus

    return Incident.objects.filter(
        unit_id=unit_id, status__in=[IncidentStatus.SUBMITTED, IncidentStatus.UNDER_REVIEW]
    )


def _late(unit_id: int, now: datetime) -> QuerySet[Any]:
    from pillars.incidents.models import Notification

    return Notification.objects.filter(
        incident__unit_id=unit_id, sent_at__isnull=True, due_at__lt=now
    )


def unit_panel(request: HttpRequest, unit: Unit) -> dict[str, Any] | None:
    """Open incidents and overdue notifications on the unit, for whoever lists its incidents
    (read with the board's other panel counts; on their own, two counting queries)."""
    counts = board_extras.counts_of(request, unit, "incidents-incidents", _unit_counts)
    if not counts:
        return None
    return {"unit": unit, "open_count": counts["open_count"], "overdue": counts["overdue"]}


def checks_to_report(
    request: HttpRequest, unit: Unit, person_ids: list[int]
) -> prepared.Steps[dict[int, list[Any]]]:
    """Beside a check that was not safe and still waits for a lead: start the incident report
    prefilled from it (issue 11 item 1)."""
    if not policy.can(getattr(request, "user", None), "incidents.report"):
        return {}

    from pillars.rounds.board_alerts import waiting_checks
    from pillars.rounds.board_extras import RowExtra

    url = route_url("incidents:incident-new")
    waiting_now = yield from waiting_checks(request, unit, person_ids)
    return {
        person_id: [
            RowExtra(
                label="Report an incident from this check",
                url=f"{url}?unit={unit.public_id}&check={waiting.check_id}",
                icon="✎",
            )
            for waiting in checks
        ]
        for person_id, checks in waiting_now.items()
    }


def install() -> None:
    from pillars.rounds.board_extras import BoardExtension, register

    register_section(
        PersonSection(
            "incidents-incidents",
            "incidents/incidents/partials/_person_incidents.html",
            person_incidents,
            order=45,
            category=Category.GENERAL,
            group=SAFETY,
            # A history: opened when wanted, not computed with every page.
            on_demand=True,
            title="Incidents",
            action="incidents.view",
        )
    )
    register(
        BoardExtension(
            key="incidents-incidents",
            panel_template="incidents/incidents/partials/_board_panel.html",
            panel_context=unit_panel,
            panel_counts=_unit_counts,
            order=40,
        )
    )
    register(BoardExtension(key="incidents-check-report", rows=checks_to_report, order=6))
