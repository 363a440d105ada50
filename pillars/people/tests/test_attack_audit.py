"""A privacy surveyor's and an admissions surveyor's audit: beds double-booked by a backdated
admission or transfer, an emergency access reviewed by the one who opened it or before its window
closed, the accounting of disclosures naming a consent for an emergency read, and consent dates
read on UTC's calendar instead of the program's."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from pypdf import PdfReader

from pillars.audit import log as audit
from pillars.audit.choices import Action, Category
from pillars.core import clock, policy
from pillars.core.errors import ValidationError
from pillars.core.roles import RoleCode
from pillars.people import consent_pdf, consents, selectors, services
from pillars.people.models import Episode, Placement
from pillars.people.testing import World, make_person, make_staff
from pillars.people.tests.part2_support import build_story
from pillars.people.tests.test_part2_consents import consent_for

pytestmark = pytest.mark.django_db

# 03:00 UTC is 21:00 the evening before in Chicago (the units' zone).
EVENING = datetime(2026, 12, 9, 3, 0, tzinfo=UTC)


def _episode(world: World) -> Episode:
    return Episode.objects.get(person=world.person_a, discharged_at__isnull=True)


# --- Beds: a backdated move cannot put two persons in one bed -----------------------------------


def _moved_to_bed_1(world: World, now: datetime) -> None:
    """Person A slept in bed 0 until an hour ago, then moved to bed 1."""
    services.transfer_person(
        _episode(world),
        actor=world.user("nurse"),
        unit=world.unit_a,
        bed=world.beds_a[1],
        moved_at=now - timedelta(hours=1),
    )


def test_a_backdated_admission_into_a_bed_then_occupied_is_refused(world: World) -> None:
    nurse = world.user("nurse")
    now = clock.now()
    _moved_to_bed_1(world, now)
    newcomer = make_person("MRN-N1", "Newcomer")
    with pytest.raises(ValidationError, match="occupied"):
        services.admit_person(
            newcomer,
            actor=nurse,
            unit=world.unit_a,
            bed=world.beds_a[0],
            admitted_at=now - timedelta(hours=3),
        )
    assert not Placement.objects.filter(episode__person=newcomer).exists()


def test_a_backdated_transfer_into_a_bed_then_occupied_is_refused(world: World) -> None:
    nurse = world.user("nurse")
    now = clock.now()
    _moved_to_bed_1(world, now)
    other = make_person("MRN-N2", "Other")
    episode = services.admit_person(
        other,
        actor=nurse,
        unit=world.unit_a,
        bed=world.beds_a[2],
        admitted_at=now - timedelta(hours=2),
    )
    services.transfer_person(
        episode,
        actor=nurse,
        unit=world.unit_a,
        bed=world.beds_a[3],
        moved_at=now - timedelta(minutes=30),
    )
    # Bed 2 held the other person until 30 minutes ago: A cannot have moved in 50 minutes ago.
    with pytest.raises(ValidationError, match="occupied"):
        services.transfer_person(
            _episode(world),
            actor=nurse,
            unit=world.unit_a,
            bed=world.beds_a[2],
            moved_at=now - timedelta(minutes=50),
        )
    # Moving in once the bed was free again is fine (the other person left at that moment).
    services.transfer_person(
        _episode(world),
        actor=nurse,
        unit=world.unit_a,
        bed=world.beds_a[2],
        moved_at=now - timedelta(minutes=30),
    )


# --- Emergency access: reviewed by someone else, after the window --------------------------------


def test_nobody_reviews_their_own_emergency_access(world: World) -> None:
    dual = make_staff("privacy-nurse", [RoleCode.PRIVACY, RoleCode.NURSE], [world.unit_a])
    grant = services.start_emergency_access(
        world.person_b,
        actor=dual.user,
        reason="Found in the lobby, needs an allergy check",
        minutes=1,
    )
    with time_machine.travel(clock.now() + timedelta(minutes=5), tick=False):
        policy.forget(dual.user)
        assert grant.pk not in {g.pk for g in selectors.grants_awaiting_review(dual.user)}
        with pytest.raises(PermissionDenied):
            services.review_emergency_access(grant, actor=dual.user, finding="appropriate")
        # The other privacy officer still reviews it.
        services.review_emergency_access(grant, actor=world.user("privacy"), finding="appropriate")


def test_an_emergency_access_is_reviewed_only_after_its_window(world: World) -> None:
    grant = services.start_emergency_access(
        world.person_b,
        actor=world.user("nurse"),
        reason="Found in the lobby, needs a check",
        minutes=30,
    )
    privacy = world.user("privacy")
    with pytest.raises(ValidationError, match="still open"):
        services.review_emergency_access(grant, actor=privacy, finding="appropriate")
    grant.refresh_from_db()
    assert grant.reviewed_at is None
    with time_machine.travel(grant.expires_at, tick=False):
        services.review_emergency_access(grant, actor=privacy, finding="appropriate")


# --- The accounting of disclosures -------------------------------------------------------------


def test_an_emergency_disclosure_is_not_accounted_as_made_under_a_consent(world: World) -> None:
    story = build_story(world)
    consent = consent_for(story)
    # One copy held records opened by a consent and others opened by an emergency grant.
    audit.record(
        actor=world.user("nurse"),
        action=Action.EXPORT,
        object_type="incidents.safetyplanversion",
        object_id="pdf",
        person_id=story.person.public_id,
        category=Category.SUBSTANCE_USE,
        detail={
            "format": "pdf",
            "disclosure": ["consent", "emergency"],
            "consent_ids": [str(consent.public_id)],
        },
    )
    rows = consents.disclosures_of(world.user("privacy"), story.person)
    by_basis = {row.basis: row for row in rows}
    assert set(by_basis) == {"consent", "emergency"}
    assert by_basis["consent"].consent == consent
    assert by_basis["emergency"].consent is None


def test_a_copy_of_several_persons_records_is_accounted_to_each_of_them(world: World) -> None:
    """One export holding a Part 2 record opened by a consent beside another person's record:
    the consent's person finds it in their accounting of disclosures (42 CFR 2.24), though the
    copy names no one person."""
    from pillars.core import exports

    story = build_story(world)
    consent = consent_for(story)
    exports.release(
        world.user("nurse"),
        what="handoff",
        fmt="csv",
        records=[story.safety, world.person_a],
    )
    rows = consents.disclosures_of(world.user("privacy"), story.person)
    # The read that found the record to copy is accounted too, as every read under a consent.
    assert ("Copy (CSV)", "consent", consent) in [(row.how, row.basis, row.consent) for row in rows]
    assert consents.disclosures_of(world.user("privacy"), world.person_a) == []


# --- Consent dates on the program's calendar ---------------------------------------------------


def test_the_person_page_counts_a_consent_in_force_on_the_programs_day(
    world: World, signed_in: Any
) -> None:
    with time_machine.travel(EVENING, tick=False):
        story = build_story(world)
        # Expires at the end of today in Chicago (December 8); UTC is already on the 9th.
        consent_for(
            story,
            signed_on=clock.today_in("America/Chicago") - timedelta(days=10),
            expires_on=clock.today_in("America/Chicago"),
        )
        body = signed_in("nurse").get(
            reverse("people:person-detail", args=[story.person.public_id])
        )
        assert "1 active consent" in body.content.decode()


def test_the_revocation_date_on_the_form_is_the_programs_day(world: World) -> None:
    with time_machine.travel(EVENING, tick=False):
        story = build_story(world)
        consent = consent_for(story)
        consent = consents.revoke_consent(
            consent, actor=world.user("privacy"), received_as="letter"
        )
        text = "".join(
            page.extract_text() for page in PdfReader(io.BytesIO(consent_pdf.render(consent))).pages
        )
        assert "REVOKED on December 08, 2026" in text


def test_the_consent_form_offers_the_programs_day_as_the_signature_date(
    world: World, signed_in: Any
) -> None:
    with time_machine.travel(EVENING, tick=False):
        story = build_story(world)
        body = signed_in("privacy").get(
            reverse("people:consent-create", args=[story.person.public_id])
        )
        assert body.status_code == 200
        assert 'value="2026-12-08"' in body.content.decode()


def test_the_printed_accounting_never_calls_a_consent_disclosure_an_emergency(
    world: World, signed_in: Any
) -> None:
    story = build_story(world)
    # A copy made under a consent the accounting cannot show (another person's, in a copy of
    # several persons' records): still a consent disclosure, never a medical emergency.
    audit.record(
        actor=world.user("nurse"),
        action=Action.EXPORT,
        object_type="incidents.safetyplanversion",
        object_id="pdf",
        person_id=story.person.public_id,
        category=Category.SUBSTANCE_USE,
        detail={"format": "pdf", "disclosure": ["consent"], "consent_ids": [str(uuid.uuid4())]},
    )
    answer = signed_in("privacy").get(
        reverse("people:disclosure-accounting-print", args=[story.person.public_id])
    )
    assert answer.status_code == 200
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(answer.content)).pages)
    assert "Copy (PDF)" in text
    assert "Medical emergency" not in text


def test_an_expiry_event_before_the_signature_is_refused(world: World) -> None:
    story = build_story(world)
    today = clock.today_in("America/Chicago")
    consent = consent_for(
        story, signed_on=today - timedelta(days=3), expires_on=None, expiry_event="Discharge"
    )
    # The event that ends a consent cannot have happened before the person signed it.
    with pytest.raises(ValidationError, match="before"):
        consents.record_expiry_event(
            consent, actor=world.user("privacy"), occurred_on=today - timedelta(days=4)
        )
    consent.refresh_from_db()
    assert consent.expiry_event_on is None


def test_a_role_change_revokes_the_api_tokens_made_under_the_old_roles(world: World) -> None:
    """A token made by password alone, as a peer, must not keep working once its owner is made
    a director (a role that asks for the second step), with the director's rights."""
    from pillars.core.models import ApiToken
    from pillars.core.tests.api_support import api_as
    from pillars.people import services

    peer = world.staff["peer"]
    api = api_as(peer.user)
    assert api.get("/persons").status_code == 200
    services.set_roles(peer, actor=world.user("admin"), roles=["peer", "director"])
    assert not ApiToken.objects.filter(user=peer.user, revoked_at__isnull=True).exists()
    assert api.get("/persons").status_code == 401
