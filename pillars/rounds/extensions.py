"""What rounds itself puts on its board through the board-extras hook: an emergency or concern
recorded on a check stays flagged on the person's row until a lead acknowledges it, so the row
can never look routine again ("Upcoming", a green Safe button) while nobody has answered it."""

from __future__ import annotations

from datetime import timedelta

from django.http import HttpRequest
from django.urls import reverse

from pillars.core import clock
from pillars.people.models import Unit
from pillars.rounds.board_extras import BoardExtension, RowExtra, register
from pillars.rounds.choices import AlertKind

# An emergency nobody acknowledged stays on the board this long at most (a day shift and a
# night shift); the inbox keeps it for good.
STATUS_FLAG_HOURS = 24


def status_flags(
    request: HttpRequest, unit: Unit, person_ids: list[int]
) -> dict[int, list[RowExtra]]:
    """One query for every row: the unanswered emergency and concern alerts of the unit."""
    from pillars.rounds.services.check_alerts import unacknowledged_status_alerts

    since = clock.now() - timedelta(hours=STATUS_FLAG_HOURS)
    found = unacknowledged_status_alerts(unit, person_ids, since)
    inbox = reverse("rounds:inbox") + "?show=open"
    out: dict[int, list[RowExtra]] = {}
    for person_id, alerts in found.items():
        for alert in alerts:
            emergency = alert.kind == AlertKind.EMERGENCY
            label = (
                "Emergency recorded, not yet acknowledged by a lead"
                if emergency
                else "Concern recorded, not yet acknowledged by a lead"
            )
            out.setdefault(person_id, []).append(
                RowExtra(
                    label=label,
                    url=inbox,
                    kind="flag",
                    tone="danger" if emergency else "warning",
                    icon="!",
                    at=alert.due_at,
                )
            )
    return out


def install() -> None:
    register(BoardExtension(key="rounds-check-status", rows=status_flags, order=5))
