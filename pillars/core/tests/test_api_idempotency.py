"""Idempotent device writes: a replayed key returns the first answer; a reused key is refused."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import pytest
from django.test import RequestFactory
from ninja import Schema

from pillars.audit.choices import Action
from pillars.audit.models import AuditEvent
from pillars.audit.testing import last_seq
from pillars.core import clock, idempotency
from pillars.core.errors import Conflict
from pillars.core.idempotency import REPLAYED_HEADER, request_hash, run_once
from pillars.core.models import IdempotencyRecord
from pillars.core.tests.api_support import api_as, assert_problem
from pillars.people import services
from pillars.people.models import PersonServed
from pillars.people.testing import World

pytestmark = pytest.mark.django_db


def _person(number: str = "MRN-NEW", **extra: Any) -> dict[str, Any]:
    return {
        "record_number": number,
        "legal_given_name": "Jordan",
        "legal_family_name": "Lee",
        "date_of_birth": "1988-02-03",
        **extra,
    }


def _creations(number: str) -> int:
    people = PersonServed.objects.filter(record_number=number)
    return AuditEvent.objects.filter(
        action=Action.CREATE, person_id__in=people.values("public_id")
    ).count()


def test_replay_with_the_header_returns_the_first_answer(world: World) -> None:
    client = api_as(world.user("nurse"))
    key = str(uuid.uuid4())
    first = client.post("/persons", _person(), headers={"Idempotency-Key": key})
    assert first.status_code == 201, first.content
    assert REPLAYED_HEADER not in first
    again = client.post("/persons", _person(), headers={"Idempotency-Key": key})
    assert again.status_code == 201
    assert again[REPLAYED_HEADER] == "true"
    assert again.json() == first.json()
    assert PersonServed.objects.filter(record_number="MRN-NEW").count() == 1
    assert _creations("MRN-NEW") == 1
    record = IdempotencyRecord.objects.get(key=key)
    assert record.user == world.user("nurse")
    assert (record.method, record.route) == ("POST", "/api/v1/persons")
    assert record.response_status == 201
    assert record.response_body == first.json()


def test_replay_with_client_id_in_the_body(world: World) -> None:
    client = api_as(world.user("nurse"))
    body = _person(client_id=str(uuid.uuid4()))
    first = client.post("/persons", body)
    again = client.post("/persons", body)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again[REPLAYED_HEADER] == "true"
    assert again.json()["public_id"] == first.json()["public_id"]
    assert _creations("MRN-NEW") == 1


def test_same_key_with_another_body_is_409(world: World) -> None:
    client = api_as(world.user("nurse"))
    key = str(uuid.uuid4())
    assert client.post("/persons", _person(), headers={"Idempotency-Key": key}).status_code == 201
    response = client.post("/persons", _person("MRN-OTHER"), headers={"Idempotency-Key": key})
    assert "different request" in assert_problem(response, 409)["detail"]
    assert not PersonServed.objects.filter(record_number="MRN-OTHER").exists()


def test_same_key_on_another_route_is_409(world: World) -> None:
    client = api_as(world.user("nurse"))
    key = str(uuid.uuid4())
    assert client.post("/persons", _person(), headers={"Idempotency-Key": key}).status_code == 201
    person = world.person_a
    assert person is not None
    response = client.patch(
        f"/persons/{person.public_id}", {"pronouns": "she/her"}, headers={"Idempotency-Key": key}
    )
    assert_problem(response, 409)
    person.refresh_from_db()
    assert person.pronouns == ""


@pytest.mark.parametrize("key", ["not-a-uuid", "1234", "' OR 1=1 --"])
def test_a_key_that_is_not_a_uuid_is_422(world: World, key: str) -> None:
    client = api_as(world.user("nurse"))
    response = client.post("/persons", _person(), headers={"Idempotency-Key": key})
    assert "Idempotency-Key" in assert_problem(response, 422)["errors"]
    assert not PersonServed.objects.filter(record_number="MRN-NEW").exists()


def test_header_and_client_id_must_agree(world: World) -> None:
    client = api_as(world.user("nurse"))
    response = client.post(
        "/persons",
        _person(client_id=str(uuid.uuid4())),
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )
    assert_problem(response, 422)
    assert not PersonServed.objects.filter(record_number="MRN-NEW").exists()


def test_keys_belong_to_their_user(world: World) -> None:
    key = str(uuid.uuid4())
    nurse = api_as(world.user("nurse")).post(
        "/persons", _person("MRN-N"), headers={"Idempotency-Key": key}
    )
    clinician = api_as(world.user("clinician")).post(
        "/persons", _person("MRN-C"), headers={"Idempotency-Key": key}
    )
    assert (nurse.status_code, clinician.status_code) == (201, 201)
    assert REPLAYED_HEADER not in clinician
    assert clinician.json()["public_id"] != nurse.json()["public_id"]


def test_a_refused_write_is_not_remembered(world: World) -> None:
    client = api_as(world.user("nurse"))
    key = str(uuid.uuid4())
    future = _person(date_of_birth="2999-01-01")
    bad = client.post("/persons", future, headers={"Idempotency-Key": key})
    assert "date_of_birth" in assert_problem(bad, 422)["errors"]
    assert not IdempotencyRecord.objects.filter(key=key).exists()
    # The corrected write with the same key goes through: nothing was stored for the refusal.
    good = client.post("/persons", _person(), headers={"Idempotency-Key": key})
    assert good.status_code == 201
    assert REPLAYED_HEADER not in good


def test_writes_without_a_key_are_not_recorded(world: World) -> None:
    client = api_as(world.user("nurse"))
    assert client.post("/persons", _person()).status_code == 201
    assert not IdempotencyRecord.objects.exists()


def test_episode_writes_are_idempotent(world: World) -> None:
    client = api_as(world.user("nurse"))
    person = world.person_a
    assert person is not None
    episode = person.episodes.get()
    body = {"disposition": "home", "client_id": str(uuid.uuid4())}
    first = client.post(f"/episodes/{episode.public_id}/discharge", body)
    again = client.post(f"/episodes/{episode.public_id}/discharge", body)
    assert first.status_code == 200, first.content
    # Without the key the second discharge would be refused ("already discharged").
    assert again.status_code == 200
    assert again[REPLAYED_HEADER] == "true"
    assert again.json() == first.json()


class _Out(Schema):
    record_number: str


def _race(monkeypatch: Any, user: Any, key: uuid.UUID, digest: str) -> None:
    """The other send of the same key commits its answer after our first look found nothing."""
    IdempotencyRecord.objects.create(
        key=key,
        user=user,
        method="POST",
        route="/api/v1/persons",
        request_hash=digest,
        response_status=201,
        response_body={"record_number": "from the winner"},
        created_at=clock.now(),
    )
    looks: list[int] = []

    def first_look_misses(u: Any, k: uuid.UUID) -> IdempotencyRecord | None:
        looks.append(1)
        if len(looks) == 1:
            return None
        return IdempotencyRecord.objects.filter(user=u, key=k).first()

    monkeypatch.setattr(idempotency, "_lookup", first_look_misses)


def _write(user: Any) -> Any:
    def write() -> _Out:
        person = services.create_person(
            actor=user,
            record_number="MRN-RACE",
            legal_given_name="Robin",
            legal_family_name="Race",
            date_of_birth=date(1980, 1, 1),
        )
        return _Out(record_number=person.record_number)

    return write


def _request(user: Any) -> Any:
    request = RequestFactory().post("/api/v1/persons")
    request.user = user
    return request


def test_a_lost_race_answers_as_the_replay_and_rolls_its_write_back(
    world: World, monkeypatch: Any
) -> None:
    """Two sends of one key at once: the loser's write must vanish with its record."""
    user = world.user("nurse")
    key = uuid.uuid4()
    _race(monkeypatch, user, key, "a" * 64)
    response = run_once(_request(user), key, "a" * 64, _write(user))
    assert response.status_code == 201
    assert response[REPLAYED_HEADER] == "true"
    assert b"from the winner" in response.content
    assert not PersonServed.objects.filter(record_number="MRN-RACE").exists()


def test_a_lost_race_with_another_body_is_a_conflict(world: World, monkeypatch: Any) -> None:
    user = world.user("nurse")
    key = uuid.uuid4()
    _race(monkeypatch, user, key, "a" * 64)
    with pytest.raises(Conflict):
        run_once(_request(user), key, "b" * 64, _write(user))
    assert not PersonServed.objects.filter(record_number="MRN-RACE").exists()


def test_request_hash_ignores_key_order_but_not_values() -> None:
    class Body(Schema):
        a: int
        b: str

    assert request_hash({"p": Body(a=1, b="x"), "id": "1"}) == request_hash(
        {"id": "1", "p": Body(b="x", a=1)}
    )
    assert request_hash({"p": Body(a=1, b="x")}) != request_hash({"p": Body(a=2, b="x")})


def test_a_refusal_inside_an_idempotent_write_stays_on_the_audit_record(world: World) -> None:
    """The write's transaction rolls back on a 404; the refusal's audit event must not."""
    import uuid

    from django.test import Client

    from pillars.audit.models import AuditEvent
    from pillars.core.tokens import create_token

    _, secret = create_token(world.user("outsider"), name="t", scopes=["read", "write"], days=1)
    before = last_seq()
    response = Client().post(
        f"/api/v1/persons/{world.person_a.public_id}/admit",
        data={"unit": str(world.unit_b.public_id)},
        content_type="application/json",
        headers={"Authorization": f"Bearer {secret}", "Idempotency-Key": str(uuid.uuid4())},
    )
    assert response.status_code == 404
    refusals = AuditEvent.objects.filter(seq__gt=before, outcome="denied")
    assert [e.person_id for e in refusals] == [world.person_a.public_id]


def test_prune_drops_only_replies_past_the_window(world: World) -> None:
    import io
    from datetime import timedelta

    from django.core.management import CommandError, call_command

    now = clock.now()
    for age in (40, 31, 29, 1):
        IdempotencyRecord.objects.create(
            key=uuid.uuid4(),
            user=world.user("nurse"),
            method="POST",
            route="/api/v1/x",
            request_hash="h",
            response_status=201,
            response_body={},
            created_at=now - timedelta(days=age),
        )
    out = io.StringIO()
    call_command("prune_idempotency", stdout=out)
    assert "Deleted 2 stored replies older than 30 days" in out.getvalue()
    assert IdempotencyRecord.objects.count() == 2
    with pytest.raises(CommandError, match="at least one day"):
        call_command("prune_idempotency", "--days", "0")


def test_a_stored_answer_is_found_through_the_one_index_on_user_and_key() -> None:
    # A second index on the user alone let PostgreSQL scan every stored answer of a device's
    # user on each write (chosen before its statistics were gathered).
    from django.db import connection

    table = IdempotencyRecord._meta.db_table
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, table)
    indexed = sorted(tuple(c["columns"]) for c in found.values() if c["index"] or c["unique"])
    assert ("user_id",) not in indexed
    assert ("user_id", "key") in indexed
