"""Reads of alerts (the signed-in user's own) and of escalation chains."""

from __future__ import annotations

from typing import Any

from django.db.models import F, QuerySet
from django.http import Http404

from pillars.core import policy
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
