"""1:1 and 2:1 coverage on the board rows: each open stretch links to its relief handoff, and a
person on continuous observation with too few staff links to putting someone with them (issue
11 item 7). Drawn from the board's own read of its orders (no query of its own)."""

from __future__ import annotations

from django.db.models import Prefetch
from django.http import HttpRequest

from pillars.core import policy
from pillars.core.templatetags.record_urls import record_url
from pillars.people.models import Unit
from pillars.rounds.board_extras import (
    BoardExtension,
    RowExtra,
    register,
    shared,
    shared_so_far,
)
from pillars.rounds.models import Coverage, ObservationOrder

_ORDERS = "rounds-board-orders"


def share_orders(request: HttpRequest, unit: Unit, orders: list[ObservationOrder]) -> None:
    """The board's own read of its rows' open orders (each with its level and its open
    stretches, ``open_coverage``, with their staff): the links are drawn from it, with no query
    of their own."""
    shared(request, (_ORDERS, unit.pk), lambda: orders)


def orders_read(request: HttpRequest, unit: Unit) -> list[ObservationOrder]:
    """The open orders the board has read for its rows in this request (none outside one)."""
    return shared_so_far(request, (_ORDERS, unit.pk)) or []


def _open_orders(request: HttpRequest, unit: Unit, person_ids: list[int]) -> list[ObservationOrder]:
    """The open orders the user may read of the persons shown: the board's own read, or
    (asked outside one) read here."""
    orders: list[ObservationOrder] = shared(
        request,
        (_ORDERS, unit.pk),
        lambda: list(
            policy.restrict(ObservationOrder.objects.all(), request.user, "rounds.view")
            .filter(person_id__in=person_ids, ended_at__isnull=True)
            .select_related("level")
            .prefetch_related(
                Prefetch(
                    "coverage",
                    queryset=Coverage.objects.filter(ended_at__isnull=True).select_related("staff"),
                    to_attr="open_coverage",
                )
            )
        ),
    )
    wanted = set(person_ids)
    return [order for order in orders if order.person_id in wanted]


def rows(request: HttpRequest, unit: Unit, person_ids: list[int]) -> dict[int, list[RowExtra]]:
    # The board has checked the unit's scope and every person shown is visible to the viewer.
    user = getattr(request, "user", None)
    if not policy.can(user, "rounds.cover"):
        return {}
    me = policy.actor_for(user).staff_id
    found: dict[int, list[RowExtra]] = {}
    for order in _open_orders(request, unit, person_ids):
        # Each open stretch (oldest first) links to its relief handoff.
        stretches = order.open_coverage  # type: ignore[attr-defined]
        for stretch in stretches:
            label = (
                "Hand off to a colleague (relief)"
                if stretch.staff_id == me
                else f"Relief handoff from {stretch.staff.display_name}"
            )
            found.setdefault(order.person_id, []).append(
                RowExtra(
                    label=label,
                    url=record_url("rounds:coverage-relieve", stretch.public_id),
                    icon="⇄",
                )
            )
        ratio = order.level.staff_ratio
        if order.paused_at is None and ratio > 0 and len(stretches) < ratio:
            found.setdefault(order.person_id, []).append(
                RowExtra(
                    label="Put someone with them",
                    url=record_url("rounds:coverage-start", order.public_id),
                    icon="+",
                )
            )
    return found


def install() -> None:
    register(BoardExtension(key="rounds-coverage", rows=rows, order=6))
