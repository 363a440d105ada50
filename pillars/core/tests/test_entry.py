"""The one entry shape: get_for (404 out of scope, 403 not allowed), output schemas read off
records (core.entry.Out), and form_write's answers."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

import pytest
from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.template import TemplateDoesNotExist
from django.test import RequestFactory
from pydantic import ValidationError as SchemaError

from pillars.core.entry import Out, get_for, public_id_of
from pillars.core.formtools import form_write
from pillars.people.models import Episode, Unit
from pillars.people.testing import World


def test_public_id_of_refuses_what_is_not_a_uuid() -> None:
    key = uuid4()
    assert public_id_of(key) is key
    assert public_id_of(str(key)) == key
    with pytest.raises(Http404):
        public_id_of("1 OR 1=1")


def test_get_for_answers_the_record_404_or_403(world: World) -> None:
    bht = world.user("bht")
    assert get_for(Unit, bht, world.unit_a.public_id, "people.view_unit") == world.unit_a
    # Out of scope, unknown and malformed ids answer alike: as if nothing were there.
    for key in (world.unit_b.public_id, uuid4(), "not-an-id"):
        with pytest.raises(Http404):
            get_for(Unit, bht, key, "people.view_unit")
    # Visible but not the actor's to do.
    with pytest.raises(PermissionDenied):
        get_for(Unit, bht, world.unit_a.public_id, "people.edit_unit")
    assert get_for(Unit, world.user("admin"), world.unit_a.public_id, "people.edit_unit")


def test_get_for_decides_on_the_record_via_names(world: World) -> None:
    episode = Episode.objects.filter(person=world.person_b).get()
    rows = Episode.objects.select_related("person")
    found = get_for(rows, world.user("outsider"), episode.public_id, "people.view_person")
    assert found == episode
    # The policy asked about the episode's person: one the BHT of the other unit cannot see.
    with pytest.raises(Http404):
        get_for(
            rows,
            world.user("bht"),
            episode.public_id,
            "people.view_person",
            via=lambda e: e.person,
        )


class UnitRef(Out):
    public_id: UUID
    name: str
    site: UUID
    seen_at: datetime | None = None

    @staticmethod
    def resolve_seen_at(unit: Unit, context: dict[str, Any]) -> datetime | None:
        return context.get("now")


class LeakyUnit(Out):
    public_id: UUID
    site_id: UUID  # the integer key under that name: refused, never sent


def test_out_reads_fields_and_names_records_by_public_id(world: World) -> None:
    now = datetime.fromisoformat("2025-03-09T10:00:00+00:00")
    made = UnitRef.of(world.unit_a, now=now)
    assert made.model_dump() == {
        "public_id": world.unit_a.public_id,
        "name": world.unit_a.name,
        "site": world.site.public_id,
        "seen_at": now,
    }
    # An answer validated again (as the API's response does) stays as it was made.
    assert UnitRef.model_validate(made) == made
    with pytest.raises(SchemaError):
        LeakyUnit.of(world.unit_a)


class PlacementRef(Out):
    """A placement with names read through its links (``paths``)."""

    paths = {"unit_name": "unit.name", "site_name": "unit.site.name", "bed_label": "bed.label"}

    public_id: UUID
    unit_name: str
    site_name: str
    bed_label: str | None


def test_out_paths_follow_links_and_a_missing_link_reads_as_none(world: World) -> None:
    from pillars.people.models import Placement

    placement = Placement.objects.select_related("unit__site", "bed").filter(bed__isnull=True)
    placed = placement.filter(unit=world.unit_a).first() or Placement(
        unit=world.unit_a, public_id=uuid4()
    )
    made = PlacementRef.of(placed)
    assert made.unit_name == world.unit_a.name
    assert made.site_name == world.site.name
    assert made.bed_label is None
    # A schema made by hand takes its values as given: paths are not followed.
    by_hand = PlacementRef(public_id=placed.public_id, unit_name="A", site_name="B", bed_label="3")
    assert (by_hand.unit_name, by_hand.site_name, by_hand.bed_label) == ("A", "B", "3")


class NameForm(forms.Form):
    name = forms.CharField(max_length=10)


def _post(data: dict[str, str]) -> Any:
    request = RequestFactory().post("/", data)
    request.session = {}  # type: ignore[assignment]
    request._messages = []  # type: ignore[attr-defined]
    return request


def test_form_write_writes_once_and_builds_the_page_only_when_shown() -> None:
    built: list[str] = []

    def context() -> dict[str, Any]:
        built.append("page")
        return {}

    written: list[str] = []

    def write(data: dict[str, Any]) -> str:
        if data["name"] == "taken":
            raise ValidationError({"name": ["Someone has that name."]})
        written.append(data["name"])
        return data["name"]

    form = NameForm({"name": "Ada"})
    answer = form_write(
        _post({"name": "Ada"}), form, "x.html", context, write, lambda r: HttpResponse(r)
    )
    assert answer.content == b"Ada"
    assert written == ["Ada"]
    assert built == []

    refused = NameForm({"name": "taken"})
    with pytest.raises(TemplateDoesNotExist):  # the refusal re-shows the page (none here)
        form_write(_post({"name": "taken"}), refused, "x.html", context, write, HttpResponse)
    # The service's refusal is on the form's field, and only then was the page built.
    assert refused.errors["name"] == ["Someone has that name."]
    assert written == ["Ada"]
    assert built == ["page"]
