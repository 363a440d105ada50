"""The people API: persons served, episodes, units and census, staff; scope, audit, budgets."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pillars.audit.choices import Action, Outcome
from pillars.audit.models import AuditEvent
from pillars.core import clock
from pillars.core.tests.api_support import ApiClient, api_as, assert_problem
from pillars.people.choices import CaseloadKind
from pillars.people.models import CaseloadAssignment, Episode, PersonServed, Placement
from pillars.people.testing import World, make_person, make_staff, place

pytestmark = pytest.mark.django_db


def _no_integer_keys(value: Any) -> None:
    """Integer keys never leave the server: no "id"/"pk" fields anywhere in an answer."""
    if isinstance(value, dict):
        for key, item in value.items():
            assert key not in {"id", "pk"}, key
            assert not key.endswith("_pk"), key
            if key.endswith("_id") or key == "public_id":
                assert item is None or isinstance(item, str), (key, item)
            _no_integer_keys(item)
    elif isinstance(value, list):
        for item in value:
            _no_integer_keys(item)


@pytest.fixture
def nurse(world: World) -> ApiClient:
    return api_as(world.user("nurse"))


def _pa(world: World) -> PersonServed:
    assert world.person_a is not None
    return world.person_a


def _pb(world: World) -> PersonServed:
    assert world.person_b is not None
    return world.person_b


# --- Persons: list and read --------------------------------------------------------------------


def test_list_shows_only_persons_in_scope_and_is_audited(world: World, nurse: ApiClient) -> None:
    response = nurse.get("/persons")
    assert response.status_code == 200
    body = response.json()
    _no_integer_keys(body)
    assert [p["public_id"] for p in body["items"]] == [str(_pa(world).public_id)]
    assert body["next_cursor"] is None
    event = AuditEvent.objects.filter(action=Action.VIEW, object_id="api person list").get()
    assert event.actor == world.user("nurse")
    assert event.detail["person_ids"] == [str(_pa(world).public_id)]
    assert event.detail["channel"] == "api"


def test_outsider_sees_their_own_unit_only(world: World) -> None:
    body = api_as(world.user("outsider")).get("/persons").json()
    assert [p["public_id"] for p in body["items"]] == [str(_pb(world).public_id)]


def test_list_search_and_unit_filter(world: World) -> None:
    director = api_as(world.user("director"))  # organization-wide: sees both units
    both = director.get("/persons").json()["items"]
    assert len(both) == 2
    found = director.get("/persons", {"q": "okafor"}).json()["items"]
    assert [p["record_number"] for p in found] == ["MRN-B1"]
    on_a = director.get("/persons", {"unit": str(world.unit_a.public_id)}).json()["items"]
    assert [p["record_number"] for p in on_a] == ["MRN-A1"]


def test_list_with_a_unit_out_of_scope_is_404(world: World, nurse: ApiClient) -> None:
    assert_problem(nurse.get("/persons", {"unit": str(world.unit_b.public_id)}), 404)


def test_an_empty_list_writes_no_read_event(world: World, nurse: ApiClient) -> None:
    assert nurse.get("/persons", {"q": "nobody-by-this-name"}).json()["items"] == []
    assert not AuditEvent.objects.filter(object_id="api person list").exists()


def test_roles_without_the_action_are_refused_the_list(world: World) -> None:
    # Privacy officers and administrators do not read persons' records through lists.
    assert_problem(api_as(world.user("privacy")).get("/persons"), 403)
    assert_problem(api_as(world.user("admin")).get("/persons"), 403)


def test_read_one_person_is_audited(world: World, nurse: ApiClient) -> None:
    person = _pa(world)
    response = nurse.get(f"/persons/{person.public_id}")
    assert response.status_code == 200
    body = response.json()
    _no_integer_keys(body)
    assert body["record_number"] == "MRN-A1"
    assert body["current_episode"]["placement"]["unit"]["code"] == "a"
    assert body["current_episode"]["placement"]["bed"]["label"] == "A"
    assert AuditEvent.objects.filter(
        action=Action.VIEW, person_id=person.public_id, actor=world.user("nurse")
    ).exists()


def test_person_out_of_scope_is_404_and_the_refusal_audited(world: World, nurse: ApiClient) -> None:
    person = _pb(world)
    body = assert_problem(nurse.get(f"/persons/{person.public_id}"), 404)
    assert "MRN-B1" not in json.dumps(body)
    assert AuditEvent.objects.filter(
        outcome=Outcome.DENIED, person_id=person.public_id, actor=world.user("nurse")
    ).exists()


def test_person_visible_but_not_allowed_is_403(world: World) -> None:
    # The privacy officer is organization-wide (sees the record exists) but does not read it.
    assert_problem(api_as(world.user("privacy")).get(f"/persons/{_pa(world).public_id}"), 403)


def test_unknown_person_is_404(world: World, nurse: ApiClient) -> None:
    assert_problem(nurse.get("/persons/00000000-0000-4000-8000-000000000000"), 404)


# --- Persons: create and change ----------------------------------------------------------------

NEW = {
    "record_number": "MRN-77",
    "legal_given_name": "Casey",
    "legal_family_name": "Nguyen",
    "preferred_name": "Case",
    "pronouns": "they/them",
    "date_of_birth": "1999-09-09",
}


def test_create_person(world: World, nurse: ApiClient) -> None:
    response = nurse.post("/persons", NEW)
    assert response.status_code == 201, response.content
    body = response.json()
    _no_integer_keys(body)
    person = PersonServed.objects.get(public_id=body["public_id"])
    assert person.display_name == "Case Nguyen" == body["display_name"]
    assert body["current_episode"] is None
    event = AuditEvent.objects.get(action=Action.CREATE, person_id=person.public_id)
    assert event.detail["changes"]["record_number"]["new"] == "MRN-77"


def test_create_person_bad_input_names_the_fields(world: World, nurse: ApiClient) -> None:
    body = assert_problem(nurse.post("/persons", {**NEW, "record_number": "MRN-A1"}), 422)
    assert "record_number" in body["errors"]
    body = assert_problem(nurse.post("/persons", {**NEW, "date_of_birth": "1850-01-01"}), 422)
    assert "date_of_birth" in body["errors"]
    body = assert_problem(nurse.post("/persons", {"record_number": "X"}), 422)
    assert {"legal_given_name", "legal_family_name", "date_of_birth"} <= set(body["errors"])
    body = assert_problem(nurse.post("/persons", {**NEW, "legal_given_name": "A\x00B"}), 422)
    assert "legal_given_name" in body["errors"]
    body = assert_problem(nurse.post("/persons", {**NEW, "record_number": "9" * 33}), 422)
    assert "record_number" in body["errors"]
    assert not PersonServed.objects.filter(legal_family_name="Nguyen").exists()


def test_create_person_refused_for_a_bht(world: World) -> None:
    assert_problem(api_as(world.user("bht")).post("/persons", NEW), 403)
    assert not PersonServed.objects.filter(record_number="MRN-77").exists()


def test_patch_changes_only_what_was_sent(world: World, nurse: ApiClient) -> None:
    person = _pa(world)
    response = nurse.patch(f"/persons/{person.public_id}", {"pronouns": "she/her"})
    assert response.status_code == 200, response.content
    assert response.json()["pronouns"] == "she/her"
    person.refresh_from_db()
    assert (person.pronouns, person.legal_given_name) == ("she/her", "Alex")
    event = AuditEvent.objects.get(action=Action.UPDATE, person_id=person.public_id)
    assert event.detail["changes"] == {"pronouns": {"old": "", "new": "she/her"}}


def test_patch_refusals(world: World) -> None:
    person = _pa(world)
    assert_problem(api_as(world.user("bht")).patch(f"/persons/{person.public_id}", {}), 403)
    outsider = api_as(world.user("outsider"))
    assert_problem(outsider.patch(f"/persons/{person.public_id}", {"pronouns": "x"}), 404)
    nurse = api_as(world.user("nurse"))
    body = assert_problem(
        nurse.patch(f"/persons/{person.public_id}", {"record_number": "MRN-B1"}), 422
    )
    assert "record_number" in body["errors"]
    person.refresh_from_db()
    assert person.record_number == "MRN-A1"


# --- Admit, transfer, discharge ----------------------------------------------------------------


@pytest.fixture
def waiting(world: World) -> PersonServed:
    """A person not admitted anywhere, on the nurse's caseload (so the nurse can see them)."""
    person = make_person("MRN-W1", "Waiting")
    CaseloadAssignment.objects.create(
        staff=world.staff["nurse"],
        person=person,
        kind=CaseloadKind.PRIMARY_TECH,
        started_on=clock.organization_today(),
    )
    return person


def test_admit(world: World, nurse: ApiClient, waiting: PersonServed) -> None:
    bed = world.beds_a[1]
    response = nurse.post(
        f"/persons/{waiting.public_id}/admit",
        {"unit": str(world.unit_a.public_id), "bed": str(bed.public_id)},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    _no_integer_keys(body)
    episode = Episode.objects.get(public_id=body["public_id"])
    assert episode.person == waiting
    assert body["placement"]["bed"]["public_id"] == str(bed.public_id)
    assert AuditEvent.objects.filter(
        action=Action.CREATE, object_id=str(episode.public_id), person_id=waiting.public_id
    ).exists()


def test_admit_bad_references_are_field_errors(
    world: World, nurse: ApiClient, waiting: PersonServed
) -> None:
    url = f"/persons/{waiting.public_id}/admit"
    body = assert_problem(
        nurse.post(
            url, {"unit": str(world.unit_a.public_id), "bed": str(world.beds_b[1].public_id)}
        ),
        422,
    )
    assert "bed" in body["errors"]
    body = assert_problem(nurse.post(url, {"unit": str(world.unit_b.public_id)}), 422)
    assert "unit" in body["errors"]
    occupied = str(world.beds_a[0].public_id)
    body = assert_problem(
        nurse.post(url, {"unit": str(world.unit_a.public_id), "bed": occupied}), 422
    )
    assert "bed" in body["errors"]
    naive = {"unit": str(world.unit_a.public_id), "admitted_at": "2024-01-01T10:00:00"}
    assert "admitted_at" in assert_problem(nurse.post(url, naive), 422)["errors"]
    assert not Episode.objects.filter(person=waiting).exists()


def test_admit_someone_already_admitted_is_refused(world: World, nurse: ApiClient) -> None:
    response = nurse.post(
        f"/persons/{_pa(world).public_id}/admit", {"unit": str(world.unit_a.public_id)}
    )
    assert "already admitted" in assert_problem(response, 422)["detail"]


def test_transfer_to_another_bed(world: World, nurse: ApiClient) -> None:
    episode = _pa(world).episodes.get()
    bed = world.beds_a[2]
    response = nurse.post(
        f"/episodes/{episode.public_id}/transfer",
        {"unit": str(world.unit_a.public_id), "bed": str(bed.public_id), "reason": "quieter"},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["placement"]["bed"]["public_id"] == str(bed.public_id)
    assert body["placement"]["reason"] == "quieter"
    assert Placement.objects.filter(episode=episode).count() == 2
    assert AuditEvent.objects.filter(
        action=Action.UPDATE, object_id=str(episode.public_id), detail__event="transfer"
    ).exists()


def test_transfer_refusals(world: World) -> None:
    episode = _pa(world).episodes.get()
    url = f"/episodes/{episode.public_id}/transfer"
    target = {"unit": str(world.unit_b.public_id)}
    assert_problem(api_as(world.user("bht")).post(url, target), 403)
    assert_problem(api_as(world.user("outsider")).post(url, target), 404)
    nurse = api_as(world.user("nurse"))
    unknown = {"unit": "00000000-0000-4000-8000-000000000000"}
    assert "unit" in assert_problem(nurse.post(url, unknown), 422)["errors"]
    assert Placement.objects.filter(episode=episode).count() == 1


def test_discharge(world: World, nurse: ApiClient) -> None:
    episode = _pa(world).episodes.get()
    response = nurse.post(f"/episodes/{episode.public_id}/discharge", {"disposition": "home"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["disposition"] == "home"
    assert body["discharged_at"] is not None
    assert body["placement"]["ended_at"] == body["discharged_at"]
    episode.refresh_from_db()
    assert episode.discharged_at is not None
    again = nurse.post(f"/episodes/{episode.public_id}/discharge", {"disposition": "home"})
    assert_problem(again, 404)  # discharged: the person left the nurse's unit scope


def test_discharge_needs_a_known_disposition(world: World, nurse: ApiClient) -> None:
    episode = _pa(world).episodes.get()
    response = nurse.post(f"/episodes/{episode.public_id}/discharge", {"disposition": "moon"})
    assert "disposition" in assert_problem(response, 422)["errors"]
    episode.refresh_from_db()
    assert episode.discharged_at is None


# --- Units and census --------------------------------------------------------------------------


def test_units_in_scope(world: World, nurse: ApiClient) -> None:
    body = nurse.get("/units").json()
    _no_integer_keys(body)
    assert [u["code"] for u in body] == ["a"]
    assert [u["code"] for u in api_as(world.user("director")).get("/units").json()] == ["a", "b"]


def test_census_now_and_in_the_past(world: World, nurse: ApiClient) -> None:
    url = f"/units/{world.unit_a.public_id}/census"
    body = nurse.get(url).json()
    _no_integer_keys(body)
    assert [row["person"]["record_number"] for row in body["items"]] == ["MRN-A1"]
    event = AuditEvent.objects.get(object_id="api census")
    assert event.detail["person_ids"] == [str(_pa(world).public_id)]
    before = (clock.now() - timedelta(days=3)).isoformat()
    assert nurse.get(url, {"at": before}).json()["items"] == []


def test_census_refusals(world: World, nurse: ApiClient) -> None:
    assert_problem(nurse.get(f"/units/{world.unit_b.public_id}/census"), 404)
    url = f"/units/{world.unit_a.public_id}/census"
    assert_problem(api_as(world.user("admin")).get(url), 403)
    assert "at" in assert_problem(nurse.get(url, {"at": "2024-01-01T00:00:00"}), 422)["errors"]
    assert (
        "at" in assert_problem(nurse.get(url, {"at": "9999-12-31T23:59:59-23:59"}), 422)["errors"]
    )


# --- Staff -------------------------------------------------------------------------------------


def test_staff_list_and_lived_experience_only_when_shared(world: World, nurse: ApiClient) -> None:
    peer = world.staff["peer"]
    peer.lived_experience = ["recovery"]
    peer.save()
    body = nurse.get("/staff").json()
    _no_integer_keys(body)
    names = [s["display_name"] for s in body["items"]]
    assert "T Peer" in names
    assert "T Outsider" not in names
    row = next(s for s in body["items"] if s["display_name"] == "T Peer")
    assert row["lived_experience"] == []
    peer.shares_lived_experience = True
    peer.save()
    row = nurse.get(f"/staff/{peer.public_id}").json()
    assert row["lived_experience"] == ["recovery"]
    assert row["roles"] == ["peer"]


def test_staff_out_of_scope_is_404(world: World, nurse: ApiClient) -> None:
    assert_problem(nurse.get(f"/staff/{world.staff['outsider'].public_id}"), 404)


def test_staff_search(world: World, nurse: ApiClient) -> None:
    body = nurse.get("/staff", {"q": "clinician"}).json()
    assert [s["display_name"] for s in body["items"]] == ["T Clinician"]


# --- Query budgets: a list costs the same whatever its length -----------------------------------


def _queries(client: ApiClient, path: str, params: dict[str, str] | None = None) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path, params)
    assert response.status_code == 200, response.content
    return len(captured.captured_queries)


def _admit_more(world: World, n: int, tag: str) -> None:
    for i in range(n):
        person = make_person(f"MRN-{tag}{i:03d}", f"Family{tag}{i:03d}")
        place(person, world.unit_a, None, world.staff["nurse"])


def _more_staff(world: World, n: int, tag: str) -> None:
    for i in range(n):
        make_staff(f"t-extra-{tag}-{i:03d}", ["bht"], [world.unit_a])


LIST_BUDGET = 20


@pytest.mark.parametrize(
    ("path", "grow"),
    [("/persons", _admit_more), ("/staff", _more_staff), ("census", _admit_more)],
)
def test_list_query_count_does_not_grow_with_rows(
    world: World, django_assert_max_num_queries: Any, path: str, grow: Any
) -> None:
    client = api_as(world.user("nurse"))
    if path == "census":
        path = f"/units/{world.unit_a.public_id}/census"
    client.get("/me")  # the token's last-used stamp is written once a minute: not in the count
    grow(world, 2, "a")
    few = _queries(client, path)
    grow(world, 30, "b")
    many = _queries(client, path)
    assert many == few
    with django_assert_max_num_queries(LIST_BUDGET):
        assert len(client.get(path).json()["items"]) >= 32
