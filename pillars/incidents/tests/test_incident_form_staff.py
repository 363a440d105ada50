"""The incident report's staff lists: the unit's staff on shift now first, then the unit's other
staff, then others; staff with no floor role (administrator, privacy officer) only when they are
on the unit's shift; and the time prefilled with now in the unit's zone (issue 11 item 13)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.urls import reverse

from pillars.core import clock
from pillars.core.roles import RoleCode
from pillars.incidents.models import Incident
from pillars.incidents.selectors import incidents as selectors
from pillars.incidents.services import incidents as services
from pillars.people.models import Site, Staff
from pillars.people.testing import World, make_staff, make_unit
from pillars.rounds.models import ShiftAssignment

pytestmark = pytest.mark.django_db

NEW = "incidents:incident-new"


def on_shift(world: World, staff: Staff, kind: str = "lead", **extra: Any) -> ShiftAssignment:
    now = clock.now()
    return ShiftAssignment.objects.create(
        unit=world.unit_a,
        staff=staff,
        kind=kind,
        starts_at=extra.get("starts_at", now - timedelta(hours=1)),
        ends_at=extra.get("ends_at", now + timedelta(hours=11)),
        assigned_by=world.staff["nurse"],
        recorded_at=now,
    )


def names(staff: list[Staff]) -> list[str]:
    return [s.user.username for s in staff]


def test_on_shift_first_then_the_unit_then_others_and_no_off_floor_roles(world: World) -> None:
    on_shift(world, world.staff["nurse"])
    groups = selectors.staff_for_report(world.unit_a)
    assert names(groups.on_shift) == ["t-nurse"]
    assert "t-nurse" not in names(groups.this_unit)
    assert set(names(groups.this_unit)) == {
        "t-bht",
        "t-clinician",
        "t-director",
        "t-peer",
        "t-supervisor",
    }
    # Administrator and privacy officer have unit A as their home but no floor role.
    everyone = names(groups.all())
    assert "t-admin" not in everyone
    assert "t-privacy" not in everyone
    # The site's other units' floor staff come last.
    assert names(groups.others) == ["t-outsider"]
    assert [label for label, _ in groups.labelled()] == ["On shift now", "This unit", "Others"]


def test_an_administrator_on_the_units_shift_is_listed_and_a_shift_that_ended_is_not(
    world: World,
) -> None:
    on_shift(world, world.staff["admin"], kind="lead")
    ended = on_shift(world, world.staff["bht"], kind="lead")
    ShiftAssignment.objects.filter(pk=ended.pk).update(ended_at=clock.now() - timedelta(minutes=1))
    groups = selectors.staff_for_report(world.unit_a)
    assert names(groups.on_shift) == ["t-admin"]
    assert "t-bht" in names(groups.this_unit)


def test_staff_who_left_and_other_sites_are_not_listed(world: World) -> None:
    other_site = Site.objects.create(organization=world.org, name="North campus")
    far_unit, _ = make_unit(other_site, "n")
    make_staff("t-far", [RoleCode.BHT], [far_unit])
    Staff.objects.filter(pk=world.staff["peer"].pk).update(
        exited_on=clock.today_in(world.unit_a.time_zone), exit_reason="resigned_other"
    )
    everyone = names(selectors.staff_for_report(world.unit_a).all())
    assert "t-far" not in everyone
    assert "t-peer" not in everyone


def _section(body: str, field: str) -> str:
    start = body.index(f'id="id_{field}"')
    return body[start : body.index("</fieldset></div>", start)]


def test_the_form_shows_the_groups_in_order_with_legends(world: World, signed_in: Any) -> None:
    on_shift(world, world.staff["nurse"])
    body = signed_in("bht").get(reverse(NEW)).content.decode()
    for field in ("staff_involved", "witness_staff"):
        section = _section(body, field)
        legends = re.findall(r"<legend>([^<]+)</legend>", section)
        assert legends == ["On shift now", "This unit", "Others"]
        nurse = section.index(str(world.staff["nurse"].public_id))
        bht = section.index(str(world.staff["bht"].public_id))
        outsider = section.index(str(world.staff["outsider"].public_id))
        assert section.index("On shift now") < nurse < section.index("This unit") < bht
        assert section.index("Others") < outsider
        assert str(world.staff["admin"].public_id) not in section
        assert str(world.staff["privacy"].public_id) not in section
    # The reporter is ticked as involved.
    involved = _section(body, "staff_involved")
    ticked = re.findall(r'<input type="checkbox"[^>]*value="([^"]+)"[^>]* checked>', involved)
    assert ticked == [str(world.staff["bht"].public_id)]


def test_a_staff_member_who_is_not_listed_is_refused_and_nothing_is_stored(
    world: World, signed_in: Any
) -> None:
    local = clock.local(clock.now() - timedelta(minutes=5), world.unit_a.time_zone)
    data = {
        "unit": world.unit_a.public_id,
        "type": "fall",
        "occurred_at": local.strftime("%Y-%m-%dT%H:%M"),
        "location": "Hall",
        "persons": [world.person_a.public_id],
        "witness_staff": [world.staff["privacy"].public_id],
        "narrative": "Slipped by the nurses' station.",
    }
    response = signed_in("bht").post(reverse(NEW), data)
    assert response.status_code == 200
    assert "witness_staff" in response.context["form"].errors
    assert not Incident.objects.exists()
    data["witness_staff"] = [world.staff["outsider"].public_id]
    assert signed_in("bht").post(reverse(NEW), data).status_code == 302
    incident = Incident.objects.get()
    assert [r.staff for r in incident.staff.filter(role="witness")] == [world.staff["outsider"]]


def test_editing_a_draft_keeps_a_name_that_is_no_longer_listed(
    world: World, signed_in: Any
) -> None:
    shift = on_shift(world, world.staff["admin"])
    details = services.IncidentDetails(
        type="fall",
        occurred_at=clock.now() - timedelta(minutes=20),
        location="Hall",
        narrative="Slipped.",
        persons=[world.person_a],
        witness_staff=[world.staff["admin"]],
    )
    incident = services.create_draft(world.unit_a, details, actor=world.user("bht"))
    ShiftAssignment.objects.filter(pk=shift.pk).update(ended_at=clock.now())
    edit = reverse("incidents:incident-edit", args=[incident.public_id])
    body = signed_in("bht").get(edit).content.decode()
    witnesses = _section(body, "witness_staff")
    admin = witnesses.index(str(world.staff["admin"].public_id))
    assert witnesses.index("Others") < admin


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2026, 1, 15, 3, 7, tzinfo=UTC),  # 21:07 the evening before in Chicago (CST)
        datetime(2026, 7, 15, 16, 42, tzinfo=UTC),  # 11:42 in Chicago (CDT)
    ],
)
def test_a_new_report_starts_at_now_in_the_units_zone(
    world: World, signed_in: Any, moment: datetime
) -> None:
    with time_machine.travel(moment, tick=False):
        response = signed_in("bht").get(reverse(NEW))
    expected = clock.local(moment, world.unit_a.time_zone).strftime("%Y-%m-%dT%H:%M")
    assert response.context["form"].initial["occurred_at"] == expected
    assert f'value="{expected}"' in response.content.decode()


def test_the_form_reads_its_staff_lists_in_a_few_queries(
    world: World, signed_in: Any, django_assert_max_num_queries: Any
) -> None:
    for n in range(12):
        staff = make_staff(f"t-bht-{n}", [RoleCode.BHT], [world.unit_a])
        if n % 2:
            on_shift(world, staff, kind="lead")
    bht = signed_in("bht")
    with django_assert_max_num_queries(20) as queries:
        bht.get(reverse(NEW))
    many = len(queries.captured_queries)
    for n in range(12, 24):
        make_staff(f"t-bht-{n}", [RoleCode.BHT], [world.unit_b])
    with django_assert_max_num_queries(many):
        bht.get(reverse(NEW))
