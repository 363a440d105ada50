"""Every copy leaves through core.exports: the Part 2 check, the disclosure in the audit log with
the consent relied on, and the 42 CFR 2.32 notice on the safety-plan PDF (page and API) and the
audit CSV; the privacy officer's accounting of disclosures."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from pillars.audit import log
from pillars.audit.choices import Action, Category
from pillars.audit.models import AuditEvent
from pillars.core import clock, exports
from pillars.core.roles import RoleCode
from pillars.core.tests.api_support import api_as
from pillars.incidents.services import safety as safety_services
from pillars.people import consents
from pillars.people import services as people_services
from pillars.people.consent_models import Consent
from pillars.people.testing import World, make_staff
from pillars.people.tests.part2_support import SAFETY, Part2Story, build_story

pytestmark = pytest.mark.django_db

NOTICE_START = "This record which has been disclosed to you is protected by Federal"


@pytest.fixture
def story(world: World) -> Part2Story:
    return build_story(world)


def text_of(pdf: bytes) -> str:
    return " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).replace("\n", " ")


def consent(story: Part2Story) -> Consent:
    today = clock.today_in("America/Chicago")
    return consents.record_consent(
        story.person,
        actor=story.world.user("privacy"),
        programs=[story.sud],
        information_kinds=["safety_plan"],
        information_description="The safety plan written in the recovery program.",
        purposes=["tpo"],
        recipients=[{"kind": "treating"}],
        expires_on=today + timedelta(days=90),
        signed_by="person",
        signer_name="Alex Delgado",
        signed_on=today,
    )


def exported() -> AuditEvent:
    return AuditEvent.objects.filter(action=Action.EXPORT).latest("seq")


def test_the_program_s_own_copy_carries_the_notice(story: Part2Story, world: World) -> None:
    from pillars.incidents import safety_pdf

    pdf = safety_pdf.export(story.user("sud_director"), story.safety, channel="page")
    text = text_of(pdf)
    assert NOTICE_START in text
    # The pre-2024 wording is outdated.
    assert "prohibit you from making any further disclosure" not in text
    event = exported()
    assert event.category == Category.SUBSTANCE_USE
    assert event.detail["disclosure"] == ["program"]
    assert event.detail["notice"] is True


def test_a_copy_under_consent_names_the_consent(story: Part2Story) -> None:
    made = consent(story)
    api = api_as(story.world.user("nurse"))
    answer = api.get(f"/safety-plans/{story.safety.public_id}/pdf")
    assert answer.status_code == 200
    text = text_of(answer.content)
    assert NOTICE_START in text
    assert "Disclosed under this consent" in text
    assert "My treating providers" in text
    event = exported()
    assert event.detail["disclosure"] == ["consent"]
    assert event.detail["consent_ids"] == [str(made.public_id)]
    assert event.person_id == story.person.public_id


def test_without_consent_the_copy_does_not_leave(story: Part2Story, signed_in: Any) -> None:
    url = reverse("incidents:safety-plan-pdf", args=[story.safety.public_id])
    assert signed_in("nurse").get(url).status_code == 404
    api = api_as(story.world.user("nurse"))
    assert api.get(f"/safety-plans/{story.safety.public_id}/pdf").status_code == 404
    assert not AuditEvent.objects.filter(action=Action.EXPORT).exists()


def test_a_plan_made_outside_part2_prints_without_the_notice(world: World, signed_in: Any) -> None:
    draft = safety_services.save_draft(
        world.person_a,
        actor=world.user("clinician"),
        content=SAFETY,
        review_on=clock.today_in("America/Chicago") + timedelta(days=30),
    )
    url = reverse("incidents:safety-plan-pdf", args=[draft.public_id])
    answer = signed_in("nurse").get(url)
    assert answer.status_code == 200
    assert NOTICE_START not in text_of(answer.content)
    event = exported()
    assert event.category == Category.GENERAL
    assert event.detail["notice"] is False


def test_the_audit_csv_defaults_to_a_week_and_carries_the_notice(
    story: Part2Story, signed_in: Any
) -> None:
    with clock.replaying_at(clock.now() - timedelta(days=10)):
        old = log.record(actor=None, action=Action.VIEW, object_type="old", object_id="x")
    answer = signed_in("privacy").get(reverse("audit:report-csv"))
    assert answer.status_code == 200
    assert answer.streaming
    body = b"".join(answer.streaming_content).decode()
    first = body.splitlines()[0]
    assert NOTICE_START in first
    assert f",{old.seq}," not in body
    event = exported()
    assert event.detail["disclosure"] == ["privacy"]
    assert event.detail["since"] is not None
    # A period given explicitly reaches back.
    since = (clock.now() - timedelta(days=11)).date().isoformat()
    again = signed_in("privacy").get(reverse("audit:report-csv"), {"date_from": since})
    assert "old" in b"".join(again.streaming_content).decode()


def test_the_privacy_officer_gives_an_accounting_of_disclosures(
    story: Part2Story, signed_in: Any
) -> None:
    made = consent(story)
    nurse = signed_in("nurse")
    assert (
        nurse.get(
            reverse("incidents:safety-plan-version", args=[story.safety.public_id])
        ).status_code
        == 200
    )
    assert (
        nurse.get(reverse("incidents:safety-plan-pdf", args=[story.safety.public_id])).status_code
        == 200
    )
    people_services.start_emergency_access(
        story.person,
        actor=story.world.user("clinician"),
        reason="Seizure on the unit; need the withdrawal history",
    )
    signed_in("clinician").get(reverse("rounds:order-history", args=[story.person.public_id]))
    url = reverse("people:disclosure-accounting", args=[story.person.public_id])
    assert nurse.get(url).status_code == 403
    privacy = signed_in("privacy")
    page = privacy.get(url)
    assert page.status_code == 200
    rows = page.context["rows"]
    assert {r.basis for r in rows} == {"consent", "emergency"}
    assert {r.how for r in rows} >= {"Read in Pillars", "Copy (PDF)"}
    assert all(r.consent == made for r in rows if r.basis == "consent")
    printed = privacy.get(
        reverse("people:disclosure-accounting-print", args=[story.person.public_id])
    )
    assert printed["Content-Type"] == "application/pdf"
    text = text_of(printed.content)
    assert "Accounting of disclosures" in text
    assert "Medical emergency" in text
    assert NOTICE_START in text


def test_release_refuses_a_record_the_user_may_not_see(story: Part2Story) -> None:
    from django.http import Http404

    with pytest.raises(Http404):
        exports.release(story.world.user("nurse"), what="test", fmt="pdf", records=[story.safety])


def test_an_api_answer_under_consent_carries_the_notice(story: Part2Story) -> None:
    made = consent(story)
    api = api_as(story.world.user("nurse"))
    answer = api.get(f"/persons/{story.person.public_id}/safety-plan/versions")
    assert answer.status_code == 200
    assert [v["number"] for v in answer.json()] == [story.safety.number]
    assert answer["Part2-Notice"] == exports.SHORT_NOTICE
    assert answer["Part2-Disclosed-Under"] == str(made.public_id)
    # The program's own answers for a person outside Part 2 carry none.
    plain = api.get(f"/persons/{story.world.person_a.public_id}/safety-plan/versions")
    assert "Part2-Notice" not in plain


def test_a_printed_incident_report_of_the_program_carries_the_notice(
    story: Part2Story, signed_in: Any, world: World
) -> None:
    client = signed_in("nurse")
    url = reverse("incidents:incident-print", args=[story.incident.public_id])
    assert client.get(url).status_code == 404
    program = Client()
    program.force_login(story.user("sud_nurse"))
    page = program.get(url).content.decode()
    assert NOTICE_START in page
    assert exported().detail["disclosure"] == ["program"]


def test_a_printed_handoff_of_the_program_carries_the_notice(story: Part2Story) -> None:
    from pillars.rounds.services import handoffs

    end = clock.now()
    program = Client()
    program.force_login(story.user("sud_nurse"))
    handoff = handoffs.compile_handoff(
        story.sud, actor=story.user("sud_nurse"), start=end - timedelta(hours=8), end=end
    )
    page = program.get(reverse("rounds:handoff-print", args=[handoff.public_id]))
    assert NOTICE_START in page.content.decode()
    # Unit A's handoff of the same shift: no Part 2 content, no notice; the program's order
    # of the person transferred in is not in it.
    acute = handoffs.compile_handoff(
        story.world.unit_a, actor=story.world.user("nurse"), start=end - timedelta(hours=8), end=end
    )
    assert "Withdrawal watch" not in str(acute.snapshot)
    nurse = Client()
    nurse.force_login(story.world.user("nurse"))
    plain = nurse.get(reverse("rounds:handoff-print", args=[acute.public_id])).content.decode()
    assert NOTICE_START not in plain


def _notice_shown(page: Any) -> bool:
    body = page.content.decode()
    assert "data-part2-notice" in body  # every signed-in page carries it, hidden or shown
    return "data-part2-notice>" in body


def test_a_screen_read_under_consent_shows_the_notice(story: Part2Story, signed_in: Any) -> None:
    """42 CFR 2.32: the notice goes with every disclosure made under a consent, on screen too.
    The page that read the plan under the consent shows it; the program's own team, and a
    page with nothing of Part 2, show none."""
    url = reverse("incidents:safety-plan", args=[story.person.public_id])
    nurse = signed_in("nurse")
    before = nurse.get(url)  # no consent yet: the page, without the program's plan
    assert str(story.safety.public_id) not in before.content.decode()
    assert not _notice_shown(before)
    consent(story)
    page = nurse.get(url)
    assert page.status_code == 200
    assert str(story.safety.public_id) in page.content.decode()
    assert _notice_shown(page)
    assert "Part2-Notice" not in page  # on screen, not in a header
    assert NOTICE_START in page.content.decode()
    plain = nurse.get(reverse("incidents:safety-plan", args=[story.world.person_a.public_id]))
    assert plain.status_code == 200
    assert not _notice_shown(plain)
    # A nurse of the program itself (also on unit A) reads the plan as its own team: no
    # disclosure, no notice.
    team = make_staff("sud-and-a", [RoleCode.NURSE], [story.sud, story.world.unit_a])
    own = Client()
    own.force_login(team.user)
    program = own.get(url)
    assert program.status_code == 200
    assert str(story.safety.public_id) in program.content.decode()
    assert not _notice_shown(program)


def test_a_fragment_read_under_consent_carries_the_notice_for_the_page(
    story: Part2Story, signed_in: Any
) -> None:
    """An htmx answer lands inside a page: it names the notice in its headers, and pillars.js
    shows the page's notice."""
    consent(story)
    url = reverse("incidents:safety-plan", args=[story.person.public_id])
    fragment = signed_in("nurse").get(url, HTTP_HX_REQUEST="true")
    assert fragment.status_code == 200
    assert fragment["Part2-Notice"] == exports.SHORT_NOTICE
