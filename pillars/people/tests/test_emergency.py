"""Break the glass: exact lookup, reason, time box, every read audited, privacy review."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.urls import reverse

from pillars.audit.models import AuditEvent
from pillars.core import clock
from pillars.people.models import EmergencyAccess, PersonServed
from pillars.people.testing import World

START = reverse("people:emergency-start")
REVIEWS = reverse("people:emergency-review-list")


def person_b(world: World) -> PersonServed:
    assert world.person_b is not None
    return world.person_b


def detail(person: PersonServed) -> str:
    return reverse("people:person-detail", args=[person.public_id])


def test_lookup_shows_only_name_and_date_of_birth(world: World, signed_in: Any) -> None:
    client = signed_in("nurse")
    assert client.get(detail(person_b(world))).status_code == 404
    response = client.post(START, {"record_number": "mrn-b1"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "Alex Okafor" in body
    assert "1990-05-17" in body
    # Not the unit, the bed or the record: only enough to confirm identity.
    assert "Unit B" not in body
    assert "B100" not in body
    lookup = AuditEvent.objects.filter(action="search").order_by("-seq").first()
    assert lookup is not None
    assert (lookup.purpose, lookup.person_id) == ("emergency", person_b(world).public_id)
    assert not EmergencyAccess.objects.exists()


def test_unknown_record_number_is_said_plainly_and_audited(world: World, signed_in: Any) -> None:
    response = signed_in("clinician").post(START, {"record_number": "Okafor"})
    assert response.status_code == 200
    assert "No person served has that record number." in response.content.decode()
    lookup = AuditEvent.objects.filter(action="search").order_by("-seq").first()
    assert lookup is not None
    assert lookup.outcome == "failed"


def test_a_record_already_in_scope_needs_no_emergency(world: World, signed_in: Any) -> None:
    assert world.person_a is not None
    response = signed_in("nurse").post(START, {"record_number": "MRN-A1"})
    assert response["Location"] == detail(world.person_a)
    assert not EmergencyAccess.objects.exists()


def test_reason_is_required(world: World, signed_in: Any) -> None:
    response = signed_in("nurse").post(
        START, {"person": str(person_b(world).public_id), "reason": "urgent", "minutes": "60"}
    )
    assert response.status_code == 200
    assert "at least 10 characters" in response.content.decode()
    assert not EmergencyAccess.objects.exists()


@pytest.mark.parametrize("role", ["bht", "peer", "supervisor", "director", "privacy", "admin"])
def test_ineligible_roles_cannot_break_the_glass(world: World, signed_in: Any, role: str) -> None:
    client = signed_in(role)
    assert client.get(START).status_code == 403
    response = client.post(START, {"record_number": "MRN-B1"})
    assert response.status_code == 403
    assert "Okafor" not in response.content.decode()
    response = client.post(
        START,
        {"person": str(person_b(world).public_id), "reason": "a long enough reason", "minutes": 60},
    )
    assert response.status_code == 403
    assert not EmergencyAccess.objects.exists()


def test_grant_opens_the_record_with_a_banner_until_expiry_then_review(
    world: World, signed_in: Any
) -> None:
    person = person_b(world)
    with time_machine.travel(clock.now(), tick=False) as traveller:
        client = signed_in("nurse")
        response = client.post(
            START,
            {
                "person": str(person.public_id),
                "reason": "Found on our unit's stairwell, needs allergy check",
                "minutes": "30",
            },
        )
        assert response["Location"] == detail(person)
        grant = EmergencyAccess.objects.get()
        assert grant.expires_at == grant.started_at + timedelta(minutes=30)
        until = clock.local(grant.expires_at, "America/Chicago")

        body = client.get(detail(person)).content.decode()
        assert "Emergency access" in body
        assert f"until {until:%H:%M}" in body
        read = AuditEvent.objects.filter(action="view", person_id=person.public_id).last()
        assert read is not None
        assert read.purpose == "emergency"
        # Reading only: no way to change the record or move the person under the grant.
        transfer = reverse("people:person-transfer", args=[person.public_id])
        assert transfer not in body
        assert client.get(transfer).status_code == 403
        edit = reverse("people:person-edit", args=[person.public_id])
        assert client.post(edit, {"record_number": "X"}).status_code == 403

        # Step through the window (each read inside it keeps the session from idling out).
        for _ in range(2):
            traveller.shift(timedelta(minutes=10))
            assert client.get(detail(person)).status_code == 200
        traveller.shift(timedelta(minutes=10))  # exactly at expiry: closed again
        assert client.get(detail(person)).status_code == 404

        privacy = signed_in("privacy")
        body = privacy.get(REVIEWS).content.decode()
        assert "T Nurse opened Alex Okafor" in body
        assert "Found on our unit" in body
        assert "(this person)" in body  # the audited read during the window is listed
        review = reverse("people:emergency-review", args=[grant.public_id])
        prefix = str(grant.public_id)
        response = privacy.post(review, {f"{prefix}-finding": "inappropriate"})
        assert response.status_code == 200
        assert "Say what was inappropriate." in response.content.decode()
        response = privacy.post(
            review, {f"{prefix}-finding": "appropriate", f"{prefix}-note": "Confirmed"}
        )
        assert response.status_code == 302
        grant.refresh_from_db()
        assert grant.finding == "appropriate"
        assert grant.reviewed_by == world.staff["privacy"]
        assert "Nothing is waiting for review." in privacy.get(REVIEWS).content.decode()
        # Reviewing twice is refused without changing the finding.
        response = privacy.post(
            review, {f"{prefix}-finding": "inappropriate", f"{prefix}-note": "x"}
        )
        assert response.status_code == 200
        grant.refresh_from_db()
        assert grant.finding == "appropriate"


def test_only_privacy_reviews(world: World, signed_in: Any) -> None:
    from pillars.people import services

    grant = services.start_emergency_access(
        person_b(world), actor=world.user("nurse"), reason="Needed to check a safety plan"
    )
    review = reverse("people:emergency-review", args=[grant.public_id])
    assert signed_in("nurse").post(review, {}).status_code == 403  # own grant: visible, not theirs
    assert signed_in("clinician").post(review, {}).status_code == 404  # someone else's grant
    assert signed_in("director").get(REVIEWS).status_code == 403
    body = signed_in("privacy").get(reverse("core:home")).content.decode()
    assert "1 emergency access is waiting for your review." in body
