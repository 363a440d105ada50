"""What the incidents area adds to other apps' pages: the person page's incident list, and a
unit board panel with the unit's open incidents and late notifications."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from pillars.core import clock, policy
from pillars.people.models import PersonServed, Unit
from pillars.people.sections import PersonSection, register_section


def person_incidents(
    request: HttpRequest, person: PersonServed, page: dict[str, Any]
) -> dict[str, Any] | None:
    # The person page has already checked scope and audited the read of this person.
    if not policy.allows(request.user, "incidents.view", person):
        return None
    from pillars.incidents.selectors.incidents import person_incidents as rows_for

    writable = page.get("writable", True)
    return {
        "rows": rows_for(request.user, person),
        "can_report": writable and policy.allows(request.user, "incidents.report"),
    }


def unit_panel(request: HttpRequest, unit: Unit) -> dict[str, Any] | None:
    """Open incidents and overdue notifications on the unit, for whoever lists its incidents
    (two counting queries, whatever the census)."""
    user = getattr(request, "user", None)
    if user is None or not policy.allows(user, "incidents.list_unit", unit):
        return None
    from pillars.incidents.models import Incident, Notification
    from pillars.incidents.models.incidents import IncidentStatus

    open_count = Incident.objects.filter(
        unit=unit, status__in=[IncidentStatus.SUBMITTED, IncidentStatus.UNDER_REVIEW]
    ).count()
    overdue = Notification.objects.filter(
        incident__unit=unit, sent_at__isnull=True, due_at__lt=clock.now()
    ).count()
    return {"unit": unit, "open_count": open_count, "overdue": overdue}


def emergency_links(request: HttpRequest, unit: Unit, person_ids: list[int]) -> dict[int, Any]:
    """A "Report an incident" link, prefilled from the check, beside every emergency or concern
    still waiting for a lead (one query, shared with rounds' own flag)."""
    from datetime import timedelta

    from django.urls import reverse

    from pillars.rounds.board_extras import RowExtra
    from pillars.rounds.extensions import STATUS_FLAG_HOURS
    from pillars.rounds.services.check_alerts import unacknowledged_status_alerts

    user = getattr(request, "user", None)
    if user is None or not policy.allows(user, "incidents.report"):
        return {}
    since = clock.now() - timedelta(hours=STATUS_FLAG_HOURS)
    new = reverse("incidents:incident-new")
    out: dict[int, list[RowExtra]] = {}
    for person_id, alerts in unacknowledged_status_alerts(unit, person_ids, since).items():
        for alert in alerts:
            check_id = alert.dedupe_key.split(":")[1]
            url = f"{new}?unit={unit.public_id}&check={check_id}"
            out.setdefault(person_id, []).append(RowExtra(label="Report an incident", url=url))
    return out


def install() -> None:
    from pillars.rounds.board_extras import BoardExtension, register

    register_section(
        PersonSection(
            "incidents-incidents",
            "incidents/incidents/partials/_person_incidents.html",
            person_incidents,
            order=40,
        )
    )
    register(
        BoardExtension(
            key="incidents-incidents",
            rows=emergency_links,
            panel_template="incidents/incidents/partials/_board_panel.html",
            panel_context=unit_panel,
            order=40,
        )
    )
