"""The FHIR bulk export (issue 16): kick-off, status, manifest, download, cancel, expiry, every
resource type valid under fhir.resources' R4B models with every reference resolved, and who
may export what."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from pillars.audit.models import AuditEvent
from pillars.core import clock
from pillars.insights.fhir import mappers
from pillars.insights.fhir.models import ExportJob
from pillars.insights.fhir.sweeps import sweep_expired_exports
from pillars.insights.fhir.tasks import run_export
from pillars.insights.tests.fhir_support import (
    HEADERS,
    Records,
    bearer,
    build_records,
    download,
    path_of,
    unresolved,
)
from pillars.people.models import Role
from pillars.people.testing import World

pytestmark = pytest.mark.django_db

ALL_TYPES = set(mappers.SOURCES)


@pytest.fixture(autouse=True)
def export_dir(settings: Any, tmp_path: Path) -> Path:
    settings.FHIR_EXPORT_DIR = str(tmp_path / "fhir")
    settings.FHIR_EXPORT_RETRY_AFTER_SECONDS = 5
    return tmp_path / "fhir"


@pytest.fixture
def records(world: World) -> Records:
    return build_records(world)


def kick_off(client: Any, url: str = "/fhir/$export", **params: str) -> tuple[Any, ExportJob]:
    response = client.get(url, params)
    assert response.status_code == 202, response.content
    job = ExportJob.objects.get(public_id=response["Content-Location"].rstrip("/").split("/")[-1])
    return response, job


def finished(client: Any, job: ExportJob) -> dict[str, Any]:
    assert run_export.call(job.pk) == "done"
    response = client.get(f"/fhir/$export-status/{job.public_id}")
    assert response.status_code == 200, response.content
    return json.loads(response.content)


def test_kick_off_status_manifest_and_download(world: World, records: Records) -> None:
    client = bearer(world, "privacy")
    response, job = kick_off(client)
    assert response["Content-Location"].endswith(f"/fhir/$export-status/{job.public_id}")
    assert response["Content-Type"] == "application/fhir+json"
    assert job.requested_by == world.staff["privacy"]
    requested = AuditEvent.objects.get(action="export", object_id=str(job.public_id))
    assert requested.detail["event"] == "FHIR bulk export requested"

    status = f"/fhir/$export-status/{job.public_id}"
    waiting = client.get(status)
    assert waiting.status_code == 202
    assert waiting["X-Progress"] == "Queued"
    assert waiting["Retry-After"] == "5"
    # Polled again at once: too soon.
    again = client.get(status)
    assert again.status_code == 429
    assert 1 <= int(again["Retry-After"]) <= 5
    assert json.loads(again.content)["resourceType"] == "OperationOutcome"
    with clock.replaying_at(clock.now() + timedelta(seconds=6)):
        assert client.get(status).status_code == 202

    manifest = finished(client, job)
    done = client.get(status)
    assert done["Content-Type"] == "application/json"
    job.refresh_from_db()
    assert done["Expires"]
    assert job.expires_at > clock.now() + timedelta(hours=23)
    assert manifest["requiresAccessToken"] is True
    assert manifest["request"].endswith("/fhir/$export")
    assert manifest["transactionTime"].endswith("Z")
    found = download(client, manifest)
    # Every type, every resource valid (download validates each line), every reference held.
    assert {e["type"] for e in manifest["output"]} == ALL_TYPES - {"Consent"}
    assert unresolved(found) == set()
    ids = {r["id"] for items in found.values() for r in items}
    for record in (records.check, records.assessment, records.abc, records.plan, records.goal):
        assert str(record.public_id) in ids
    assert str(records.referral.public_id) in {r["id"] for r in found["ServiceRequest"]}
    task = found["Task"][0]
    assert task["status"] == records.referral.status
    assert task["focus"]["reference"] == f"ServiceRequest/{records.referral.public_id}"
    flags = {f["code"]["coding"][0]["code"] for f in found["Flag"]}
    assert flags == {"suicide", "elopement"}
    # Each download is an audited export through the one export door.
    downloads = AuditEvent.objects.filter(action="export", object_type__startswith="fhir.")
    assert downloads.count() == len(manifest["output"]) + len(manifest["error"])
    assert downloads.filter(object_type="fhir.Patient", actor=world.user("privacy")).exists()


def test_confidential_directory_places_never_leave(world: World, records: Records) -> None:
    from pillars.recovery.models.directory import Location as Place

    hidden = Place.objects.filter(x_confidential=True)
    assert hidden.exists()
    client = bearer(world, "director")
    _, job = kick_off(client)
    found = download(client, finished(client, job))
    body = json.dumps(found)
    for place in hidden:
        assert str(place.public_id) not in body
        assert "Hidden Lane" not in body
    assert "Safe Harbor" in body  # the shelter's service is listed, with no place


def test_director_gets_no_audit_log_and_is_told(world: World, records: Records) -> None:
    client = bearer(world, "director")
    _, job = kick_off(client)
    manifest = finished(client, job)
    found = download(client, manifest)
    assert "AuditEvent" not in found
    notes = [i["diagnostics"] for o in found["OperationOutcome"] for i in o["issue"]]
    assert any("audit log" in n for n in notes)


@pytest.mark.parametrize("level", ["patient", "group"])
def test_patient_and_group_levels_hold_what_they_reference(
    world: World, records: Records, level: str
) -> None:
    client = bearer(world, "director")
    url = (
        "/fhir/Patient/$export"
        if level == "patient"
        else f"/fhir/Group/{world.unit_a.public_id}/$export"
    )
    _, job = kick_off(client, url)
    assert job.level == level
    found = download(client, finished(client, job))
    assert unresolved(found) == set()
    patients = {p["id"] for p in found["Patient"]}
    assert str(world.person_a.public_id) in patients
    if level == "group":
        assert str(world.person_b.public_id) not in patients  # stayed on unit B only
    # Supporting resources: only those referenced (the directory's other places are not).
    referenced = {r["id"] for r in found.get("HealthcareService", [])}
    assert referenced == {str(records.referral.service.public_id)}


def test_type_and_since_narrow_the_export(world: World, records: Records) -> None:
    client = bearer(world, "director")
    _, job = kick_off(client, _type="Observation,Patient")
    manifest = finished(client, job)
    assert {e["type"] for e in manifest["output"]} == {"Observation", "Patient"}
    later = (clock.now() + timedelta(minutes=1)).isoformat().replace("+00:00", "Z")
    with clock.replaying_at(clock.now() + timedelta(seconds=10)):
        _, job = kick_off(client, _since=later, _type="Observation")
        assert finished(client, job)["output"] == []


@pytest.mark.parametrize("fmt", ["application/fhir+ndjson", "application/ndjson", "ndjson", ""])
def test_the_three_ndjson_spellings_are_accepted(world: World, fmt: str) -> None:
    client = bearer(world, "director")
    params = {"_outputFormat": fmt} if fmt else {}
    assert client.get("/fhir/$export", params).status_code == 202


@pytest.mark.parametrize(
    ("headers", "params", "says"),
    [
        ({"Accept": "application/json"}, {}, "Accept"),
        ({"Prefer": ""}, {}, "respond-async"),
        ({}, {"_outputFormat": "text/csv"}, "_outputFormat"),
        ({}, {"_type": "Patient,Medication"}, "Medication"),
        ({}, {"_since": "yesterday"}, "_since"),
        ({}, {"_since": "2026-13-01T00:00:00Z"}, "_since"),
        ({}, {"_since": "2026-01-01T00:00:00"}, "time zone"),
        # At the calendar's edge: converting these to UTC overflows, and once answered 500.
        ({}, {"_since": "9999-12-31T23:59:59-05:00"}, "between the years"),
        ({}, {"_since": "0001-01-01T00:00:00+05:00"}, "between the years"),
    ],
)
def test_bad_kick_offs_answer_400_with_an_outcome(
    world: World, headers: dict[str, str], params: dict[str, str], says: str
) -> None:
    client = bearer(world, "director")
    response = client.get("/fhir/$export", params, headers={**HEADERS, **headers})
    assert response.status_code == 400
    body = json.loads(response.content)
    assert body["resourceType"] == "OperationOutcome"
    assert says in body["issue"][0]["diagnostics"]
    assert not ExportJob.objects.exists()


def test_no_token_answers_401_and_others_may_not_export(world: World) -> None:
    from django.test import Client

    anon = Client().get("/fhir/$export", headers=HEADERS)
    assert anon.status_code == 401
    assert anon["WWW-Authenticate"].startswith("Bearer")
    for role in ("nurse", "bht", "clinician", "peer", "supervisor", "admin", "outsider"):
        response = bearer(world, role).get("/fhir/$export")
        assert response.status_code == 403, role
        group = bearer(world, role).get(f"/fhir/Group/{world.unit_a.public_id}/$export")
        assert group.status_code in (403, 404), role
    assert not ExportJob.objects.exists()


def test_out_of_scope_groups_answer_404(world: World) -> None:
    client = bearer(world, "director")
    assert client.get(f"/fhir/Group/{uuid.uuid4()}/$export").status_code == 404
    # A director whose role is not organization-wide sees only their own units.
    Role.objects.filter(code="director").update(is_org_wide=False)
    client = bearer(world, "director")
    assert client.get(f"/fhir/Group/{world.unit_b.public_id}/$export").status_code == 404
    assert client.get(f"/fhir/Group/{world.program.public_id}/$export").status_code == 404
    assert client.get(f"/fhir/Group/{world.unit_a.public_id}/$export").status_code == 202
    # A nurse sees unit A but may not export it.
    nurse = bearer(world, "nurse")
    assert nurse.get(f"/fhir/Group/{world.unit_a.public_id}/$export").status_code == 403


def test_someone_else_s_job_is_404(world: World) -> None:
    _, job = kick_off(bearer(world, "director"))
    other = bearer(world, "privacy")
    assert other.get(f"/fhir/$export-status/{job.public_id}").status_code == 404
    assert other.delete(f"/fhir/$export-status/{job.public_id}").status_code == 404


def test_delete_cancels_then_404(world: World, export_dir: Path) -> None:
    client = bearer(world, "director")
    _, job = kick_off(client)
    status = f"/fhir/$export-status/{job.public_id}"
    assert client.delete(status).status_code == 202
    assert client.get(status).status_code == 404
    assert run_export.call(job.pk) == "not queued"
    assert not (export_dir / str(job.public_id)).exists()
    assert AuditEvent.objects.filter(
        object_id=str(job.public_id), detail__event="FHIR bulk export cancelled"
    ).exists()


def test_delete_after_done_removes_the_files(world: World, export_dir: Path) -> None:
    client = bearer(world, "director")
    _, job = kick_off(client)
    manifest = finished(client, job)
    assert (export_dir / str(job.public_id)).is_dir()
    assert client.delete(f"/fhir/$export-status/{job.public_id}").status_code == 202
    assert not (export_dir / str(job.public_id)).exists()
    assert client.get(path_of(manifest["output"][0]["url"])).status_code == 404


def test_files_expire_and_the_sweep_deletes_them(
    world: World, export_dir: Path, settings: Any
) -> None:
    settings.FHIR_EXPORT_HOURS = 2  # within the token's day
    client = bearer(world, "director")
    _, job = kick_off(client)
    manifest = finished(client, job)
    job.refresh_from_db()
    file_url = path_of(manifest["output"][0]["url"])
    assert client.get(file_url).status_code == 200
    # Nothing expires early.
    assert sweep_expired_exports(clock.now()).claimed == 0
    later = job.expires_at + timedelta(seconds=1)
    with clock.replaying_at(later):
        assert client.get(f"/fhir/$export-status/{job.public_id}").status_code == 404
        assert client.get(file_url).status_code == 404
        result = sweep_expired_exports(clock.now())
    assert result.claimed == 1
    assert not ExportJob.objects.filter(pk=job.pk).exists()
    assert not (export_dir / str(job.public_id)).exists()


def test_only_the_job_s_own_files_are_served(world: World, export_dir: Path) -> None:
    client = bearer(world, "director")
    _, job = kick_off(client)
    finished(client, job)
    (export_dir / "secret.ndjson").write_text("{}\n")
    base = f"/fhir/$export-files/{job.public_id}/"
    assert client.get(base + "..%2Fsecret.ndjson").status_code == 404
    assert client.get(base + "Medication.ndjson").status_code == 404
    assert bearer(world, "privacy").get(base + "Patient.ndjson").status_code == 404


def test_an_export_whose_requester_lost_the_right_fails(world: World) -> None:
    client = bearer(world, "director")
    _, job = kick_off(client)
    # The requester lost the right to export before the worker ran it.
    world.staff["director"].roles.clear()
    assert run_export.call(job.pk) == "failed"
    job.refresh_from_db()
    assert job.status == ExportJob.Status.FAILED
    assert AuditEvent.objects.filter(
        object_id=str(job.public_id), outcome="failed", detail__event="FHIR bulk export failed"
    ).exists()


def test_progress_while_running_and_500_when_failed(world: World) -> None:
    client = bearer(world, "director")
    _, job = kick_off(client)
    status = f"/fhir/$export-status/{job.public_id}"
    ExportJob.objects.filter(pk=job.pk).update(
        status=ExportJob.Status.RUNNING, progress="Writing Observation (4 of 15 resource types)"
    )
    running = client.get(status)
    assert running.status_code == 202
    assert running["X-Progress"] == "Writing Observation (4 of 15 resource types)"
    ExportJob.objects.filter(pk=job.pk).update(status=ExportJob.Status.FAILED)
    failed = client.get(status)
    assert failed.status_code == 500
    assert json.loads(failed.content)["issue"][0]["severity"] == "error"


def test_a_program_group_and_a_narrower_director_still_resolve(
    world: World, records: Records
) -> None:
    world.program.units.add(world.unit_a)
    client = bearer(world, "director")
    _, job = kick_off(client, f"/fhir/Group/{world.program.public_id}/$export")
    assert job.group_kind == "program"
    found = download(client, finished(client, job))
    assert {p["id"] for p in found["Patient"]} == {str(world.person_a.public_id)}
    assert unresolved(found) == set()
    # A director who sees only unit A gets unit A's persons served, and every reference
    # (to staff and units beyond unit A too) still resolves inside the export.
    Role.objects.filter(code="director").update(is_org_wide=False)
    client = bearer(world, "director")
    _, job = kick_off(client)
    found = download(client, finished(client, job))
    assert str(world.person_b.public_id) not in {p["id"] for p in found["Patient"]}
    assert unresolved(found) == set()


def test_a_system_export_holds_the_requesters_organization_only(
    world: World, records: Records
) -> None:
    """A privacy officer of a second organization in the same database exports everything
    they may see: nothing of the first organization's persons, staff or audit log."""
    from pillars.people.models import Organization, Site
    from pillars.people.testing import PersonFactory, StaffFactory, make_unit, place

    other = Organization.objects.create(name="Elsewhere Health")
    unit, beds = make_unit(Site.objects.create(organization=other, name="Far campus"), "q")
    privacy = StaffFactory.create(username="elsewhere-privacy", roles=["privacy"], units=[unit])
    nurse = StaffFactory.create(username="elsewhere-nurse", roles=["nurse"], units=[unit])
    place(
        PersonFactory.create(
            record_number="MRN-Q1", legal_family_name="Quillon", organization=other
        ),
        unit,
        beds[0],
        nurse,
    )
    client = bearer(world, privacy.user)
    _, job = kick_off(client)
    text = json.dumps(download(client, finished(client, job)))
    assert "Quillon" in text
    mine = [world.person_a, world.person_b]
    for secret in [p.legal_family_name for p in mine] + [str(p.public_id) for p in mine]:
        assert secret not in text
    assert world.staff["nurse"].display_name not in text
