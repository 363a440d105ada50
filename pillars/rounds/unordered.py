"""A board panel: persons placed on the unit who have no observation order this user can see.

A person transferred in from a substance-use (42 CFR Part 2) program keeps that program's order
there: the receiving unit does not read it, so it cannot round on it. Rather than let such a
person drop silently off the board, the panel names them with the link to order observation
here (and it names anyone else admitted without an order, for the same reason). It does not
say why: that the person came from a Part 2 program is the program's to tell.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from pillars.core import policy
from pillars.people.models import PersonServed, Unit
from pillars.rounds.board_coverage import orders_read
from pillars.rounds.board_extras import BoardExtension, placed_on, register
from pillars.rounds.models import ObservationOrder


def persons_without_order(
    user: Any, placed: list[PersonServed], shown: Collection[int] = ()
) -> list[PersonServed]:
    """Of the persons placed on the unit now (``board_extras.placed_on``), those with no open
    order the user can read (one query; none when every one of them is ``shown``: the ids of
    persons whose open order the user reads, the board's rows)."""
    asked = [person for person in placed if person.pk not in shown]
    if not asked:
        return []
    ordered = set(
        policy.restrict(ObservationOrder.objects.all(), user, "rounds.view")
        .filter(person_id__in=[p.pk for p in asked], ended_at__isnull=True)
        .values_list("person_id", flat=True)
    )
    return [person for person in asked if person.pk not in ordered]


def board_panel(request: HttpRequest, unit: Unit) -> dict[str, Any] | None:
    user = getattr(request, "user", None)
    if not policy.can(user, "rounds.view"):
        return None
    # A person on the board's rows (read in this request) has an open order the user reads.
    shown = {order.person_id for order in orders_read(request, unit)}
    missing = persons_without_order(user, placed_on(request, unit), shown)
    if not missing:
        return None
    can_order = policy.can(user, "rounds.order")
    return {
        "persons": [
            {
                "name": person.display_name,
                "url": reverse("rounds:order-new", args=[person.public_id]) if can_order else "",
            }
            for person in missing
        ]
    }


def install() -> None:
    register(
        BoardExtension(
            key="rounds-without-order",
            panel_template="rounds/_without_order_panel.html",
            panel_context=board_panel,
            order=1,
        )
    )
