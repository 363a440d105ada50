"""API writes for waivers, CE hours and training completions: each goes through its service
(result and audit event), replays are harmless, and bad input is a 422 that stores nothing
(NUL bytes, unknown codes, bad base64, dates out of range, hours out of range)."""

from __future__ import annotations

import base64
import uuid
from datetime import timedelta
from typing import Any

import pytest

from pillars.audit.models import AuditEvent
from pillars.core import clock
from pillars.core.tests.api_support import api_as, assert_problem
from pillars.people.testing import World
from pillars.workforce.models.credentials import CeRecord, Credential
from pillars.workforce.models.trainings import TrainingCompletion
from pillars.workforce.tests.test_credentials import PDF
from pillars.workforce.tests.test_floor import hold

pytestmark = pytest.mark.django_db


def _last(object_type: str) -> AuditEvent:
    event = AuditEvent.objects.filter(object_type=object_type).order_by("-seq").first()
    assert event is not None
    return event


def test_an_administrator_waives_through_the_api(world: World) -> None:
    card = hold(world, "bht", "nci", clock.organization_today() - timedelta(days=400))
    until = clock.organization_today() + timedelta(days=30)
    path = f"/workforce/credentials/{card.public_id}/waive"
    answer = api_as(world.user("admin")).post(
        path, {"reason": "Renewal in the mail", "until": until.isoformat()}
    )
    assert answer.status_code == 200, answer.content
    assert answer.json()["state"] == "waived"
    assert answer.json()["waived_until"] == until.isoformat()
    card.refresh_from_db()
    assert card.waiver_reason == "Renewal in the mail"
    assert _last("workforce.credential").actor == world.user("admin")
    assert_problem(api_as(world.user("bht")).post(path, {"reason": "Mine"}), 403)
    assert_problem(api_as(world.user("admin")).post(path, {"reason": "a\x00b"}), 422)
    past = (clock.organization_today() - timedelta(days=1)).isoformat()
    assert_problem(api_as(world.user("admin")).post(path, {"reason": "x", "until": past}), 422)


def test_ce_hours_through_the_api_with_evidence(world: World) -> None:
    api = api_as(world.user("bht"))
    path = f"/workforce/staff/{world.staff['bht'].public_id}/ce"
    body = {
        "category_code": "ethics",
        "title": "Ethics in peer work",
        "completed_on": clock.organization_today().isoformat(),
        "hours": "3.5",
        "evidence_base64": base64.b64encode(PDF).decode(),
    }
    answer = api.post(path, body)
    assert answer.status_code == 201, answer.content
    record = CeRecord.objects.get()
    try:
        assert answer.json()["public_id"] == str(record.public_id)
        assert str(record.hours) == "3.50"
        assert record.evidence_content_type == "application/pdf"
        event = _last("workforce.cerecord")
        assert event.actor == world.user("bht")
        assert event.action == "create"
    finally:
        record.evidence.delete(save=False)


@pytest.mark.parametrize(
    "change",
    [
        {"category_code": "no-such"},
        {"title": "a\x00b"},
        {"title": ""},
        {"hours": "0"},
        {"hours": "201"},
        {"hours": "NaN"},
        {"hours": "1.234"},
        {"completed_on": "1900-01-01"},
        {"completed_on": "2999-01-01"},
        {"evidence_base64": "!!"},
        {"evidence_base64": base64.b64encode(b"<html>").decode()},
    ],
)
def test_bad_ce_input_is_422_and_stores_nothing(world: World, change: dict[str, Any]) -> None:
    body = {
        "category_code": "ethics",
        "title": "Ethics",
        "completed_on": clock.organization_today().isoformat(),
        "hours": "3",
        **change,
    }
    answer = api_as(world.user("bht")).post(
        f"/workforce/staff/{world.staff['bht'].public_id}/ce", body
    )
    assert_problem(answer, 422)
    assert not CeRecord.objects.exists()


def test_training_completions_through_the_api_and_replays(world: World) -> None:
    api = api_as(world.user("admin"))
    path = f"/workforce/staff/{world.staff['bht'].public_id}/completions"
    today = clock.organization_today()
    body = {"course_code": "observation", "completed_on": today.isoformat()}
    key = {"Idempotency-Key": str(uuid.uuid4())}
    answer = api.post(path, body, headers=key)
    assert answer.status_code == 201, answer.content
    done = TrainingCompletion.objects.get()
    assert answer.json()["expires_on"] == done.expires_on.isoformat()  # type: ignore[union-attr]
    assert _last("workforce.trainingcompletion").actor == world.user("admin")
    again = api.post(path, body, headers=key)
    assert again.status_code == 201
    assert TrainingCompletion.objects.count() == 1
    for bad in (
        {"course_code": "no-such", "completed_on": today.isoformat()},
        {"course_code": "obs\x00", "completed_on": today.isoformat()},
        {"course_code": "observation", "completed_on": "1949-12-31"},
    ):
        assert_problem(api.post(path, bad), 422)
    assert TrainingCompletion.objects.count() == 1
    # Another staff member's record: a colleague may not.
    assert_problem(api_as(world.user("nurse")).post(path, body), 403)
    assert not Credential.objects.exists()
