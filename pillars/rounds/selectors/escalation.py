"""Reads of alerts (the signed-in user's own) and of escalation chains."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from django.db.models import F, QuerySet
from django.http import Http404

from pillars.core import policy
from pillars.rounds.choices import AlertKind
from pillars.rounds.models import Alert, EscalationStep
from pillars.rounds.selectors.orders import _uuid


def alerts_visible_to(user: Any, *, unacknowledged: bool = False) -> QuerySet[Alert]:
    """The user's own alerts, unacknowledged first, then the most recently due."""
    qs = policy.restrict(Alert.objects.all(), user, "rounds.view_alerts").select_related(
        "person", "unit", "order__level", "step"
    )
    if unacknowledged:
        qs = qs.filter(acknowledged_at__isnull=True, resolved_at__isnull=True)
    return qs.order_by(
        F("acknowledged_at").asc(nulls_first=True),
        F("resolved_at").asc(nulls_first=True),
        "-due_at",
        "pk",
    )


def unacknowledged_count(user: Any) -> int:
    """The badge: one COUNT on the (recipient, acknowledged_at) index, none for roles that have
    no inbox."""
    actor = policy.actor_for(user)
    if actor.staff_id is None or not policy.can(actor, "rounds.view_alerts"):
        return 0
    # An alert whose cause was resolved (the check was made) closed itself: not waiting.
    return Alert.objects.filter(
        recipient_id=actor.staff_id, acknowledged_at__isnull=True, resolved_at__isnull=True
    ).count()


def get_alert_for(user: Any, public_id: Any, action: str = "rounds.view_alerts") -> Alert:
    """One of the user's alerts; anyone else's answers 404, as if it did not exist."""
    alert = (
        Alert.objects.select_related("person", "unit").filter(public_id=_uuid(public_id)).first()
    )
    if alert is None:
        raise Http404("Not found")
    policy.require(user, action, alert)
    return alert


def own_steps(unit: Any) -> list[EscalationStep]:
    """The unit's own active steps (empty when it uses the default chain)."""
    return list(EscalationStep.objects.filter(unit=unit, is_active=True).order_by("position"))


@dataclass(frozen=True)
class WaitingCheck:
    """A check that was not safe and that no lead has acknowledged yet."""

    check_id: UUID
    person_id: int
    observed_at: datetime
    message: str


def checks_not_safe_waiting(unit: Any, person_ids: list[int]) -> dict[int, list[WaitingCheck]]:
    """By person: the checks on this unit that were not safe and whose alert nobody has
    acknowledged yet (one acknowledgement by any recipient is enough). One query."""
    acknowledged = Alert.objects.filter(
        kind=AlertKind.CHECK_NOT_SAFE, unit=unit, acknowledged_at__isnull=False
    ).values("subject_id")
    rows = (
        Alert.objects.filter(
            kind=AlertKind.CHECK_NOT_SAFE,
            unit=unit,
            person_id__in=person_ids,
            acknowledged_at__isnull=True,
            resolved_at__isnull=True,
            subject_id__isnull=False,
        )
        .exclude(subject_id__in=acknowledged)
        .values_list("subject_id", "person_id", "due_at", "message")
        .order_by("due_at", "subject_id")
    )
    found: dict[int, list[WaitingCheck]] = {}
    seen: set[UUID] = set()
    for subject_id, person_id, due_at, message in rows:
        if subject_id is None or subject_id in seen:  # the filter excludes None; for mypy
            continue
        seen.add(subject_id)
        found.setdefault(person_id, []).append(WaitingCheck(subject_id, person_id, due_at, message))
    return found
