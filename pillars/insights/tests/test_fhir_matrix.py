"""The FHIR export routes for every role, an outsider and an anonymous caller, each signed in
by its own API token (the way these routes are used; ``matrix_fhir.py`` shows a browser
session is refused everywhere)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction
from django.test import Client

from pillars.core.tests.matrix_support import WHO
from pillars.core.tokens import create_token
from pillars.insights.fhir.models import ExportJob
from pillars.insights.fhir.tasks import run_export
from pillars.insights.tests.fhir_support import HEADERS
from pillars.people.testing import World

pytestmark = pytest.mark.django_db

#                 bht nur cli pee sup dir pri adm out anon
EXPECT = {
    "GET /fhir/$export": "F F F F F A A F F U",
    "GET /fhir/Patient/$export": "F F F F F A A F F U",
    "GET /fhir/Group/{unit}/$export": "F F F F F A A F N U",
    "GET /fhir/$export-status/{job}": "N N N N N A N N N U",
    "GET /fhir/$export-files/{job}/Patient.ndjson": "N N N N N A N N N U",
    "DELETE /fhir/$export-status/{job}": "N N N N N A N N N U",
}
CODES = {200: "A", 202: "A", 401: "U", 403: "F", 404: "N", 405: "M", 429: "T"}


@pytest.fixture(autouse=True)
def export_dir(settings: Any, tmp_path: Path) -> Path:
    settings.FHIR_EXPORT_DIR = str(tmp_path / "fhir")
    return tmp_path / "fhir"


def test_every_route_for_every_role(world: World) -> None:
    tokens = {
        who: create_token(world.user(who), name="m", scopes=["read"], days=1)[1]
        for who in WHO
        if who != "anon"
    }
    director = Client(headers={"Authorization": f"Bearer {tokens['director']}", **HEADERS})
    started = director.get("/fhir/$export")
    job = ExportJob.objects.get(public_id=started["Content-Location"].split("/")[-1])
    assert run_export.call(job.pk) == "done"
    for operation, expect in EXPECT.items():
        method, path = operation.split(" ", 1)
        path = path.replace("{unit}", str(world.unit_a.public_id))
        path = path.replace("{job}", str(job.public_id))
        got = {}
        for who in WHO:
            headers = dict(HEADERS)
            if who != "anon":
                headers["Authorization"] = f"Bearer {tokens[who]}"
            with transaction.atomic():
                response = Client().generic(method, path, headers=headers)
                transaction.set_rollback(True)
            got[who] = CODES.get(response.status_code, str(response.status_code))
            if response.status_code >= 400:
                body = json.loads(response.content)
                assert body["resourceType"] == "OperationOutcome"
                assert world.person_a.legal_family_name not in response.content.decode()
        assert " ".join(got[w] for w in WHO) == expect, operation
