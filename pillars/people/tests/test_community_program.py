"""A community program: participants are enrolled with no bed, its census lists participants
without a bed column, and the rounds board is not offered for it (a clear message instead)."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from pillars.audit.models import AuditEvent
from pillars.people import forms, services
from pillars.people.choices import UnitKind
from pillars.people.models import Placement, Unit
from pillars.people.testing import World, make_unit

pytestmark = pytest.mark.django_db


@pytest.fixture
def center(world: World) -> Unit:
    unit, beds = make_unit(world.site, "rcc", kind=UnitKind.COMMUNITY, beds=0)
    assert beds == []
    for role in ("nurse", "peer", "bht"):
        world.staff[role].home_units.add(unit)
    return unit


def test_enrolment_needs_no_bed(world: World, center: Unit) -> None:
    episode = world.person_a.episodes.get()
    services.discharge_person(episode, actor=world.user("nurse"), disposition="home")
    enrolled = services.admit_person(world.person_a, actor=world.user("nurse"), unit=center)
    placement = Placement.objects.get(episode=enrolled, ended_at__isnull=True)
    assert placement.unit == center
    assert placement.bed is None
    event = AuditEvent.objects.filter(object_id=str(enrolled.public_id)).order_by("-seq").first()
    assert event is not None
    assert event.detail["unit"] == "rcc"
    assert event.detail["bed"] is None


def test_the_place_choice_says_enrol_and_offers_no_bed(world: World, center: Unit) -> None:
    choices = dict(forms.placement_choices([world.unit_a, center], world.beds_a))
    assert choices[center.name] == [(str(center.public_id), f"{center.name}: enrol (no bed)")]
    assert len(choices[world.unit_a.name]) == 1 + len(world.beds_a)


def test_enrol_page_and_census_wording(world: World, center: Unit, signed_in: Any) -> None:
    client = signed_in("nurse")
    done = client.post(
        reverse("people:person-create"),
        {
            "record_number": "MRN-C1",
            "legal_given_name": "Sam",
            "legal_family_name": "Okoro",
            "date_of_birth": "1984-03-02",
            "place": str(center.public_id),
        },
        follow=True,
    )
    assert done.status_code == 200
    assert b"is registered and is enrolled in Unit RCC" in done.content
    census = client.get(reverse("people:unit-detail", args=[center.public_id])).content.decode()
    assert "Participants enrolled now" in census
    assert "1</strong> participant enrolled" in census
    assert "Sam Okoro" in census
    assert '<th scope="col">Bed</th>' not in census
    assert "free bed" not in census
    # A unit with beds keeps its census wording.
    ward = client.get(reverse("people:unit-detail", args=[world.unit_a.public_id])).content
    assert b"Census now" in ward
    assert b'<th scope="col">Bed</th>' in ward


def test_the_board_is_not_offered_for_a_community_program(
    world: World, center: Unit, signed_in: Any
) -> None:
    client = signed_in("nurse")
    listing = client.get(reverse("rounds:board-list")).content.decode()
    assert "Unit RCC board" not in listing
    assert "Unit A board" in listing
    for name in ("rounds:board", "rounds:round"):
        answer = client.get(reverse(name, args=[center.public_id]), follow=True)
        assert answer.redirect_chain[-1][0] == reverse(
            "people:unit-detail", args=[center.public_id]
        )
        assert b"has no unit board" in answer.content
    home = client.get(reverse("core:home")).content.decode()
    assert "No board: a community program" in home
