"""1:1 and 2:1 coverage on the board rows: each open stretch links to its relief handoff, and a
person on continuous observation with too few staff links to putting someone with them (issue
11 item 7). One query per board read, whatever the census."""

from __future__ import annotations

from typing import Any

from django.db.models import FilteredRelation, Q
from django.http import HttpRequest
from django.urls import reverse

from pillars.core import policy
from pillars.people.models import Unit
from pillars.rounds.board_extras import BoardExtension, RowExtra, register
from pillars.rounds.models import ObservationOrder


def rows(request: HttpRequest, unit: Unit, person_ids: list[int]) -> dict[int, list[RowExtra]]:
    # The board has checked the unit's scope and every person shown is visible to the viewer.
    user = getattr(request, "user", None)
    if not policy.can(user, "rounds.cover"):
        return {}
    me = policy.actor_for(user).staff_id
    found: dict[int, list[RowExtra]] = {}
    # One query: each open order of the persons shown with its open stretches (if any).
    rows = (
        ObservationOrder.objects.filter(person_id__in=person_ids, ended_at__isnull=True)
        .annotate(
            open_stretch=FilteredRelation("coverage", condition=Q(coverage__ended_at__isnull=True))
        )
        .order_by("open_stretch__started_at", "open_stretch__pk")
        .values_list(
            "person_id",
            "public_id",
            "paused_at",
            "level__staff_ratio",
            "open_stretch__public_id",
            "open_stretch__staff_id",
            "open_stretch__staff__display_name",
        )
    )
    orders: dict[Any, tuple[int, Any, int]] = {}
    open_count: dict[Any, int] = {}
    for person_id, order_id, paused_at, ratio, stretch_id, staff_id, staff_name in rows:
        if paused_at is None and ratio > 0:
            orders[order_id] = (person_id, order_id, ratio)
        if stretch_id is None:
            continue
        open_count[order_id] = open_count.get(order_id, 0) + 1
        label = (
            "Hand off to a colleague (relief)"
            if staff_id == me
            else f"Relief handoff from {staff_name}"
        )
        found.setdefault(person_id, []).append(
            RowExtra(
                label=label,
                url=reverse("rounds:coverage-relieve", kwargs={"public_id": stretch_id}),
                icon="⇄",
            )
        )
    for person_id, order_id, ratio in orders.values():
        if open_count.get(order_id, 0) < ratio:
            found.setdefault(person_id, []).append(
                RowExtra(
                    label="Put someone with them",
                    url=reverse("rounds:coverage-start", kwargs={"public_id": order_id}),
                    icon="+",
                )
            )
    return found


def install() -> None:
    register(BoardExtension(key="rounds-coverage", rows=rows, order=6))
