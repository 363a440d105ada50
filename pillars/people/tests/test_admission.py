"""Admission by record number: a person who is on no unit (registered earlier, or discharged and
now returning) is found by exact record number and admitted, without widening who may browse
discharged people's records."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import reverse

from pillars.audit.choices import Action, Outcome, Purpose
from pillars.audit.models import AuditEvent
from pillars.core import clock
from pillars.core.idempotency import REPLAYED_HEADER
from pillars.core.tests.api_support import ApiClient, api_as, assert_problem
from pillars.people import selectors, services
from pillars.people.models import Episode, PersonServed, Placement
from pillars.people.testing import World, make_person, make_staff

pytestmark = pytest.mark.django_db

PAGE = reverse("people:admission")
LOOKUP = {"object_id": "admission lookup", "action": Action.SEARCH}


@pytest.fixture
def returning(world: World) -> PersonServed:
    """A person discharged from unit B three weeks ago: on nobody's unit now."""
    person = make_person("MRN-R1", "Returning")
    person.preferred_name = "Jo"
    person.save()
    admitted = clock.now() - timedelta(days=30)
    episode = Episode.objects.create(
        person=person,
        admitted_at=admitted,
        admitted_by=world.staff["nurse"],
        recorded_at=admitted,
        discharged_at=admitted + timedelta(days=9),
        disposition="home",
    )
    Placement.objects.create(
        episode=episode,
        unit=world.unit_b,
        bed=world.beds_b[1],
        started_at=admitted,
        ended_at=admitted + timedelta(days=9),
    )
    return person


def lookups() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(**LOOKUP).order_by("seq"))


def detail(person: PersonServed) -> str:
    return reverse("people:person-detail", args=[person.public_id])


def place(world: World, index: int) -> str:
    return f"{world.unit_a.public_id}:{world.beds_a[index].public_id}"


# --- The selector and the service ------------------------------------------------------------


def test_nurse_readmits_a_discharged_person_to_their_unit(
    world: World, returning: PersonServed
) -> None:
    nurse = world.user("nurse")
    with pytest.raises(Http404):  # scope follows the unit: the person is on none
        selectors.get_person_for(nurse, returning.public_id, "people.admit")

    found = selectors.find_for_admission(nurse, "  MRN-R1 ")
    assert found == returning
    episode = services.admit_person(found, actor=nurse, unit=world.unit_a, bed=world.beds_a[1])

    assert episode.person == returning
    assert episode.is_open
    assert episode.admitted_by == world.staff["nurse"]
    placement = Placement.objects.get(episode=episode)
    assert (placement.unit, placement.bed, placement.ended_at) == (
        world.unit_a,
        world.beds_a[1],
        None,
    )
    assert Episode.objects.filter(person=returning).count() == 2
    [lookup] = lookups()
    assert (lookup.actor, lookup.person_id, lookup.outcome) == (
        nurse,
        returning.public_id,
        Outcome.SUCCESS,
    )
    assert lookup.purpose == Purpose.TREATMENT
    assert lookup.detail["what"] == "admission lookup"
    assert lookup.detail["record_number"] == "MRN-R1"
    created = AuditEvent.objects.get(action=Action.CREATE, object_id=str(episode.public_id))
    assert created.person_id == returning.public_id
    assert created.detail["event"] == "admit"
    assert created.detail["unit"] == "a"
    # Now on the nurse's unit, the record is in scope the ordinary way.
    assert selectors.get_person_for(nurse, returning.public_id) == returning


def test_lookup_of_someone_admitted_now_gives_nobody(world: World) -> None:
    nurse = world.user("nurse")
    assert selectors.find_for_admission(nurse, "MRN-B1") is None
    elsewhere = selectors.lookup_for_admission(nurse, "MRN-B1")
    assert (elsewhere.person, elsewhere.already_yours, elsewhere.admitted_elsewhere) == (
        None,
        None,
        True,
    )
    own = selectors.lookup_for_admission(nurse, "MRN-A1")
    assert (own.person, own.already_yours) == (None, world.person_a)
    # Both lookups are on the record with the person they named.
    assert [e.person_id for e in lookups()[-2:]] == [
        world.person_b.public_id,
        world.person_a.public_id,
    ]
    assert all(e.detail["admitted_now"] for e in lookups())


def test_lookup_is_exact_and_audited_when_nothing_is_found(
    world: World, returning: PersonServed
) -> None:
    nurse = world.user("nurse")
    # As stored: no case folding, no partial match, no names.
    for typed in ("mrn-r1", "MRN-R", "Returning", ""):
        assert selectors.find_for_admission(nurse, typed) is None
    events = lookups()
    assert len(events) == 4
    for event in events:
        assert event.person_id is None
        assert event.outcome == Outcome.SUCCESS
        assert event.purpose == Purpose.TREATMENT
        assert event.detail["what"] == "admission lookup"
        assert event.detail["found"] is False
    assert events[0].detail["record_number"] == "mrn-r1"


@pytest.mark.parametrize("role", ["bht", "peer", "supervisor", "director", "privacy", "admin"])
def test_roles_without_admit_cannot_look_up(
    world: World, returning: PersonServed, role: str
) -> None:
    with pytest.raises(PermissionDenied):
        selectors.find_for_admission(world.user(role), "MRN-R1")
    assert lookups() == []


# --- The page -------------------------------------------------------------------------------


def test_the_whole_page_flow(world: World, signed_in: Any, returning: PersonServed) -> None:
    client = signed_in("nurse")
    assert client.get(detail(returning)).status_code == 404

    start = client.get(PAGE)
    assert start.status_code == 200
    assert 'name="record_number"' in start.content.decode()
    assert lookups() == []

    confirm = client.post(PAGE, {"record_number": "MRN-R1"})
    body = confirm.content.decode()
    assert confirm.status_code == 200
    # Only enough to confirm identity: name they use, legal name, date of birth.
    assert "Jo Returning" in body
    assert "Alex Returning" in body
    assert "1990-05-17" in body
    assert "Unit B" not in body  # where they were before is not shown
    assert str(returning.public_id) not in body
    assert f'value="{world.unit_a.public_id}:{world.beds_a[1].public_id}"' in body
    assert str(world.beds_a[0].public_id) not in body  # occupied by person A
    assert str(world.unit_b.public_id) not in body  # not the nurse's unit
    assert not Episode.objects.filter(person=returning, discharged_at__isnull=True).exists()

    done = client.post(
        PAGE, {"record_number": "MRN-R1", "place": place(world, 1), "admitted_at": ""}
    )
    assert done.status_code == 302
    assert done["Location"] == detail(returning)
    episode = Episode.objects.get(person=returning, discharged_at__isnull=True)
    assert episode.placements.get().bed == world.beds_a[1]
    record = client.get(detail(returning))
    assert record.status_code == 200
    assert "is admitted to Unit A" in record.content.decode()
    assert len(lookups()) == 2  # the confirmation and the admission each looked up


def test_admitted_at_is_read_in_the_unit_zone(
    world: World, signed_in: Any, returning: PersonServed
) -> None:
    moment = (clock.now() - timedelta(hours=2)).replace(second=0, microsecond=0)
    local = clock.local(moment, world.unit_a.time_zone)
    response = signed_in("clinician").post(
        PAGE,
        {
            "record_number": "MRN-R1",
            "place": str(world.unit_a.public_id),
            "admitted_at": local.strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert response.status_code == 302
    episode = Episode.objects.get(person=returning, discharged_at__isnull=True)
    assert episode.admitted_at == moment
    assert episode.placements.get().bed is None


def test_page_refuses_someone_admitted_elsewhere_without_naming_the_unit(
    world: World, signed_in: Any
) -> None:
    response = signed_in("nurse").post(PAGE, {"record_number": "MRN-B1"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "currently admitted elsewhere; ask that unit to transfer them" in body
    assert "Unit B" not in body
    assert "Okafor" not in body
    assert 'name="place"' not in body


def test_page_sends_someone_on_your_unit_to_their_record(world: World, signed_in: Any) -> None:
    response = signed_in("nurse").post(PAGE, {"record_number": "MRN-A1"})
    assert response["Location"] == detail(world.person_a)


def test_page_says_plainly_when_nobody_has_the_number(world: World, signed_in: Any) -> None:
    response = signed_in("nurse").post(PAGE, {"record_number": "Rivera"})
    assert response.status_code == 200
    assert "No person served has that record number." in response.content.decode()
    [event] = lookups()
    assert event.detail["record_number"] == "Rivera"
    assert event.person_id is None


@pytest.mark.parametrize("role", ["bht", "outsider", "peer", "director", "admin"])
def test_page_refuses_roles_without_admit(
    world: World, signed_in: Any, returning: PersonServed, role: str
) -> None:
    client = signed_in(role)
    assert client.get(PAGE).status_code == 403
    response = client.post(PAGE, {"record_number": "MRN-R1", "place": place(world, 1)})
    assert response.status_code == 403
    assert "Returning" not in response.content.decode()
    assert lookups() == []
    assert not Episode.objects.filter(person=returning, discharged_at__isnull=True).exists()


def test_page_without_a_unit_to_admit_to_looks_nothing_up(
    world: World, returning: PersonServed
) -> None:
    from django.test import Client

    staff = make_staff("t-floating-nurse", ["nurse"], [])
    client = Client()
    client.force_login(staff.user)
    response = client.post(PAGE, {"record_number": "MRN-R1"})
    assert response.status_code == 200
    assert "You are not on a unit that takes admissions." in response.content.decode()
    assert "Returning" not in response.content.decode()
    assert lookups() == []


@pytest.mark.parametrize(
    ("choice", "field_error"),
    [
        ("other unit's bed", "Select a valid choice"),
        ("occupied bed", "Select a valid choice"),
    ],
)
def test_page_refuses_a_bed_that_is_not_free_on_the_unit(
    world: World, signed_in: Any, returning: PersonServed, choice: str, field_error: str
) -> None:
    bed = world.beds_b[2] if choice == "other unit's bed" else world.beds_a[0]
    value = f"{world.unit_a.public_id}:{bed.public_id}"
    response = signed_in("nurse").post(PAGE, {"record_number": "MRN-R1", "place": value})
    body = response.content.decode()
    assert response.status_code == 200
    assert field_error in body
    assert "Jo Returning" in body  # still confirming the same person
    assert not Episode.objects.filter(person=returning, discharged_at__isnull=True).exists()


def test_page_refuses_a_bed_taken_a_moment_ago(
    world: World, signed_in: Any, returning: PersonServed
) -> None:
    client = signed_in("nurse")
    client.post(PAGE, {"record_number": "MRN-R1"})  # the form offered bed A1
    other = make_person("MRN-X1", "Other")
    services.admit_person(
        other, actor=world.user("clinician"), unit=world.unit_a, bed=world.beds_a[1]
    )
    response = client.post(PAGE, {"record_number": "MRN-R1", "place": place(world, 1)})
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not Episode.objects.filter(person=returning, discharged_at__isnull=True).exists()


def test_page_refuses_an_admission_in_the_future(
    world: World, signed_in: Any, returning: PersonServed
) -> None:
    later = clock.local(clock.now() + timedelta(hours=3), world.unit_a.time_zone)
    response = signed_in("nurse").post(
        PAGE,
        {
            "record_number": "MRN-R1",
            "place": place(world, 1),
            "admitted_at": later.strftime("%Y-%m-%dT%H:%M"),
        },
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "The time cannot be in the future." in body
    assert "Nothing was saved" in body
    assert not Episode.objects.filter(person=returning, discharged_at__isnull=True).exists()


def test_page_refuses_an_admission_before_the_last_discharge(
    world: World, signed_in: Any, returning: PersonServed
) -> None:
    early = clock.local(clock.now() - timedelta(days=25), world.unit_a.time_zone)
    response = signed_in("nurse").post(
        PAGE,
        {
            "record_number": "MRN-R1",
            "place": str(world.unit_a.public_id),
            "admitted_at": early.strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert "The admission is before the last discharge." in response.content.decode()
    assert not Episode.objects.filter(person=returning, discharged_at__isnull=True).exists()


def test_links_to_the_page(world: World, signed_in: Any) -> None:
    link = f'href="{PAGE}"'
    assert link in signed_in("nurse").get(reverse("people:person-list")).content.decode()
    assert link in signed_in("clinician").get(reverse("people:person-list")).content.decode()
    assert link not in signed_in("bht").get(reverse("people:person-list")).content.decode()
    home = signed_in("nurse").get(reverse("core:home")).content.decode()
    assert "Admit a returning person" in home
    assert link in home
    assert link not in signed_in("bht").get(reverse("core:home")).content.decode()


# --- The API --------------------------------------------------------------------------------


@pytest.fixture
def nurse(world: World) -> ApiClient:
    return api_as(world.user("nurse"))


def body(world: World, **extra: Any) -> dict[str, Any]:
    return {"record_number": "MRN-R1", "unit": str(world.unit_a.public_id), **extra}


def test_api_admits_a_returning_person(
    world: World, nurse: ApiClient, returning: PersonServed
) -> None:
    response = nurse.post("/admissions", body(world, bed=str(world.beds_a[1].public_id)))
    assert response.status_code == 201, response.content
    answer = response.json()
    episode = Episode.objects.get(public_id=answer["public_id"])
    assert episode.person == returning
    assert episode.is_open
    assert answer["person_id"] == str(returning.public_id)
    assert answer["placement"]["unit"]["code"] == "a"
    assert answer["placement"]["bed"]["public_id"] == str(world.beds_a[1].public_id)
    [lookup] = lookups()
    assert lookup.person_id == returning.public_id
    assert lookup.detail["channel"] == "api"
    # The ordinary record route now answers for this nurse.
    assert nurse.get(f"/persons/{returning.public_id}").status_code == 200


def test_api_answers_404_alike_for_nobody_and_someone_admitted(
    world: World, nurse: ApiClient
) -> None:
    admitted = assert_problem(nurse.post("/admissions", body(world, record_number="MRN-B1")), 404)
    nobody = assert_problem(nurse.post("/admissions", body(world, record_number="MRN-ZZ")), 404)
    assert admitted == nobody
    assert "Okafor" not in json.dumps(admitted)
    assert [e.detail["record_number"] for e in lookups()] == ["MRN-B1", "MRN-ZZ"]


def test_api_lookup_stays_audited_when_an_idempotent_write_rolls_back(
    world: World, nurse: ApiClient, returning: PersonServed
) -> None:
    key = {"Idempotency-Key": str(uuid.uuid4())}
    assert_problem(nurse.post("/admissions", body(world, record_number="MRN-ZZ"), headers=key), 404)
    key = {"Idempotency-Key": str(uuid.uuid4())}
    occupied = body(world, bed=str(world.beds_a[0].public_id))
    assert_problem(nurse.post("/admissions", occupied, headers=key), 422)
    events = lookups()
    assert [e.detail["record_number"] for e in events] == ["MRN-ZZ", "MRN-R1"]
    assert events[1].person_id == returning.public_id
    assert not Episode.objects.filter(person=returning, discharged_at__isnull=True).exists()


@pytest.mark.parametrize("role", ["bht", "outsider", "peer", "supervisor", "director", "admin"])
def test_api_refuses_roles_without_admit(world: World, returning: PersonServed, role: str) -> None:
    problem = assert_problem(api_as(world.user(role)).post("/admissions", body(world)), 403)
    assert "Returning" not in json.dumps(problem)
    assert lookups() == []


def test_api_refuses_bad_beds_units_and_times(
    world: World, nurse: ApiClient, returning: PersonServed
) -> None:
    other_unit_bed = body(world, bed=str(world.beds_b[2].public_id))
    assert "bed" in assert_problem(nurse.post("/admissions", other_unit_bed), 422)["errors"]
    occupied = body(world, bed=str(world.beds_a[0].public_id))
    errors = assert_problem(nurse.post("/admissions", occupied), 422)["errors"]
    assert "occupied" in errors["bed"][0]
    not_mine = body(world, unit=str(world.unit_b.public_id))
    assert "unit" in assert_problem(nurse.post("/admissions", not_mine), 422)["errors"]
    future = body(world, admitted_at=(clock.now() + timedelta(hours=1)).isoformat())
    errors = assert_problem(nurse.post("/admissions", future), 422)["errors"]
    assert errors["admitted_at"] == ["The time cannot be in the future."]
    naive = body(world, admitted_at="2024-01-01T10:00:00")
    assert "admitted_at" in assert_problem(nurse.post("/admissions", naive), 422)["errors"]
    assert not Episode.objects.filter(person=returning, discharged_at__isnull=True).exists()


def test_api_replay_returns_the_first_answer(
    world: World, nurse: ApiClient, returning: PersonServed
) -> None:
    key = {"Idempotency-Key": str(uuid.uuid4())}
    first = nurse.post("/admissions", body(world), headers=key)
    assert first.status_code == 201, first.content
    again = nurse.post("/admissions", body(world), headers=key)
    assert again.status_code == 201
    assert again[REPLAYED_HEADER] == "true"
    assert again.json() == first.json()
    assert Episode.objects.filter(person=returning).count() == 2  # the old one and this one
    assert (
        AuditEvent.objects.filter(action=Action.CREATE, person_id=returning.public_id).count() == 1
    )
    other = body(world, bed=str(world.beds_a[1].public_id))
    assert (
        "already used"
        in assert_problem(nurse.post("/admissions", other, headers=key), 409)["detail"]
    )
    # A new key for the same body is a new write: the person is admitted now, so 404.
    assert_problem(
        nurse.post("/admissions", body(world), headers={"Idempotency-Key": str(uuid.uuid4())}),
        404,
    )


def test_api_replay_with_client_id_in_the_body(
    world: World, nurse: ApiClient, returning: PersonServed
) -> None:
    payload = body(world, client_id=str(uuid.uuid4()))
    first = nurse.post("/admissions", payload)
    again = nurse.post("/admissions", payload)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert Episode.objects.filter(person=returning, discharged_at__isnull=True).count() == 1
