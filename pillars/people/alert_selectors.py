"""Reads of alerts: the signed-in user's own (the inbox, its badge) and one of them."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, F, QuerySet

from pillars.core import policy, prepared
from pillars.core.entry import get_for
from pillars.people.alert_models import Alert


def alerts_visible_to(user: Any, *, unacknowledged: bool = False) -> QuerySet[Alert]:
    """The user's own alerts, unacknowledged first, then the most recently due."""
    qs = policy.restrict(Alert.objects.all(), user, "people.view_alerts").select_related(
        "person", "unit"
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
    if actor.staff_id is None or not policy.can(actor, "people.view_alerts"):
        return 0
    # An alert whose cause was resolved (the check was made) closed itself: not waiting. Every
    # page asks it: compiled once per process (core.prepared), one group per recipient.
    counted = prepared.rows(
        "unacknowledged alerts of a recipient",
        Alert.objects.filter(
            recipient_id=actor.staff_id, acknowledged_at__isnull=True, resolved_at__isnull=True
        )
        .order_by()
        .values("recipient_id")
        .annotate(waiting=Count("pk"))
        .values_list("waiting", flat=True),
    )
    return counted[0] if counted else 0


def get_alert_for(user: Any, public_id: Any, action: str = "people.view_alerts") -> Alert:
    """One of the user's alerts; anyone else's answers 404, as if it did not exist."""
    return get_for(Alert.objects.select_related("person", "unit"), user, public_id, action)
