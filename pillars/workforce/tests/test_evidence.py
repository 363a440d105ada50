"""Evidence downloads: the owner, their supervisor and administrators get the file as an
attachment under a name made from the record, with its checked type, never cached or sniffed,
and the read is audited; the director (who reads the records) is refused, anyone else is told
nothing exists; a record without evidence is 404."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from pillars.audit.models import AuditEvent
from pillars.audit.testing import last_seq
from pillars.core import clock
from pillars.people.testing import World
from pillars.workforce.models.credentials import CeCategory, Credential
from pillars.workforce.models.trainings import Course
from pillars.workforce.services import credentials as services
from pillars.workforce.services.trainings import record_completion
from pillars.workforce.tests.test_credentials import PDF, PNG, kind

pytestmark = pytest.mark.django_db


@pytest.fixture
def card(world: World) -> Any:
    c = services.record_credential(
        world.staff["bht"],
        actor=world.user("bht"),
        credential_type=kind("cpr-bls"),
        issued_on=clock.organization_today(),
        evidence=SimpleUploadedFile('card"; filename=evil.html', PDF),
    )
    yield c
    c.evidence.delete(save=False)


def _body(response: Any) -> bytes:
    return b"".join(response.streaming_content)


@pytest.mark.parametrize("who", ["bht", "supervisor", "admin"])
def test_who_may_download_gets_a_safe_attachment_and_the_read_is_audited(
    world: World, signed_in: Any, card: Credential, who: str
) -> None:
    before = last_seq()
    response = signed_in(who).get(reverse("workforce:credential-evidence", args=[card.public_id]))
    assert response.status_code == 200
    assert _body(response) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        f'attachment; filename="credential-{card.public_id}.pdf"'
    )
    assert "evil" not in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store"
    [event] = AuditEvent.objects.filter(
        seq__gt=before, action="view", object_type="workforce.credential"
    ).filter(detail__what="evidence")
    assert event.actor == world.user(who)
    assert event.object_id == str(world.staff["bht"].public_id)
    assert event.detail["record"] == f"workforce.credential:{card.public_id}"


@pytest.mark.parametrize(("who", "status"), [("director", 403), ("nurse", 404), ("outsider", 404)])
def test_others_are_refused(
    world: World, signed_in: Any, card: Credential, who: str, status: int
) -> None:
    response = signed_in(who).get(reverse("workforce:credential-evidence", args=[card.public_id]))
    assert response.status_code == status


def test_no_evidence_is_404_and_a_stored_odd_type_goes_as_octet_stream(
    world: World, signed_in: Any, card: Credential
) -> None:
    bare = services.record_credential(
        world.staff["bht"],
        actor=world.user("bht"),
        credential_type=kind("nci"),
        issued_on=clock.organization_today(),
    )
    bht = signed_in("bht")
    assert bht.get(reverse("workforce:credential-evidence", args=[bare.public_id])).status_code == (
        404
    )
    Credential.objects.filter(pk=card.pk).update(evidence_content_type="text/html")
    response = bht.get(reverse("workforce:credential-evidence", args=[card.public_id]))
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].endswith('.bin"')


def test_ce_and_training_evidence_and_the_links_on_the_page(world: World, signed_in: Any) -> None:
    today = clock.organization_today()
    ce = services.record_ce(
        world.staff["bht"],
        actor=world.user("bht"),
        category=CeCategory.objects.order_by("pk")[0],
        title="Ethics",
        completed_on=today,
        hours=3,
        evidence=SimpleUploadedFile("ce.png", PNG),
    )
    done = record_completion(
        world.staff["bht"],
        actor=world.user("bht"),
        course=Course.objects.get(code="observation"),
        completed_on=today,
        evidence=SimpleUploadedFile("done.pdf", PDF),
    )
    try:
        supervisor = signed_in("supervisor")
        got = supervisor.get(reverse("workforce:ce-evidence", args=[ce.public_id]))
        assert got["Content-Type"] == "image/png"
        assert _body(got) == PNG
        got = supervisor.get(reverse("workforce:completion-evidence", args=[done.public_id]))
        assert got["Content-Disposition"].startswith('attachment; filename="trainingcompletion-')
        page = supervisor.get(
            reverse("workforce:staff-credentials", args=[world.staff["bht"].public_id])
        ).content.decode()
        assert reverse("workforce:ce-evidence", args=[ce.public_id]) in page
        director = signed_in("director").get(
            reverse("workforce:staff-credentials", args=[world.staff["bht"].public_id])
        )
        link = reverse("workforce:ce-evidence", args=[ce.public_id])
        assert link not in director.content.decode()
    finally:
        ce.evidence.delete(save=False)
        done.evidence.delete(save=False)
