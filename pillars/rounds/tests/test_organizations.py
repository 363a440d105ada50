"""Two organizations in one database (people.tenancy): what rounds shows one organization's
staff off its routes' main reads (counts beside shared reference data, choices, alerts) holds
that organization's records only. The permission matrix (core/tests/test_matrix.py) asks every
route as another organization's staff."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from conftest import client_of
from pillars.people.testing import Elsewhere, World
from pillars.rounds import services
from pillars.rounds.models import ObservationLevel
from pillars.rounds.selectors.levels import level_versions

pytestmark = pytest.mark.django_db


def _q15() -> ObservationLevel:
    return ObservationLevel.objects.get(code="q15", is_current=True)


def _orders_counted(user: Any) -> dict[int, int]:
    """The level list's count of orders per version, as ``user`` reads it."""
    return {v.pk: v.orders_count for v in level_versions(user)}  # type: ignore[attr-defined]


def test_a_levels_orders_are_counted_in_the_administrators_own_organization(
    world: World, elsewhere: Elsewhere
) -> None:
    # Levels are shared reference data; the orders made under them are each organization's.
    q15 = _q15()
    for reason in ("Admission default", "Precautions added"):  # a change: a second order
        services.order_observation(
            world.person_a, actor=world.user("nurse"), level=q15, reason=reason
        )
    services.order_observation(
        elsewhere.person, actor=elsewhere.staff["nurse"].user, level=q15, reason="Admission"
    )
    assert _orders_counted(elsewhere.staff["admin"].user)[q15.pk] == 1
    assert _orders_counted(world.user("admin"))[q15.pk] == 2
    page = client_of(elsewhere.staff["admin"]).get(
        reverse("rounds:level-edit", args=[q15.public_id])
    )
    assert "1 order made under version 1 keeps its rules" in page.content.decode()
