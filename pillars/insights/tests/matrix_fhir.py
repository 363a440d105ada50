"""Permission matrix for the FHIR bulk export routes.

They sign in by API bearer token only, so the matrix's browser-session clients (every role and
the anonymous visitor) are all answered 401: a session cookie never starts or reads an export.
The same routes with each role's token are walked in ``test_fhir_matrix.py``."""

from __future__ import annotations

import uuid
from typing import Any

from pillars.core import clock
from pillars.core.tests.matrix_support import Case
from pillars.people.testing import World


def unit_a(w: World, extra: dict[str, Any]) -> dict[str, Any]:
    return {"group_id": w.unit_a.public_id}


def job(w: World, extra: dict[str, Any]) -> dict[str, Any]:
    return {"job_id": extra["fhir_job"].public_id}


def job_file(w: World, extra: dict[str, Any]) -> dict[str, Any]:
    return {"job_id": extra["fhir_job"].public_id, "name": "Patient.ndjson"}


def fixtures(world: World, extra: dict[str, Any]) -> None:
    from datetime import timedelta

    from pillars.insights.fhir.models import ExportJob

    now = clock.now()
    extra["fhir_job"] = ExportJob.objects.create(
        public_id=uuid.uuid4(),
        requested_by=world.staff["director"],
        level=ExportJob.Level.SYSTEM,
        request_url="http://testserver/fhir/$export",
        requested_at=now,
        expires_at=now + timedelta(hours=1),
    )


#                                               bht nur cli pee sup dir pri adm out anon
PAGES: dict[str, Case] = {
    "fhir:export": Case("GET", "U U U U U U U U U U"),
    "fhir:patient-export": Case("GET", "U U U U U U U U U U"),
    "fhir:group-export": Case("GET", "U U U U U U U U U U", unit_a),
    "fhir:export-status": Case("GET", "U U U U U U U U U U", job),
    "fhir:export-file": Case("GET", "U U U U U U U U U U", job_file),
}
