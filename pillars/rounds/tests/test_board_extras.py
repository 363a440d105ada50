"""Other apps extend the board through ``board_extras``: row links, row flags and unit panels
show on the board and on a refreshed row, and the extension is asked once per board read."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from pillars.core import clock
from pillars.people.models import PersonServed, Placement
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


def test_panel_counts_are_counted_together_in_one_query(world: World, rf: Any) -> None:
    wanted: dict[Any, Any] = {
        "all": PersonServed.objects.all(),
        "one": PersonServed.objects.filter(pk=world.person_a.pk),
        "none": PersonServed.objects.none(),
    }
    with CaptureQueriesContext(connection) as queries:
        counts = board_extras.count_together(wanted)
    assert len(queries) == 1
    assert counts == {"all": PersonServed.objects.count(), "one": 1, "none": 0}
    distinct = Placement.objects.filter(unit=world.unit_a).distinct()
    assert board_extras.count_together({"d": distinct}) == {"d": distinct.count()}

    def counts_of(request: Any, unit: Any) -> dict[str, Any]:
        return {"persons": PersonServed.objects.all()}

    def panel(request: Any, unit: Any) -> dict[str, Any] | None:
        return {"message": f"{board_extras.counted(request, 'test-counts')} on {unit.code}"}

    board_extras.register(
        BoardExtension(
            "test-counts",
            panel_template="rounds/partials/_board_banners.html",
            panel_context=panel,
            panel_counts=counts_of,
        )
    )
    try:
        shown = {p.key: p for p in board_extras.panels(rf.get("/"), world.unit_a)}
    finally:
        board_extras._extensions.pop("test-counts", None)
    persons = PersonServed.objects.count()
    assert shown["test-counts"].context == {"message": f"{{'persons': {persons}}} on a"}
