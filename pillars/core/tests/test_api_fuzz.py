"""Schemathesis against the API in-process: no server errors, every answer matches the schema.

The schema is loaded from the running WSGI application (so it is the schema clients get), and
every operation is fed generated requests with a nurse's bearer token. The examples are bounded
and derandomized so the run is the same on every machine and stays well under a minute.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import response_schema_conformance

from pillars.core.tests.api_support import token_for
from pillars.core.tests.matrix_support import area_fuzz_ids
from pillars.people.testing import World

pytestmark = [pytest.mark.fuzz, pytest.mark.django_db]

EXAMPLES = {GenerationMode.POSITIVE: 10, GenerationMode.NEGATIVE: 6}
# Each run's operations are split in shards, so the workers share a run between them.
SHARDS = 2
CHECKS = [not_a_server_error, response_schema_conformance]


@cache
def _served_schema() -> Any:
    """The schema the application serves, loaded once per worker and shared by this module's
    tests (loading it through the WSGI application took a few seconds each time)."""
    from pillars.wsgi import application

    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)


@pytest.fixture
def same_connection() -> Iterator[None]:
    """Serve the requests on the test's own database connection, inside its transaction.

    Django closes "old" connections at the end of each request; Django's own test client
    switches that off for the same reason.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _fuzz(
    operation: Any, mode: GenerationMode, headers: dict[str, str], path: dict[str, str]
) -> None:
    @hypothesis_settings(
        max_examples=EXAMPLES[mode],
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode, path_parameters=path or None))
    def run(case: Any) -> None:
        case.call_and_validate(headers=headers, checks=CHECKS)

    run()


def _real_ids(world: World) -> dict[str, str]:
    """Path prefixes to the public id of a record the nurse can reach, so that generated
    requests get past the lookup into the handlers and services."""
    from pillars.rounds import services as rounds
    from pillars.rounds.models import ObservationLevel

    order = rounds.order_observation(
        world.person_a,
        actor=world.user("nurse"),
        level=ObservationLevel.objects.get(code="q15", is_current=True),
        reason="Fuzzing checks",
    )
    return {
        "/api/v1/orders/": str(order.public_id),
        "/api/v1/persons/": str(world.person_a.public_id),
        "/api/v1/episodes/": str(world.person_a.episodes.get().public_id),
        "/api/v1/units/": str(world.unit_a.public_id),
        "/api/v1/staff/": str(world.staff["bht"].public_id),
        **area_fuzz_ids(world),
    }


@pytest.mark.parametrize("shard", range(SHARDS))
@pytest.mark.parametrize(
    ("mode", "real_records"),
    [
        (GenerationMode.POSITIVE, False),
        (GenerationMode.POSITIVE, True),
        (GenerationMode.NEGATIVE, False),
    ],
    ids=["positive", "positive-real-records", "negative"],
)
def test_api_answers_every_generated_request_within_its_schema(
    world: World, same_connection: None, mode: GenerationMode, real_records: bool, shard: int
) -> None:
    headers = {"Authorization": f"Bearer {token_for(world.user('nurse'))}"}
    results = list(_served_schema().get_all_operations())
    operations = [result.ok() for result in results if isinstance(result, Ok)]
    assert len(operations) == len(results) >= 13
    ids = _real_ids(world)
    for operation in operations[shard::SHARDS]:
        path: dict[str, str] = {}
        if real_records:
            if "{public_id}" not in operation.path:
                continue
            prefix = max((p for p in ids if operation.path.startswith(p)), key=len)
            path = {"public_id": ids[prefix]}
        _fuzz(operation, mode, headers, path)


def test_every_operation_succeeds_through_its_schema(world: World, same_connection: None) -> None:
    """Random bodies rarely pass the rules, so this asks each operation once with the request
    the permission matrix proves valid (its first role allowed, "A"), built and sent by the
    schema-driven client against the served schema: every operation must answer 2xx and match
    its documented response. An operation whose schema names fields the route does not read
    (a list called ``records`` while the route reads ``checks``) fails here."""
    from django.db import transaction

    from pillars.core.tests.matrix_support import WHO
    from pillars.core.tests.test_matrix import API, _fixtures

    schema = _served_schema()
    extra = _fixtures(world)
    never: list[str] = []
    for key, case in sorted(API.items()):
        method, path = key.split(" ", 1)
        codes = case.codes()
        who = next((w for w in WHO if codes[w] == "A" and w not in ("anon",)), None)
        if who is None:
            continue  # no role succeeds with the matrix's request (a V or refusal for all)
        operation = schema[path][method]
        headers = {"Authorization": f"Bearer {token_for(world.user(who))}"}
        params = {k: str(v) for k, v in (case.kwargs(world, extra) if case.kwargs else {}).items()}
        body = case.body(world, who) if case.body else None
        options: dict[str, Any] = {"path_parameters": params or None, "headers": headers}
        if method in ("POST", "PATCH", "PUT") and operation.body:
            options.update(body=body or {}, media_type="application/json")
        with transaction.atomic():
            made = operation.Case(**options)
            response = made.call_and_validate(checks=CHECKS)
            transaction.set_rollback(True)
        if not 200 <= response.status_code < 300:
            never.append(f"{key} as {who}: {response.status_code} {response.text[:200]}")
    assert never == [], "\n".join(never)
