"""The dashboards read the summary tables, draw every chart with its numbers beside it, drill
down to the record pages, and audit every read and export."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse

from conftest import client_for
from pillars.audit.models import AuditEvent
from pillars.core import clock
from pillars.core.tests.api_support import api_as
from pillars.insights.summaries import rebuild
from pillars.people.testing import World
from pillars.rounds import services
from pillars.rounds.models import ObservationLevel

pytestmark = pytest.mark.django_db


def _rounds(world: World) -> None:
    start = clock.now() - timedelta(hours=2)
    with time_machine.travel(start, tick=False):
        order = services.order_observation(
            world.person_a,
            actor=world.user("nurse"),
            level=ObservationLevel.objects.get(code="q15", is_current=True),
            reason="Admission default",
        )
    with time_machine.travel(start + timedelta(minutes=12), tick=False):
        services.record_check(
            order,
            actor=world.user("bht"),
            observed_at=clock.now(),
            location="bedroom",
            activity="asleep",
            safety_status="safe",
            client_id=uuid.uuid4(),
        )
    rebuild()


def test_the_director_sees_charts_with_tables_and_the_read_is_audited(world: World) -> None:
    _rounds(world)
    response = client_for(world, "director").get(reverse("insights:director"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<svg" in html
    assert "Checks on time" in html
    assert "<table" in html
    assert "HBIPS-2" in html
    assert reverse("insights:unit", args=[world.unit_a.public_id]) in html
    assert "style=" not in html.split("<main", 1)[-1]
    # The page says which copy its figures come from (core.replica; no replica in tests).
    assert "Figures from the main database (no replica is configured)." in html
    event = AuditEvent.objects.filter(object_type="insights.dashboard").latest("seq")
    assert event.object_id == "director"
    assert event.actor == world.user("director")


def test_a_unit_lead_drills_down_to_the_integrity_report(world: World) -> None:
    _rounds(world)
    response = client_for(world, "nurse").get(
        reverse("insights:unit", args=[world.unit_a.public_id])
    )
    assert response.status_code == 200
    assert reverse("rounds:integrity", args=[world.unit_a.public_id]) in response.content.decode()


def test_a_figure_links_only_to_a_page_the_viewer_may_open(world: World) -> None:
    """A clinician leads on the unit's dashboard but opens neither the integrity report, the
    unit's incidents nor the restraint report: those figures are shown without a link."""
    _rounds(world)
    client = client_for(world, "clinician")
    html = client.get(reverse("insights:unit", args=[world.unit_a.public_id])).content.decode()
    targets = [
        reverse("rounds:integrity", args=[world.unit_a.public_id]),
        reverse("incidents:incident-unit-list", args=[world.unit_a.public_id]),
        reverse("incidents:restraint-report"),
    ]
    for target in targets:
        assert f'href="{target}' not in html, target
        assert client.get(target).status_code == 403, target
    assert "Checks on time" in html


def test_the_csv_goes_through_the_export_door(world: World) -> None:
    _rounds(world)
    response = client_for(world, "director").get(reverse("insights:csv"))
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]
    assert "Checks on time" in body
    assert "hbips" in body
    assert "# Figures from the main database" in body
    export = AuditEvent.objects.filter(action="export").latest("seq")
    assert export.actor == world.user("director")


def test_the_api_gives_each_measure_with_its_definition(world: World) -> None:
    _rounds(world)
    api = api_as(world.user("director"))
    reply = api.get("/insights/measures")
    assert reply.status_code == 200
    found = {m["code"]: m for m in reply.json()["measures"]}
    assert found["checks-on-time"]["definition"]
    assert len(found["hbips-2"]["months"]) >= 12
    assert found["checks-on-time"]["months"][-1]["value"] is not None
