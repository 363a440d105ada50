"""atomic_or_conflict: a write that breaks a unique constraint is rolled back and answered as a
Conflict; anything else passes through unchanged. replayed: a write sent again under its client
id gets the first record; a key already used for another record is a Conflict."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import pytest
from django.core.exceptions import ValidationError

from pillars.core import clock
from pillars.core.errors import Conflict
from pillars.core.roles import RoleCode
from pillars.core.writes import atomic_or_conflict, replayed
from pillars.people.models import Organization, Site
from pillars.people.testing import World
from pillars.workforce.models.recognition import Recognition

pytestmark = pytest.mark.django_db


def test_a_clash_is_rolled_back_and_answered_as_a_conflict() -> None:
    org = Organization.objects.create(name="Riverbend")
    first = Site.objects.create(organization=org, name="North")

    def clash() -> None:
        with atomic_or_conflict("Taken a moment ago."):
            Site.objects.create(organization=org, name="South")
            Site.objects.create(organization=org, name="Again", public_id=first.public_id)

    with pytest.raises(Conflict) as caught:
        clash()
    assert caught.value.message == "Taken a moment ago."
    assert list(Site.objects.filter(organization=org).values_list("name", flat=True)) == ["North"]


def test_a_write_without_a_clash_is_kept_and_other_errors_pass_through() -> None:
    org = Organization.objects.create(name="Riverbend")
    with atomic_or_conflict("Taken a moment ago."):
        Site.objects.create(organization=org, name="North")

    def refused() -> None:
        with atomic_or_conflict("Taken a moment ago."):
            Site.objects.create(organization=org, name="South")
            raise ValidationError("Say why.")

    with pytest.raises(ValidationError):
        refused()
    assert list(Site.objects.filter(organization=org).values_list("name", flat=True)) == ["North"]


def _recognition(world: World) -> Recognition:
    return Recognition.objects.create(
        given_by=world.staff[RoleCode.NURSE],
        given_to=world.staff[RoleCode.SUPERVISOR],
        message="Thank you.",
        given_at=clock.now(),
        client_id=uuid4(),
    )


def test_no_key_or_an_unused_key_is_a_first_write(
    world: World, django_assert_num_queries: Any
) -> None:
    _recognition(world)
    with django_assert_num_queries(0):
        assert replayed(Recognition, None, {"given_by_id": -1}, "Taken.") is None
    assert replayed(Recognition, uuid4(), {"given_by_id": -1}, "Taken.") is None


def test_a_replay_of_the_same_record_returns_the_first(
    world: World, django_assert_num_queries: Any
) -> None:
    first = _recognition(world)
    nurse = world.staff[RoleCode.NURSE]
    by_nurse = {"given_by_id": nurse.pk, "message": first.message}
    assert replayed(Recognition, first.client_id, by_nurse, "Taken.") == first
    rows = Recognition.objects.select_related("given_to")
    found = replayed(rows, first.client_id, by_nurse, "Taken.")
    assert found == first
    assert found is not None
    with django_assert_num_queries(0):  # the queryset's select_related came along
        assert found.given_to == world.staff[RoleCode.SUPERVISOR]


def test_a_key_used_for_another_record_is_a_conflict(world: World) -> None:
    first = _recognition(world)
    other = world.staff[RoleCode.SUPERVISOR]
    with pytest.raises(Conflict) as caught:
        replayed(
            Recognition,
            first.client_id,
            {"given_by_id": other.pk},
            "That key belongs to another recognition.",
        )
    assert caught.value.message == "That key belongs to another recognition."
    # Every field named must match: the same giver with other words is another record too.
    nurse = world.staff[RoleCode.NURSE]
    with pytest.raises(Conflict):
        replayed(Recognition, first.client_id, {"given_by_id": nurse.pk, "message": "No."}, "X")
