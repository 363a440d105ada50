"""1:1 and 2:1 coverage on the board rows: each open stretch links to its relief handoff, and a
person on continuous observation with too few staff links to putting someone with them (issue
11 item 7). Two queries per board read, whatever the census."""

from __future__ import annotations

from django.db.models import Count, Q
from django.http import HttpRequest
from django.urls import reverse

from pillars.core import policy
from pillars.people.models import Unit
from pillars.rounds.board_extras import BoardExtension, RowExtra, register
from pillars.rounds.models import Coverage, ObservationOrder


def rows(request: HttpRequest, unit: Unit, person_ids: list[int]) -> dict[int, list[RowExtra]]:
    # The board has checked the unit's scope and every person shown is visible to the viewer.
    user = getattr(request, "user", None)
    if not policy.can(user, "rounds.cover"):
        return {}
    me = policy.actor_for(user).staff_id
    found: dict[int, list[RowExtra]] = {}
    stretches = (
        Coverage.objects.filter(
            order__person_id__in=person_ids,
            order__ended_at__isnull=True,
            ended_at__isnull=True,
        )
        .order_by("started_at", "pk")
        .values_list("order__person_id", "public_id", "staff_id", "staff__display_name")
    )
    for person_id, stretch_id, staff_id, staff_name in stretches:
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
    short = (
        ObservationOrder.objects.filter(
            person_id__in=person_ids,
            ended_at__isnull=True,
            paused_at__isnull=True,
            level__staff_ratio__gt=0,
        )
        .annotate(open_count=Count("coverage", filter=Q(coverage__ended_at__isnull=True)))
        .values_list("person_id", "public_id", "open_count", "level__staff_ratio")
    )
    for person_id, order_id, open_count, ratio in short:
        if open_count < ratio:
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
