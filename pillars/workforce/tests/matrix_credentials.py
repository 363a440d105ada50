"""Permission matrix for credentials: one's own page, a staff member's page (the BHT of the
test world: their own, their supervisor's, leaders'), recording a credential or CE hours, the
verification queue and its decisions, the compliance overview and its export, and the API.
Fixture: one CPR/BLS credential of the BHT, not yet verified."""

from __future__ import annotations

from typing import Any

from pillars.core import clock
from pillars.core.tests.matrix_support import Case
from pillars.people.testing import World
from pillars.workforce.models.credentials import Credential, CredentialType


def bht(w: World, extra: dict[str, Any]) -> dict[str, Any]:
    return {"public_id": w.staff["bht"].public_id}


def credential(w: World, extra: dict[str, Any]) -> dict[str, Any]:
    return {"public_id": extra["credential"].public_id}


def evidenced(key: str) -> Any:
    return lambda w, extra: {"public_id": extra[key].public_id}


#                                                 bht nur cli pee sup dir pri adm out anon
PAGES: dict[str, Case] = {
    "workforce:my-credentials": Case("GET", "A A A A A A A A A L"),
    "workforce:staff-credentials": Case("GET", "A F F F A A F A N L", bht),
    "workforce:credential-new": Case("GET", "A F F F F F F A N L", bht),
    "workforce:ce-new": Case("GET", "A F F F F F F A N L", bht),
    "workforce:verification-queue": Case("GET", "F F F F F F F A F L"),
    "workforce:credential-verify": Case("POST", "F N N N F F N A N L", credential),
    "workforce:credential-waive": Case("POST", "F N N N F F N A N L", credential),
    # Evidence files: the owner, their supervisor, administrators; the director reads the
    # records but not the scans.
    "workforce:credential-evidence": Case("GET", "A N N N A F N A N L", evidenced("evidenced")),
    "workforce:ce-evidence": Case("GET", "A N N N A F N A N L", evidenced("evidenced_ce")),
    "workforce:completion-evidence": Case(
        "GET", "A N N N A F N A N L", evidenced("evidenced_completion")
    ),
    "workforce:compliance": Case("GET", "F F F F F A F A F L"),
    "workforce:compliance-csv": Case("GET", "F F F F F A F A F L"),
}

#                                                 bht nur cli pee sup dir pri adm out anon
API: dict[str, Case] = {
    "GET /api/v1/workforce/credentials/mine": Case("GET", "A A A A A A A A A U"),
    "GET /api/v1/workforce/staff/{public_id}/credentials": Case("GET", "A F F F A A F A N U", bht),
    "POST /api/v1/workforce/staff/{public_id}/credentials": Case(
        "POST",
        "A F F F F F F A N U",
        bht,
        body=lambda w, who: {"type_code": "cpr-bls", "issued_on": "2025-01-15"},
    ),
    "POST /api/v1/workforce/credentials/{public_id}/verify": Case(
        "POST",
        "F N N N F F N A N U",
        credential,
        body=lambda w, who: {"method": "primary source website"},
    ),
    "POST /api/v1/workforce/credentials/{public_id}/waive": Case(
        "POST",
        "F N N N F F N A N U",
        credential,
        body=lambda w, who: {"reason": "Renewal in the mail"},
    ),
    "POST /api/v1/workforce/staff/{public_id}/ce": Case(
        "POST",
        "A F F F F F F A N U",
        bht,
        body=lambda w, who: {
            "category_code": "ethics",
            "title": "Ethics refresher",
            "completed_on": "2025-01-15",
            "hours": "3",
        },
    ),
    "GET /api/v1/workforce/compliance": Case("GET", "F F F F F A F A F U"),
}


def make_credential(world: World) -> Credential:
    kind = CredentialType.objects.get(code="cpr-bls", is_current=True)
    today = clock.organization_today()
    return Credential.objects.create(
        staff=world.staff["bht"],
        credential_type=kind,
        issued_on=today.replace(day=1),
        expires_on=kind.expires_on_for(today.replace(day=1)),
        recorded_by=world.staff["bht"],
        recorded_at=clock.now(),
    )


# One small PDF kept at a fixed name, so the matrix runs leave one file behind, not one each.
MATRIX_EVIDENCE = "workforce/evidence/matrix/evidence.pdf"


def with_evidence(record: Any) -> Any:
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    if not default_storage.exists(MATRIX_EVIDENCE):
        default_storage.save(MATRIX_EVIDENCE, ContentFile(b"%PDF-1.4\n%%EOF\n"))
    type(record).objects.filter(pk=record.pk).update(
        evidence=MATRIX_EVIDENCE, evidence_content_type="application/pdf", evidence_size=15
    )
    record.refresh_from_db()
    return record


def fixtures(world: World, extra: dict[str, Any]) -> None:
    from pillars.workforce.models.credentials import CeCategory, CeRecord
    from pillars.workforce.models.trainings import Course, TrainingCompletion

    extra["credential"] = make_credential(world)
    extra["evidenced"] = with_evidence(make_credential(world))
    now = clock.now()
    bht = world.staff["bht"]
    extra["evidenced_ce"] = with_evidence(
        CeRecord.objects.create(
            staff=bht,
            category=CeCategory.objects.order_by("pk")[0],
            title="Ethics refresher",
            completed_on=clock.organization_today(),
            hours=3,
            recorded_by=bht,
            recorded_at=now,
        )
    )
    course = Course.objects.order_by("pk").first()
    assert course is not None
    extra["evidenced_completion"] = with_evidence(
        TrainingCompletion.objects.create(
            staff=bht,
            course=course,
            completed_on=clock.organization_today(),
            recorded_by=bht,
            recorded_at=now,
        )
    )


def fuzz_ids(world: World) -> dict[str, str]:
    found = Credential.objects.filter(staff=world.staff["bht"]).first() or make_credential(world)
    return {
        "/api/v1/workforce/staff/": str(world.staff["bht"].public_id),
        "/api/v1/workforce/credentials/": str(found.public_id),
    }
