"""Part 2 (substance-use) records in the FHIR bulk export: withheld (and said so, with the count
small-cell suppressed) unless a consent from the person names the requester; then they leave
with the 42 CFR Part 2 security label and the notice."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from pillars.audit.models import AuditEvent
from pillars.core import clock
from pillars.insights.fhir.models import ExportJob
from pillars.insights.fhir.tasks import run_export
from pillars.insights.tests.fhir_support import bearer, download, path_of, unresolved
from pillars.people import consents
from pillars.people.testing import World
from pillars.people.tests.part2_support import Part2Story, build_story

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def export_dir(settings: Any, tmp_path: Path) -> Path:
    settings.FHIR_EXPORT_DIR = str(tmp_path / "fhir")
    return tmp_path / "fhir"


@pytest.fixture
def story(world: World) -> Part2Story:
    return build_story(world)


def consent_for_directors(story: Part2Story, kinds: list[str]) -> Any:
    today = clock.today_in(story.sud.time_zone)  # the program's date, as the service reads it
    return consents.record_consent(
        story.person,
        actor=story.world.user("privacy"),
        programs=[story.sud],
        information_kinds=kinds,
        information_description="Safety plan and rounds from the recovery program.",
        purposes=["tpo"],
        recipients=[{"kind": "role", "role": "director"}],
        expires_on=today + timedelta(days=90),
        signed_by="person",
        signer_name="Alex Delgado",
        signed_on=today,
    )


def export(client: Any, url: str = "/fhir/$export") -> tuple[dict[str, Any], dict[str, Any]]:
    response = client.get(url)
    assert response.status_code == 202
    job = ExportJob.objects.get(public_id=response["Content-Location"].split("/")[-1])
    assert run_export.call(job.pk) == "done"
    manifest = json.loads(client.get(f"/fhir/$export-status/{job.public_id}").content)
    return manifest, download(client, manifest)


def part2_ids(story: Part2Story) -> dict[str, str]:
    return {
        "check": str(story.check.public_id),
        "plan": str(story.plan.public_id),
        "record": str(story.record.public_id),
        "safety": str(story.safety.public_id),
    }


@pytest.mark.parametrize("role", ["director", "privacy", "sud_director"])
def test_part2_records_are_withheld_without_a_consent(story: Part2Story, role: str) -> None:
    # Not even the program's own director or the privacy officer takes them out in bulk.
    client = bearer(story.world, story.user(role))
    manifest, found = export(client)
    body = json.dumps(found)
    assert all(r.is_part2 for r in (story.check, story.plan, story.record, story.safety))
    for name, public_id in part2_ids(story).items():
        assert public_id not in body, f"{name} leaked to {role}"
    assert "42CFRPart2" not in body
    # The stay on the substance-use program's unit is not named either.
    assert str(story.sud.public_id) not in json.dumps(found.get("Encounter", []))
    assert unresolved(found) == set()
    notes = [i["diagnostics"] for o in found["OperationOutcome"] for i in o["issue"]]
    withheld = [n for n in notes if "42 CFR Part 2" in n]
    assert withheld
    assert all("fewer than 11" in n for n in withheld)
    assert "extension" not in manifest


def test_group_of_a_part2_program_holds_no_one_without_consent(story: Part2Story) -> None:
    client = bearer(story.world, "director")
    _, found = export(client, f"/fhir/Group/{story.sud.public_id}/$export")
    assert "Patient" not in found
    notes = [i["diagnostics"] for o in found["OperationOutcome"] for i in o["issue"]]
    assert any(n.startswith("Patient: fewer than 11") for n in notes)


def test_a_consent_naming_the_requester_lets_its_kinds_leave_labelled(
    story: Part2Story,
) -> None:
    consent = consent_for_directors(story, ["safety_plan", "rounds"])
    client = bearer(story.world, "director")
    manifest, found = export(client)
    ids = part2_ids(story)
    by_id = {r["id"]: r for items in found.values() for r in items}
    label = {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "42CFRPart2"}
    for name in ("check", "safety"):
        security = by_id[ids[name]]["meta"]["security"]
        assert any(label.items() <= s.items() for s in security), name
    # Behavior records are not among the consent's kinds: still withheld.
    assert ids["record"] not in by_id
    assert ids["plan"] not in by_id
    # The consent itself leaves, labelled, because it names the requester.
    assert str(consent.public_id) in by_id
    assert by_id[str(consent.public_id)]["meta"]["security"][0]["code"] == "42CFRPart2"
    assert unresolved(found) == set()
    # The manifest carries the notice and the consent relied on; each Part 2 file its header.
    assert str(consent.public_id) in manifest["extension"]["urn:pillars:part2-consents"]
    assert "42 CFR part 2" in manifest["extension"]["urn:pillars:part2-notice"]
    careplans = next(e for e in manifest["output"] if e["type"] == "CarePlan")
    response = client.get(path_of(careplans["url"]))
    assert response["Part2-Notice"].startswith("42 CFR part 2")
    event = AuditEvent.objects.filter(object_type="fhir.CarePlan").latest("seq")
    assert event.category == "part2"
    assert str(consent.public_id) in event.detail["export_consents"]
    assert event.detail["disclosure"] == ["consent"]
    assert len(event.detail["consent_ids"]) == 1  # the grant's id, as the label guard names it


def test_a_consent_revoked_after_the_export_closes_its_files(story: Part2Story) -> None:
    consent = consent_for_directors(story, ["safety_plan", "rounds"])
    client = bearer(story.world, "director")
    manifest, _ = export(client)
    consents.revoke_consent(consent, actor=story.world.user("privacy"), received_as="letter")
    careplans = next(e for e in manifest["output"] if e["type"] == "CarePlan")
    assert bearer(story.world, "director").get(path_of(careplans["url"])).status_code == 404
    patients = next(e for e in manifest["output"] if e["type"] == "Patient")
    assert bearer(story.world, "director").get(path_of(patients["url"])).status_code == 200


def test_a_revoked_consent_lets_nothing_leave(story: Part2Story) -> None:
    consent = consent_for_directors(story, ["safety_plan", "rounds"])
    consents.revoke_consent(consent, actor=story.world.user("privacy"), received_as="letter")
    client = bearer(story.world, "director")
    _, found = export(client)
    body = json.dumps(found)
    assert str(story.safety.public_id) not in body
    assert str(consent.public_id) not in body


def test_someone_only_ever_in_the_program_is_not_in_the_export(story: Part2Story) -> None:
    from pillars.people.testing import make_person, place

    only = make_person("MRN-S2", "Nakamura")
    place(only, story.sud, None, story.sud_nurse)
    client = bearer(story.world, "director")
    _, found = export(client)
    patients = {p["id"] for p in found["Patient"]}
    assert str(only.public_id) not in patients
    assert str(story.person.public_id) in patients  # transferred out: a stay elsewhere too
    assert "Nakamura" not in json.dumps(found)
    assert "MRN-S2" not in json.dumps(found)
    # Under a consent from that person naming directors, the person and the stay leave.
    today = clock.today_in(story.sud.time_zone)  # the program's date, as the service reads it
    consents.record_consent(
        only,
        actor=story.world.user("privacy"),
        programs=[story.sud],
        information_kinds=["rounds"],
        information_description="Rounds in the recovery program.",
        purposes=["tpo"],
        recipients=[{"kind": "role", "role": "director"}],
        expires_on=today + timedelta(days=30),
        signed_by="person",
        signer_name="Kai Nakamura",
        signed_on=today,
    )
    _, found = export(bearer(story.world, "director"))
    assert str(only.public_id) in {p["id"] for p in found["Patient"]}
    stays = [
        loc["location"]["reference"]
        for enc in found["Encounter"]
        if enc["subject"]["reference"] == f"Patient/{only.public_id}"
        for loc in enc.get("location", [])
    ]
    assert stays == [f"Location/{story.sud.public_id}"]
    assert unresolved(found) == set()
