"""Other apps extend the board through ``board_extras``: row links, row flags and unit panels
show on the board and on a refreshed row, and the extension is asked once per board read."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse

from pillars.core import clock
from pillars.people.testing import World
from pillars.rounds import board_extras, services
from pillars.rounds.board_extras import BoardExtension, RowExtra
from pillars.rounds.models import ObservationLevel

pytestmark = pytest.mark.django_db


@pytest.fixture
def extension() -> Iterator[list[list[int]]]:
    calls: list[list[int]] = []

    def rows(request: Any, unit: Any, person_ids: list[int]) -> dict[int, list[RowExtra]]:
        calls.append(person_ids)
        soon = clock.now() + timedelta(minutes=30)
        return {
            pid: [
                RowExtra("Record behavior", url="/somewhere/abc/"),
                RowExtra("Order expires", kind="flag", tone="danger", icon="◷", at=soon),
            ]
            for pid in person_ids
        }

    def panel(request: Any, unit: Any) -> dict[str, Any] | None:
        return {"message": f"Panel for {unit.code}"}

    board_extras.register(
        BoardExtension(
            "test-extension",
            rows=rows,
            panel_template="rounds/partials/_board_banners.html",
            panel_context=panel,
        )
    )
    yield calls
    board_extras._extensions.pop("test-extension", None)


def test_row_extras_and_panels_show_on_the_board(
    world: World, signed_in: Any, extension: list[list[int]], rf: Any
) -> None:
    services.order_observation(
        world.person_a,
        actor=world.user("nurse"),
        level=ObservationLevel.objects.get(code="q15", is_current=True),
        reason="Board extras",
        started_at=clock.now() - timedelta(hours=1),
    )
    url = reverse("rounds:board", kwargs={"public_id": world.unit_a.public_id})
    body = signed_in("bht").get(url).content.decode()
    assert '<a href="/somewhere/abc/">Record behavior</a>' in body
    assert "Order expires" in body
    assert "◷" in body
    [panel] = board_extras.panels(rf.get("/"), world.unit_a)
    assert panel.context == {"message": f"Panel for {world.unit_a.code}"}
    assert extension == [[world.person_a.pk]]  # once per read, with every person shown
