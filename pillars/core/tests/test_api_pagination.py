"""Cursor pagination: stable pages, opaque cursors, bounded limits."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError

from pillars.core.pagination import PageParams, paginate
from pillars.core.tests.api_support import api_as, assert_problem
from pillars.people.models import PersonServed
from pillars.people.testing import World, make_person, place
from pillars.recovery.services import referrals as referral_services

pytestmark = pytest.mark.django_db


@pytest.fixture
def crowd(world: World) -> list[PersonServed]:
    """Eight more persons on unit A, four of them with exactly the same name (ties)."""
    people = []
    for i in range(8):
        family = "Same" if i < 4 else f"Family{i}"
        person = make_person(f"MRN-P{i}", family)
        place(person, world.unit_a, None, world.staff["nurse"])
        people.append(person)
    return people


def _walk(client: Any, limit: int) -> list[list[str]]:
    pages, cursor = [], None
    while True:
        params: dict[str, Any] = {"limit": limit}
        if cursor:
            params["cursor"] = cursor
        body = client.get("/persons", params).json()
        pages.append([p["record_number"] for p in body["items"]])
        cursor = body["next_cursor"]
        if cursor is None:
            return pages


def test_pages_cover_every_row_once_in_order(world: World, crowd: list[PersonServed]) -> None:
    client = api_as(world.user("nurse"))
    pages = _walk(client, 3)
    assert [len(page) for page in pages] == [3, 3, 3]
    flat = [n for page in pages for n in page]
    everything = client.get("/persons", {"limit": 100}).json()["items"]
    assert flat == [p["record_number"] for p in everything]
    assert len(set(flat)) == 9


def test_ties_in_the_sort_key_are_broken_by_public_id(
    world: World, crowd: list[PersonServed]
) -> None:
    qs = PersonServed.objects.filter(legal_family_name="Same")
    first = paginate(
        qs, PageParams(cursor=None, limit=2), order=("legal_family_name", "legal_given_name")
    )
    assert first.next_cursor
    second = paginate(
        qs,
        PageParams(limit=2, cursor=first.next_cursor),
        order=("legal_family_name", "legal_given_name"),
    )
    assert second.next_cursor is None
    seen = [p.pk for p in first.items + second.items]
    assert sorted(seen) == sorted(p.pk for p in crowd[:4])


def test_a_row_added_behind_the_cursor_does_not_shift_the_next_page(
    world: World, crowd: list[PersonServed]
) -> None:
    client = api_as(world.user("nurse"))
    first = client.get("/persons", {"limit": 4}).json()
    place(make_person("MRN-EARLY", "Aaron"), world.unit_a, None, world.staff["nurse"])
    rest = client.get("/persons", {"limit": 100, "cursor": first["next_cursor"]}).json()
    names = [p["record_number"] for p in first["items"] + rest["items"]]
    assert "MRN-EARLY" not in names
    assert len(names) == len(set(names)) == 9


@pytest.mark.parametrize("cursor", ["garbage", "eyJhIjoxfQ", "WyJ4Il0:1abc:def"])
def test_a_forged_cursor_is_422(world: World, cursor: str) -> None:
    body = assert_problem(api_as(world.user("nurse")).get("/persons", {"cursor": cursor}), 422)
    assert "cursor" in body["errors"]


def test_a_cursor_from_another_list_is_refused(world: World, crowd: list[PersonServed]) -> None:
    client = api_as(world.user("nurse"))
    staff_cursor = client.get("/staff", {"limit": 1}).json()["next_cursor"]
    assert staff_cursor
    assert_problem(client.get("/persons", {"cursor": staff_cursor}), 422)


def test_a_cursor_from_another_list_of_the_same_shape_is_refused_by_name(world: World) -> None:
    """A staff list's cursor (a name and an id) handed to the referrals list (a moment and an
    id): refused as a bad cursor, not read as a moment (an error naming no field) nor used to
    start another list's page at a foreign row."""
    client = api_as(world.user("director"))
    for n in range(2):
        referral_services.log_outside(
            world.person_a, actor=world.user("peer"), organization=f"Org {n}", reason="housing"
        )
    staff_cursor = client.get("/staff", {"limit": 1}).json()["next_cursor"]
    referral_cursor = client.get("/referrals", {"limit": 1}).json()["next_cursor"]
    assert staff_cursor
    assert referral_cursor
    for path, cursor in (("/referrals", staff_cursor), ("/encounters", referral_cursor)):
        body = assert_problem(client.get(path, {"cursor": cursor}), 422)
        assert "cursor" in body["errors"], body


@pytest.mark.parametrize("limit", [0, 101, -5])
def test_limit_is_bounded(world: World, limit: int) -> None:
    body = assert_problem(api_as(world.user("nurse")).get("/persons", {"limit": limit}), 422)
    assert "limit" in body["errors"]


def test_default_limit_is_fifty(world: World) -> None:
    for i in range(55):
        place(make_person(f"MRN-D{i:02d}", f"D{i:02d}"), world.unit_a, None, world.staff["nurse"])
    body = api_as(world.user("nurse")).get("/persons").json()
    assert len(body["items"]) == 50
    assert body["next_cursor"]


def test_paginate_raises_a_field_error_for_bad_cursors(db: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        paginate(
            PersonServed.objects.all(),
            PageParams(cursor="nope", limit=50),
            order=("record_number",),
        )
    assert "cursor" in caught.value.message_dict


def test_a_descending_order_is_refused_on_the_first_page(world: Any) -> None:
    """The cursor reads "after the last row": a descending field would page wrongly and fail on
    the second page, so paginate refuses it at once."""
    with pytest.raises(ValueError, match="ascending"):
        paginate(
            PersonServed.objects.all(), PageParams(cursor=None, limit=10), order=("-created_at",)
        )
