"""atomic_or_conflict: a write that breaks a unique constraint is rolled back and answered as a
Conflict; anything else passes through unchanged."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from pillars.core.errors import Conflict
from pillars.core.writes import atomic_or_conflict
from pillars.people.models import Organization, Site

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
