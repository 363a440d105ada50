"""The person page's own cards, as the view prepares them: the details (date of birth and age),
where the person is now (a unit with or without a bed, or a community program), and the
caseload (now and past, with their days)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from pillars.core import clock
from pillars.people import services
from pillars.people.choices import UnitKind
from pillars.people.models import CaseloadAssignment, Placement
from pillars.people.testing import World, make_unit

pytestmark = pytest.mark.django_db

CHICAGO = ZoneInfo("America/Chicago")
# 21:00 on 8 December in Chicago, already the 9th in UTC: the page's days are the unit's.
EVENING = datetime(2026, 12, 9, 3, 0, tzinfo=UTC)


def _page(client: Any, world: World) -> str:
    body: str = client.get(
        reverse("people:person-detail", args=[world.person_a.public_id])
    ).content.decode()
    return body


def _card(body: str, heading: str) -> str:
    return body[body.index(f'id="{heading}"') :].split("</section>")[0]


def test_details_show_the_date_of_birth_and_the_age_in_the_units_day(
    world: World, signed_in: Any
) -> None:
    person = world.person_a
    person.date_of_birth = date(1990, 12, 9)  # a birthday the unit has not reached yet
    person.save()
    with time_machine.travel(EVENING, tick=False):
        details = _card(_page(signed_in("nurse"), world), "h-details")
    assert "<dt>Date of birth</dt><dd>1990-12-09 (age 35)</dd>" in details


def test_where_they_are_now_on_a_unit_with_and_without_a_bed(world: World, signed_in: Any) -> None:
    placement = Placement.objects.get(episode__person=world.person_a, ended_at__isnull=True)
    assert placement.bed is not None
    client = signed_in("nurse")
    now = _card(_page(client, world), "h-now")
    since = clock.local(placement.started_at, CHICAGO)
    admitted = clock.local(placement.episode.admitted_at, CHICAGO)
    assert f"<dt>Unit</dt><dd>{world.unit_a.name}</dd>" in now
    assert f"<dt>Bed</dt><dd>{placement.bed}</dd>" in now
    assert f"<dt>Here since</dt><dd>{since:%Y-%m-%d %H:%M}</dd>" in now
    assert f"<dt>Admitted</dt><dd>{admitted:%Y-%m-%d %H:%M}</dd>" in now

    Placement.objects.filter(pk=placement.pk).update(bed=None)
    body = _page(client, world)
    assert "<dt>Bed</dt><dd>No bed</dd>" in _card(body, "h-now")
    stays = _card(body, "h-episodes")
    assert "<td>No bed</td>" in stays
    assert f"<td>{since:%Y-%m-%d %H:%M} {since.tzname()}</td>" in stays


def test_where_they_are_now_in_a_community_program(world: World, signed_in: Any) -> None:
    center, _ = make_unit(world.site, "rcc", kind=UnitKind.COMMUNITY, beds=0)
    world.staff["nurse"].home_units.add(center)
    episode = world.person_a.episodes.get()
    services.discharge_person(episode, actor=world.user("nurse"), disposition="home")
    services.admit_person(world.person_a, actor=world.user("nurse"), unit=center)
    now = _card(_page(signed_in("nurse"), world), "h-now")
    assert f"<dt>Program</dt><dd>{center.name} (participant)</dd>" in now
    assert "<dt>Enrolled since</dt>" in now
    assert "<dt>Episode began</dt>" in now
    assert "<dt>Bed</dt>" not in now


def test_not_admitted(world: World, signed_in: Any) -> None:
    episode = world.person_a.episodes.get()
    services.discharge_person(episode, actor=world.user("nurse"), disposition="home")
    # The nurse keeps the person in scope through a caseload.
    CaseloadAssignment.objects.create(
        staff=world.staff["nurse"],
        person=world.person_a,
        kind="clinician",
        started_on=date(2020, 1, 1),
    )
    body = _page(signed_in("nurse"), world)
    assert "Not admitted" in _card(body, "h-now")
    assert reverse("people:person-admit", args=[world.person_a.public_id]) in body
    assert reverse("people:person-transfer", args=[world.person_a.public_id]) not in body


def test_the_caseload_now_and_past_with_their_days(world: World, signed_in: Any) -> None:
    today = date(2026, 12, 8)  # in Chicago
    peer, clinician = world.staff["peer"], world.staff["clinician"]
    active = CaseloadAssignment.objects.create(
        staff=peer, person=world.person_a, kind="peer", started_on=today - timedelta(days=3)
    )
    CaseloadAssignment.objects.create(
        staff=clinician,
        person=world.person_a,
        kind="clinician",
        started_on=date(2026, 1, 2),
        ended_on=date(2026, 2, 3),
    )
    # Starts tomorrow: not on the caseload now, and open (no end to show).
    CaseloadAssignment.objects.create(
        staff=clinician, person=world.person_a, kind="case_manager", started_on=today + timedelta(1)
    )
    with time_machine.travel(EVENING, tick=False):
        caseload = _card(_page(signed_in("nurse"), world), "h-caseload")
    now, past = caseload.split("<details>")
    assert f"<td>{peer.display_name}</td>\n        <td>Peer support</td>\n" in now
    assert "<td>2026-12-05</td>" in now
    end = reverse("people:caseload-end", args=[active.public_id])
    assert f'action="{end}"' in now
    assert f'End assignment<span class="visually-hidden"> of {peer.display_name}</span>' in now
    assert "Past assignments (2)" in past
    assert f"<li>{clinician.display_name}, Clinician: 2026-01-02 to 2026-02-03</li>" in past
    assert f"<li>{clinician.display_name}, Case manager: 2026-12-09 to —</li>" in past

    # A reader who may not assign sees the rows without the end button.
    caseload = _card(_page(signed_in("bht"), world), "h-caseload")
    assert peer.display_name in caseload
    assert "End assignment" not in caseload


def test_the_toolbar_and_caseload_link_to_the_persons_own_pages(
    world: World, signed_in: Any
) -> None:
    body = _page(signed_in("nurse"), world)
    person = world.person_a.public_id
    for action, route in (
        ("Edit details", "person-edit"),
        ("Transfer", "person-transfer"),
        ("Discharge", "person-discharge"),
        ("Add to a caseload", "caseload-assign"),
    ):
        assert f'href="{reverse(f"people:{route}", args=[person])}">{action}</a>' in body
    assert reverse("people:person-admit", args=[person]) not in body
