"""Observation levels as data: adding one, changing one (a new version), the shared
validation, the admin pages and GET /api/v1/levels."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from pillars.audit.models import AuditEvent
from pillars.core.errors import ValidationError
from pillars.core.tests.api_support import api_as, assert_problem
from pillars.people.testing import World
from pillars.rounds import services
from pillars.rounds.choices import CheckStatus
from pillars.rounds.models import ObservationLevel

pytestmark = pytest.mark.django_db


def current(code: str) -> ObservationLevel:
    return ObservationLevel.objects.get(code=code, is_current=True)


def new_level(world: World, **overrides: Any) -> ObservationLevel:
    values: dict[str, Any] = {
        "code": "q10",
        "name": "Every 10 minutes",
        "interval_minutes": 10,
        "grace_factor": Decimal("1.50"),
        "due_window_minutes": 2,
        "staff_ratio": 0,
        "is_line_of_sight": False,
    }
    values.update(overrides)
    return services.add_level(actor=world.user("admin"), **values)


def test_adding_a_level_makes_version_one_and_audits_it(world: World) -> None:
    last = max(ObservationLevel.objects.values_list("sort_order", flat=True))
    level = new_level(world)
    assert (level.code, level.version, level.is_current) == ("q10", 1, True)
    assert level.missed_after == timedelta(minutes=15)
    assert level.sort_order == last + 10  # added at the end of the lists
    event = AuditEvent.objects.get(object_id=str(level.public_id))
    assert event.action == "create"
    assert event.detail["code"] == "q10"
    assert event.detail["changes"]["interval_minutes"] == {"old": None, "new": 10}


def test_a_code_names_one_level_for_good(world: World) -> None:
    before = (ObservationLevel.objects.count(), AuditEvent.objects.count())
    with pytest.raises(ValidationError) as info:
        new_level(world, code="q15")
    assert "already exists" in info.value.message_dict["code"][0]
    # Also when the code's only version is replaced: the code is still taken.
    services.change_level(current("q30"), actor=world.user("admin"), name="Half-hourly")
    with pytest.raises(ValidationError):
        new_level(world, code="q30")
    assert ObservationLevel.objects.count() == before[0] + 1  # only the q30 version 2


def test_bad_level_input_names_every_field_and_stores_nothing(world: World) -> None:
    count = ObservationLevel.objects.count()
    with pytest.raises(ValidationError) as info:
        new_level(
            world,
            code="Q 10!",
            name=" ",
            interval_minutes=0,
            grace_factor=Decimal("0.5"),
            due_window_minutes=-1,
            staff_ratio=3,
        )
    assert set(info.value.message_dict) == {
        "code",
        "name",
        "interval_minutes",
        "grace_factor",
        "due_window_minutes",
        "staff_ratio",
    }
    with pytest.raises(ValidationError) as info:
        new_level(world, grace_factor=Decimal("1.555"), due_window_minutes=10)
    assert set(info.value.message_dict) == {"grace_factor", "due_window_minutes"}
    assert ObservationLevel.objects.count() == count


def test_only_the_administrator_adds_levels(world: World) -> None:
    for role in ("nurse", "clinician", "director"):
        with pytest.raises(PermissionDenied):
            services.add_level(
                actor=world.user(role),
                code="q10",
                name="Every 10 minutes",
                interval_minutes=10,
            )
    assert not ObservationLevel.objects.filter(code="q10").exists()


def test_changing_uses_the_same_rules_and_refuses_no_change(world: World) -> None:
    q15 = current("q15")
    with pytest.raises(ValidationError) as info:
        services.change_level(q15, actor=world.user("admin"), grace_factor=Decimal("3.5"))
    assert set(info.value.message_dict) == {"grace_factor"}
    with pytest.raises(ValidationError) as info:
        services.change_level(q15, actor=world.user("admin"), due_window_minutes=15)
    assert set(info.value.message_dict) == {"due_window_minutes"}
    with pytest.raises(ValidationError):
        services.change_level(q15, actor=world.user("admin"), name=q15.name)
    assert ObservationLevel.objects.filter(code="q15").count() == 1


def test_a_change_never_rewrites_orders_made_under_the_old_version(world: World) -> None:
    nurse = world.user("nurse")
    old_order = services.order_observation(
        world.person_a, actor=nurse, level=current("q15"), reason="Admission default"
    )
    services.change_level(current("q15"), actor=world.user("admin"), grace_factor=Decimal("3"))
    new_order = services.order_observation(
        world.person_a, actor=nurse, level=current("q15"), reason="Re-ordered"
    )
    old_order.refresh_from_db()
    assert old_order.level.version == 1
    assert new_order.level.version == 2
    # The grace after a due check: half an interval under version 1 (1.5 x q15 from the last
    # observation), two intervals under version 2 (3 x q15).
    assert old_order.missed_at() - old_order.next_due_at() == timedelta(minutes=7, seconds=30)
    assert new_order.missed_at() - new_order.next_due_at() == timedelta(minutes=30)
    assert new_order.status_at(new_order.started_at + timedelta(minutes=10)) == CheckStatus.LATE
    assert new_order.status_at(new_order.started_at + timedelta(minutes=31)) == CheckStatus.MISSED


# --- Pages -------------------------------------------------------------------------------------


def test_the_level_list_shows_current_and_older_versions(world: World, signed_in: Any) -> None:
    services.change_level(current("q15"), actor=world.user("admin"), name="Fifteen-minute checks")
    page = signed_in("admin").get(reverse("rounds:level-list"))
    assert page.status_code == 200
    body = page.content.decode()
    for text in ("Fifteen-minute checks", "Every 15 minutes", "Replaced", "Current"):
        assert text in body
    assert reverse("rounds:level-edit", args=[current("q15").public_id]) in body


def test_adding_a_level_on_the_page(world: World, signed_in: Any) -> None:
    client = signed_in("admin")
    data = {
        "code": "q10",
        "name": "Every 10 minutes",
        "interval_minutes": "10",
        "grace_factor": "1.5",
        "due_window_minutes": "2",
        "staff_ratio": "0",
        "sort_order": "",
    }
    response = client.post(reverse("rounds:level-new"), data)
    assert response.status_code == 302
    assert current("q10").interval_minutes == 10
    again = client.post(reverse("rounds:level-new"), data)
    assert again.status_code == 200
    assert "already exists" in again.content.decode()
    assert ObservationLevel.objects.filter(code="q10").count() == 1


def test_changing_a_level_on_the_page_makes_a_version(world: World, signed_in: Any) -> None:
    client = signed_in("admin")
    q15 = current("q15")
    services.order_observation(
        world.person_a, actor=world.user("nurse"), level=q15, reason="Admission default"
    )
    form = client.get(reverse("rounds:level-edit", args=[q15.public_id]))
    assert "1 order made under version 1 keeps its rules" in form.content.decode()
    data = {
        "name": q15.name,
        "interval_minutes": "15",
        "grace_factor": "2.00",
        "due_window_minutes": "2",
        "staff_ratio": "0",
        "sort_order": str(q15.sort_order),
    }
    response = client.post(reverse("rounds:level-edit", args=[q15.public_id]), data)
    assert response.status_code == 302
    assert current("q15").version == 2
    assert current("q15").grace_factor == Decimal("2.00")
    # The old version's page sends the administrator to the current one.
    stale = client.get(reverse("rounds:level-edit", args=[q15.public_id]))
    assert stale.status_code == 302
    assert str(current("q15").public_id) in stale["Location"]
    bad = client.post(
        reverse("rounds:level-edit", args=[current("q15").public_id]),
        {**data, "interval_minutes": "0"},
    )
    assert bad.status_code == 200
    assert "An interval is 1 to 240 minutes." in bad.content.decode()
    assert current("q15").version == 2


# --- API ---------------------------------------------------------------------------------------


def test_api_lists_current_levels_and_older_ones_on_request(world: World) -> None:
    services.change_level(current("q15"), actor=world.user("admin"), name="Fifteen")
    api = api_as(world.user("bht"))
    rows = api.get("/levels").json()
    q15 = [r for r in rows if r["code"] == "q15"]
    assert [(r["version"], r["name"]) for r in q15] == [(2, "Fifteen")]
    assert q15[0]["missed_after_minutes"] == 22.5
    everything = api.get("/levels", {"include_older": "true"}).json()
    assert sorted(r["version"] for r in everything if r["code"] == "q15") == [1, 2]
    assert_problem(api_as(world.user("privacy")).get("/levels"), 403)
