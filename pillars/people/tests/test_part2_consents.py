"""Part 2 consents (42 CFR 2.31): every element, all gaps named at once, the readers a consent
opens records to (named staff, role, unit, "my treating providers") for its purpose and kinds,
expiry and written revocation taking effect at once; the pages, the printed form and the API."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.urls import reverse
from pypdf import PdfReader

from pillars.audit.models import AuditEvent
from pillars.core import clock, policy
from pillars.core.errors import ValidationError
from pillars.core.tests.api_support import api_as
from pillars.incidents.selectors import safety as safety_selectors
from pillars.people import consents
from pillars.people.consent_models import Consent
from pillars.people.testing import World
from pillars.people.tests.part2_support import Part2Story, build_story
from pillars.rounds.selectors import orders as order_selectors

pytestmark = pytest.mark.django_db


@pytest.fixture
def story(world: World) -> Part2Story:
    return build_story(world)


def fresh(user: Any) -> Any:
    """The next request's view of the user (the actor is computed once per request)."""
    policy.forget(user)
    return user


def consent_for(story: Part2Story, **over: Any) -> Consent:
    today = clock.today_in("America/Chicago")
    values: dict[str, Any] = {
        "programs": [story.sud],
        "information_kinds": ["safety_plan"],
        "information_description": "The safety plan written in the recovery program.",
        "purposes": ["tpo"],
        "recipients": [{"kind": "staff", "staff": story.world.staff["nurse"]}],
        "expires_on": today + timedelta(days=90),
        "signed_by": "person",
        "signer_name": "Alex Delgado",
        "signed_on": today,
    }
    values.update(over)
    return consents.record_consent(story.person, actor=story.world.user("privacy"), **values)


def test_a_consent_is_recorded_with_every_element_and_audited(story: Part2Story) -> None:
    consent = consent_for(story, expiry_event="Discharge from the acute unit")
    assert list(consent.programs.all()) == [story.sud]
    assert [r.label for r in consent.recipients.all()] == [story.world.staff["nurse"].display_name]
    event = AuditEvent.objects.get(object_id=str(consent.public_id), action="create")
    assert event.category == "part2"
    assert event.detail["purposes"] == ["tpo"]
    assert event.detail["programs"] == ["sud"]


def test_missing_recipient_purpose_and_expiry_are_all_named_and_nothing_is_stored(
    story: Part2Story,
) -> None:
    before = AuditEvent.objects.count()
    with pytest.raises(ValidationError) as refused:
        consent_for(
            story,
            recipients=[],
            purposes=[],
            expires_on=None,
            expiry_event="",
            signer_name="",
            information_kinds=[],
        )
    errors = refused.value.message_dict
    assert {"recipients", "purposes", "expires_on", "signer_name", "information_kinds"} <= set(
        errors
    )
    assert "recipient" in errors["recipients"][0].lower()
    assert Consent.objects.count() == 0
    assert AuditEvent.objects.count() == before


def test_bad_elements_are_refused(story: Part2Story) -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        ({"programs": [story.world.unit_a]}, "programs"),
        ({"recipients": [{"kind": "treating"}], "purposes": ["payment"]}, "recipients"),
        ({"signed_by": "representative"}, "representative_authority"),
        ({"purposes": ["other"]}, "purpose_description"),
        ({"signed_on": clock.today_in(story.sud.time_zone) + timedelta(days=3)}, "signed_on"),
        ({"recipients": [{"kind": "entity", "name": ""}]}, "recipients"),
    ]
    for over, field in cases:
        with pytest.raises(ValidationError) as refused:
            consent_for(story, **over)
        assert field in refused.value.message_dict, (over, refused.value.message_dict)


def test_a_consent_without_a_program_keeps_the_organizations_calendar(story: Part2Story) -> None:
    """With no program's zone to read its dates in, a consent's day is the organization's (as
    a referral's with no unit), never UTC's date, which runs ahead of it in the evening."""
    consent = consent_for(story)
    consent.programs.clear()
    evening = datetime(2027, 6, 11, 2, 0, tzinfo=UTC)  # 21:00 on June 10 in Chicago
    with time_machine.travel(evening, tick=False):
        assert consents.consent_today(consent) == date(2027, 6, 10)
        with pytest.raises(ValidationError) as refused:
            consent_for(story, programs=[], signed_on=date(2027, 6, 11))
    assert {"programs", "signed_on"} <= set(refused.value.message_dict)


def test_a_consent_naming_the_reader_opens_only_its_kinds_and_the_read_is_logged(
    story: Part2Story,
) -> None:
    nurse = story.world.user("nurse")
    assert list(safety_selectors.versions_of(story.person, nurse)) == []
    consent = consent_for(story)
    nurse = fresh(nurse)
    assert list(safety_selectors.versions_of(story.person, nurse)) == [story.safety]
    # Observation checks are not named by the consent: they stay hidden.
    assert order_selectors.order_history(story.person, nurse) == []
    event = AuditEvent.objects.get(object_id="part2-disclosure")
    assert event.detail["disclosure"] == "consent"
    assert event.detail["consent_id"] == str(consent.public_id)
    assert event.actor_id == nurse.pk
    # A colleague on the same unit who is not named sees nothing.
    assert list(safety_selectors.versions_of(story.person, story.world.user("bht"))) == []


def test_the_grants_of_a_named_reader_are_read_in_one_query(
    story: Part2Story, django_assert_max_num_queries: Any
) -> None:
    consent = consent_for(story, information_kinds=["safety_plan", "rounds"])
    actor = policy.actor_for(fresh(story.world.user("nurse")))
    # The consent's own columns a grant reads, its programs, recipients and the persons placed
    # with the reader, together: one round trip on every page of a reader a consent names.
    with django_assert_max_num_queries(1):
        grants = consents.grants_for(actor)
    assert grants == [
        consents.Grant(
            consent_id=consent.pk,
            public_id=consent.public_id,
            person_id=story.person.pk,
            unit_ids=frozenset({story.sud.pk}),
            kinds=frozenset({"safety_plan", "rounds"}),
            purpose_for_audit="treatment",
        )
    ]


@pytest.mark.parametrize(
    "recipient",
    [{"kind": "treating"}, {"kind": "role", "role": "nurse"}, {"kind": "unit", "unit": "unit_a"}],
)
def test_roles_units_and_treating_providers_are_recipients(
    story: Part2Story, recipient: dict[str, Any]
) -> None:
    if recipient.get("unit") == "unit_a":
        recipient = {**recipient, "unit": story.world.unit_a}
    consent_for(story, recipients=[recipient])
    nurse = fresh(story.world.user("nurse"))
    assert list(safety_selectors.versions_of(story.person, nurse)) == [story.safety]
    # Staff of another unit are neither treating providers nor that unit's team.
    outsider = story.world.user("outsider")
    assert list(safety_selectors.versions_of(story.person, outsider)) == []


def test_the_purpose_must_cover_the_read(story: Part2Story) -> None:
    consent_for(story, purposes=["payment"])
    nurse = fresh(story.world.user("nurse"))
    assert list(safety_selectors.versions_of(story.person, nurse)) == []


def test_an_expired_consent_opens_nothing(story: Part2Story) -> None:
    today = clock.today_in("America/Chicago")
    consent_for(story, signed_on=today - timedelta(days=40), expires_on=today - timedelta(days=1))
    nurse = fresh(story.world.user("nurse"))
    assert list(safety_selectors.versions_of(story.person, nurse)) == []


def test_a_consent_opens_through_its_last_day(story: Part2Story) -> None:
    today = clock.today_in("America/Chicago")
    consent_for(story, signed_on=today - timedelta(days=40), expires_on=today)
    nurse = fresh(story.world.user("nurse"))
    assert list(safety_selectors.versions_of(story.person, nurse)) == [story.safety]


def test_the_expiry_event_ends_it(story: Part2Story) -> None:
    consent = consent_for(story, expires_on=None, expiry_event="Discharge")
    nurse = fresh(story.world.user("nurse"))
    assert list(safety_selectors.versions_of(story.person, nurse)) == [story.safety]
    consents.record_expiry_event(
        consent, actor=story.world.user("privacy"), occurred_on=clock.today_in("America/Chicago")
    )
    nurse = fresh(nurse)
    assert list(safety_selectors.versions_of(story.person, nurse)) == []


def test_a_written_revocation_takes_effect_at_once(story: Part2Story, signed_in: Any) -> None:
    consent = consent_for(story)
    client = signed_in("nurse")
    url = reverse("incidents:safety-plan-version", args=[story.safety.public_id])
    assert client.get(url).status_code == 200
    privacy = signed_in("privacy")
    revoke = reverse("people:consent-revoke", args=[consent.public_id])
    # Not in writing: refused, the field named, nothing changed.
    answer = privacy.post(revoke, {"received_as": "", "note": ""})
    assert answer.status_code == 200
    assert "in writing" in answer.content.decode()
    consent.refresh_from_db()
    assert consent.revoked_at is None
    answer = privacy.post(revoke, {"received_as": "letter", "note": "Signed letter at the desk"})
    assert answer.status_code == 302
    consent.refresh_from_db()
    assert consent.revoked_by == story.world.staff["privacy"]
    assert consent.revoked_at is not None
    # The very next request of the nurse no longer finds the plan.
    assert client.get(url).status_code == 404
    event = AuditEvent.objects.get(object_id=str(consent.public_id), action="update")
    assert event.detail["event"] == "revoked"


def test_the_pages_list_create_show_and_print(story: Part2Story, signed_in: Any) -> None:
    client = signed_in("privacy")
    new = reverse("people:consent-create", args=[story.person.public_id])
    assert client.get(new).status_code == 200
    # An empty form names every missing element at once and stores nothing.
    answer = client.post(new, {})
    page = answer.content.decode()
    assert answer.status_code == 200
    for words in ("Name at least one recipient", "purpose of the disclosure", "expires"):
        assert words in page, words
    assert Consent.objects.count() == 0
    today = clock.today_in("America/Chicago")
    answer = client.post(
        new,
        {
            "programs": [story.sud.public_id],
            "information_kinds": ["safety_plan", "incidents"],
            "information_description": "Safety plan and incident reports",
            "purposes": ["tpo"],
            "treating_providers": "on",
            "recipient_entities": "Dr. Lee, County Health Clinic",
            "expires_on": (today + timedelta(days=30)).isoformat(),
            "signed_by": "person",
            "signer_name": "Alex Delgado",
            "signed_on": today.isoformat(),
        },
    )
    assert answer.status_code == 302, answer.content.decode()[:2000]
    consent = Consent.objects.get()
    assert {r.kind for r in consent.recipients.all()} == {"treating", "entity"}
    listing = client.get(reverse("people:consent-list", args=[story.person.public_id]))
    assert "My treating providers" in listing.content.decode()
    detail = client.get(reverse("people:consent-detail", args=[consent.public_id]))
    assert "revoke this consent at any time, in writing" in detail.content.decode()
    printed = client.get(reverse("people:consent-print", args=[consent.public_id]))
    assert printed["Content-Type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(printed.content)).pages)
    assert "Dr. Lee, County Health Clinic" in text
    assert "revoke" in text
    # Another unit's staff: 404, as if it did not exist.
    outsider = signed_in("outsider")
    assert (
        outsider.get(reverse("people:consent-detail", args=[consent.public_id])).status_code == 404
    )


def test_the_api_records_lists_and_revokes(story: Part2Story) -> None:
    api = api_as(story.world.user("privacy"))
    person = story.person.public_id
    refused = api.post(f"/persons/{person}/consents", {"programs": [str(story.sud.public_id)]})
    assert refused.status_code == 422
    fields = str(refused.json())
    for name in ("recipients", "purposes", "expires_on"):
        assert name in fields
    today = clock.today_in("America/Chicago")
    made = api.post(
        f"/persons/{person}/consents",
        {
            "programs": [str(story.sud.public_id)],
            "information_kinds": ["safety_plan"],
            "information_description": "Safety plan",
            "purposes": ["treatment"],
            "recipients": [{"kind": "staff", "staff": str(story.world.staff["nurse"].public_id)}],
            "expiry_event": "Discharge",
            "signed_by": "person",
            "signer_name": "Alex Delgado",
            "signed_on": today.isoformat(),
        },
    )
    assert made.status_code == 201, made.content
    body = made.json()
    assert body["state"] == "active"
    listed = api.get(f"/persons/{person}/consents").json()
    assert [c["public_id"] for c in listed] == [body["public_id"]]
    revoked = api.post(f"/consents/{body['public_id']}/revoke", {"received_as": "form"})
    assert revoked.status_code == 200
    assert revoked.json()["state"] == "revoked"


def test_the_person_page_shows_the_consent_section(story: Part2Story, signed_in: Any) -> None:
    consent_for(story)
    page = signed_in("nurse").get(reverse("people:person-detail", args=[story.person.public_id]))
    body = page.content.decode()
    assert "Part 2 consents" in body
    assert "1 active consent" in body
    # A person never placed in a Part 2 program and without consents has no such section.
    other = signed_in("nurse").get(
        reverse("people:person-detail", args=[story.world.person_a.public_id])
    )
    assert "Part 2 consents" not in other.content.decode()


def test_the_privacy_officer_sees_every_consent_by_state(story: Part2Story, signed_in: Any) -> None:
    kept = consent_for(story)
    gone = consent_for(story, purposes=["treatment"])
    consents.revoke_consent(gone, actor=story.world.user("privacy"), received_as="letter")
    url = reverse("people:consent-index")
    assert signed_in("nurse").get(url).status_code == 403
    privacy = signed_in("privacy")
    every = privacy.get(url)
    assert [c.pk for c in every.context["consents"]] == [gone.pk, kept.pk]
    revoked = privacy.get(url, {"state": "revoked"})
    assert [c.pk for c in revoked.context["consents"]] == [gone.pk]
    # From a person's consents the way back is the index: the person's page is not theirs.
    person_page = reverse("people:person-detail", args=[story.person.public_id])
    listing = privacy.get(reverse("people:consent-list", args=[story.person.public_id]))
    assert f'href="{person_page}"' not in listing.content.decode()
    assert f'href="{url}"' in listing.content.decode()
    assert privacy.get(person_page).status_code == 403


def test_a_reader_outside_the_program_cannot_consent_for_themself(
    story: Part2Story, signed_in: Any
) -> None:
    """The acute nurse sees the person but is not the program: a consent naming themself
    would open the program's records, so they may not record one (page, API, service)."""
    nurse = story.world.user("nurse")
    assert (
        signed_in("nurse")
        .get(reverse("people:consent-create", args=[story.person.public_id]))
        .status_code
        == 403
    )
    answer = api_as(nurse).post(f"/persons/{story.person.public_id}/consents", {})
    assert answer.status_code == 403
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        consents.record_consent(
            story.person,
            actor=nurse,
            programs=[story.sud],
            information_kinds=["safety_plan"],
            information_description="Everything",
            purposes=["tpo"],
            recipients=[{"kind": "staff", "staff": story.world.staff["nurse"]}],
            expires_on=clock.today_in(story.sud.time_zone) + timedelta(days=9),
            signed_by="person",
            signer_name="Alex Delgado",
            signed_on=clock.today_in(story.sud.time_zone),
        )
    assert Consent.objects.count() == 0
    assert list(safety_selectors.versions_of(story.person, fresh(nurse))) == []


def test_a_program_records_consents_for_its_own_records_only(
    story: Part2Story, world: World
) -> None:
    from pillars.people.models import CaseloadAssignment
    from pillars.people.testing import make_staff, make_unit

    other, _ = make_unit(world.site, "sud2", part2=True)
    nurse = make_staff("sud2-nurse", ["nurse"], [other])
    # In scope through their caseload, on the team of another Part 2 program.
    CaseloadAssignment.objects.create(
        staff=nurse, person=story.person, kind="case_manager", started_on=clock.organization_today()
    )
    with pytest.raises(ValidationError) as refused:
        consents.record_consent(
            story.person,
            actor=nurse.user,
            programs=[story.sud],
            information_kinds=["safety_plan"],
            information_description="The first program's plan",
            purposes=["tpo"],
            recipients=[{"kind": "treating"}],
            expires_on=clock.today_in(story.sud.time_zone) + timedelta(days=9),
            signed_by="person",
            signer_name="Alex Delgado",
            signed_on=clock.today_in(story.sud.time_zone),
        )
    assert "programs" in refused.value.message_dict
