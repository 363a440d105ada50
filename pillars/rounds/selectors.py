"""Reads of observation orders, scoped to the user; reads of a person's orders are audited."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.db.models import QuerySet
from django.http import Http404

from pillars.core import policy
from pillars.people.models import Unit
from pillars.people.selectors import record_list_read
from pillars.rounds.models import ObservationOrder


def _uuid(value: Any) -> UUID:
    try:
        return value if isinstance(value, UUID) else UUID(str(value))
    except ValueError:
        raise Http404("Not found") from None


def get_order_for(user: Any, public_id: Any, action: str = "rounds.view") -> ObservationOrder:
    """One order, 404 when its person is out of scope, 403 when the action is not allowed."""
    order = (
        ObservationOrder.objects.select_related("person", "level")
        .filter(public_id=_uuid(public_id))
        .first()
    )
    if order is None:
        raise Http404("Not found")
    policy.require(user, action, order)
    return order


def open_orders_on(user: Any, unit: Unit) -> list[ObservationOrder]:
    """The open orders of the persons placed on a unit now, most urgent first; one audited
    read naming the persons shown."""
    orders = list(
        policy.restrict(ObservationOrder.objects.all(), user, "rounds.view")
        .filter(
            ended_at__isnull=True,
            episode__placements__unit=unit,
            episode__placements__ended_at__isnull=True,
        )
        .select_related("person", "level")
        .order_by("due_at", "pk")
    )
    record_list_read(user, [o.person for o in orders], what=f"observation orders on {unit.code}")
    return orders


def orders_visible_to(user: Any) -> QuerySet[ObservationOrder]:
    return policy.restrict(ObservationOrder.objects.all(), user, "rounds.view")
