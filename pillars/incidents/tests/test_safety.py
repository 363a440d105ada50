"""Safety plans: drafting and signing rules, versions, the audit, the printed copy, the person
page section, the board row link and the API."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pypdf import PdfReader

from pillars.audit.models import AuditEvent
from pillars.core import clock, prepared
from pillars.core.errors import Conflict, ValidationError
from pillars.core.tests.api_support import api_as
from pillars.incidents import safety_pdf
from pillars.incidents.models import SafetyPlanVersion
from pillars.incidents.selectors import safety as selectors
from pillars.incidents.services import safety as services
from pillars.people.testing import World, make_person, place
from pillars.rounds import board_extras

pytestmark = pytest.mark.django_db

WORDS = {
    "warning_signs": [{"text": "I stay in my room and skip meals"}],
    "on_my_own": [{"text": "Listen to my grandmother's playlist"}],
    "people_places": [{"text": "The library on Elm Street"}],
    "ask_for_help": [{"name": "My sister Dana", "phone": "555-010-2233"}],
    "professionals": [{"name": "988 Suicide & Crisis Lifeline", "phone": "988"}],
    "safer_surroundings": [{"text": "Dana keeps my pills at her house"}],
    "reasons": [{"text": "Seeing my nephew graduate"}],
}


def review_on(days: int = 30) -> Any:
    # The unit's calendar (America/Chicago in the test world), not UTC's.
    return clock.today_in("America/Chicago") + timedelta(days=days)


def draft(world: World, role: str = "clinician", content: Any = None) -> SafetyPlanVersion:
    return services.save_draft(
        world.person_a,
        actor=world.user(role),
        content=WORDS if content is None else content,
        review_on=review_on(),
    )


def sign(version: SafetyPlanVersion, world: World, role: str = "clinician") -> SafetyPlanVersion:
    return services.sign_plan(
        version, actor=world.user(role), person_signature="tablet", typed_name="Alex Rivera"
    )


def test_a_draft_signed_by_both_becomes_the_current_plan(world: World) -> None:
    version = draft(world)
    assert version.number == 1
    assert version.status == "draft"
    assert selectors.current_plan(world.person_a) is None
    signed = sign(version, world)
    assert signed.status == "signed"
    assert signed.person_signed_name == "Alex Rivera"
    assert signed.person_signature == "tablet"
    assert signed.signed_by == world.staff["clinician"]
    assert selectors.current_plan(world.person_a) == signed
    events = AuditEvent.objects.filter(object_id=str(signed.public_id)).order_by("seq")
    assert [e.action for e in events] == ["create", "update"]
    assert events.last().detail["signed"] is True  # type: ignore[union-attr]


def test_a_new_version_replaces_the_signed_one_which_stays_readable(world: World) -> None:
    first = sign(draft(world), world)
    changed = dict(WORDS, reasons=[{"text": "My cat, Pepper"}])
    second = services.save_draft(
        world.person_a, actor=world.user("peer"), content=changed, review_on=review_on(14)
    )
    assert second.number == 2
    first.refresh_from_db()
    assert first.content == WORDS
    assert first.status == "signed"
    assert selectors.current_plan(world.person_a) == first  # until the new one is signed
    sign(second, world, "bht")
    assert selectors.current_plan(world.person_a) == second
    assert [v.number for v in selectors.versions_of(world.person_a)] == [2, 1]
    first.refresh_from_db()
    assert first.content == WORDS


def test_a_signed_version_cannot_be_signed_or_saved_over(world: World) -> None:
    signed = sign(draft(world), world)
    with pytest.raises(Conflict):
        sign(signed, world)
    # Saving again starts the next version; the signed one does not change.
    nxt = draft(world, content={**WORDS, "warning_signs": [{"text": "Pacing at night"}]})
    assert nxt.number == 2
    assert nxt.pk != signed.pk
    signed.refresh_from_db()
    assert signed.content["warning_signs"] == [{"text": "I stay in my room and skip meals"}]


def test_saving_a_draft_twice_keeps_one_draft(world: World) -> None:
    one = draft(world)
    two = draft(world, "nurse", content={**WORDS, "reasons": [{"text": "My garden"}]})
    assert one.pk == two.pk
    assert two.number == 1
    assert SafetyPlanVersion.objects.filter(person=world.person_a).count() == 1


def test_a_new_plan_starts_with_the_988_line() -> None:
    start = services.starting_content(None)
    assert start["professionals"][0]["phone"] == "988"


@pytest.mark.parametrize(
    ("content", "field"),
    [
        ({"warning_signs": [{"text": "x" * 301}]}, "warning_signs"),
        ({"ask_for_help": [{"name": "Dana", "phone": "call me"}]}, "ask_for_help"),
        ({"ask_for_help": [{"name": "", "phone": "555 0100"}]}, "ask_for_help"),
        ({"reasons": [{"text": "bad\x00byte"}]}, "reasons"),
        ({"nonsense": [{"text": "hi"}]}, "content"),
        ({"on_my_own": [{"text": f"Item {n}"} for n in range(13)]}, "on_my_own"),
        ("not a plan", "content"),
    ],
)
def test_bad_input_stores_nothing(world: World, content: Any, field: str) -> None:
    before = AuditEvent.objects.count()
    with pytest.raises(ValidationError) as raised:
        draft(world, content=content)
    assert field in raised.value.message_dict
    assert not SafetyPlanVersion.objects.exists()
    assert AuditEvent.objects.count() == before


@pytest.mark.parametrize("days", [-1, 400])
def test_the_review_date_is_from_today_to_a_year(world: World, days: int) -> None:
    with pytest.raises(ValidationError) as raised:
        services.save_draft(
            world.person_a, actor=world.user("nurse"), content=WORDS, review_on=review_on(days)
        )
    assert "review_on" in raised.value.message_dict


def test_signing_needs_the_persons_signature_and_the_core_sections(world: World) -> None:
    version = draft(world)
    with pytest.raises(ValidationError) as raised:
        services.sign_plan(version, actor=world.user("nurse"), person_signature="tablet")
    assert "typed_name" in raised.value.message_dict
    with pytest.raises(ValidationError) as raised:
        services.sign_plan(version, actor=world.user("nurse"), person_signature="paper")
    assert "attested" in raised.value.message_dict
    version.refresh_from_db()
    assert version.status == "draft"
    assert version.signed_at is None
    # A paper signature attested by staff signs it.
    signed = services.sign_plan(
        version, actor=world.user("nurse"), person_signature="paper", attested=True
    )
    assert signed.person_signature == "paper"
    assert signed.person_signed_name == world.person_a.display_name


def test_a_plan_missing_warning_signs_cannot_be_signed(world: World) -> None:
    version = draft(world, content={"professionals": WORDS["professionals"]})
    with pytest.raises(ValidationError) as raised:
        sign(version, world)
    assert "Warning signs" in str(raised.value)
    version.refresh_from_db()
    assert version.status == "draft"


def test_who_may_draft_and_sign(world: World) -> None:
    for role in ("supervisor", "director", "privacy", "admin"):
        with pytest.raises(PermissionDenied):
            draft(world, role)
    version = draft(world, "peer")
    with pytest.raises(PermissionDenied):
        sign(version, world, "supervisor")
    from django.http import Http404

    with pytest.raises(Http404):
        sign(version, world, "outsider")


def test_the_printed_copy_is_a_pdf_in_the_persons_words(world: World, signed_in: Any) -> None:
    version = sign(draft(world), world)
    other = make_person("MRN-A2", "Nakamura")
    place(other, world.unit_a, world.beds_a[1], world.staff["nurse"])
    services.save_draft(
        other,
        actor=world.user("nurse"),
        content={"reasons": [{"text": "Someone else's secret reason"}]},
        review_on=review_on(),
    )
    before = AuditEvent.objects.filter(action="view").count()
    response = signed_in("bht").get(reverse("incidents:safety-plan-pdf", args=[version.public_id]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    body = response.content
    assert body.startswith(b"%PDF")
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages)
    assert "Listen to my grandmother's playlist" in text
    assert "My sister Dana: 555-010-2233" in text
    assert "988" in text
    assert world.person_a.display_name in text
    assert "Someone else" not in text
    assert "Nakamura" not in text
    event = AuditEvent.objects.filter(action="view").order_by("-seq").first()
    assert AuditEvent.objects.filter(action="view").count() == before + 1
    assert event is not None
    assert event.object_id == str(version.public_id)
    assert event.detail["what"] == "safety plan pdf"


def test_the_printed_copy_keeps_the_persons_own_script(world: World) -> None:
    """Words in Spanish, Polish, Greek and Russian print as written; what the font cannot draw
    prints as "?" rather than failing."""
    words = {
        **WORDS,
        "warning_signs": [{"text": "Cuando no duermo, señales — “pánico”"}],
        "on_my_own": [{"text": "Słucham muzyki; Ξεκουράζομαι"}],
        "reasons": [{"text": "Моя дочь"}, {"text": "我的猫"}],
    }
    version = sign(draft(world, content=words), world)
    text = " ".join(
        page.extract_text() for page in PdfReader(io.BytesIO(safety_pdf.render(version))).pages
    )
    assert "Cuando no duermo, señales — “pánico”" in text
    assert "Słucham muzyki; Ξεκουράζομαι" in text
    assert "Моя дочь" in text
    assert "???" in text
    assert safety_pdf.printable("a\n我") == "a\n?"


def test_pages_write_and_sign_a_plan(world: World, signed_in: Any) -> None:
    client = signed_in("clinician")
    person = world.person_a
    edit = reverse("incidents:safety-plan-edit", args=[person.public_id])
    page = client.get(edit)
    assert page.status_code == 200
    assert b'value="988"' in page.content
    form = {
        "review_on": review_on().isoformat(),
        "warning_signs": "Pacing\nNot sleeping",
        "on_my_own": "Shower, then music",
        "professionals_name_0": "988 Suicide & Crisis Lifeline",
        "professionals_phone_0": "988",
        "ask_for_help_name_0": "Dana",
        "ask_for_help_phone_0": "not a number",
    }
    bad = client.post(edit, form)
    assert bad.status_code == 200
    assert b"is not a phone number" in bad.content
    assert not SafetyPlanVersion.objects.exists()
    form["ask_for_help_phone_0"] = "555 010 2233"
    saved = client.post(edit, form)
    version = SafetyPlanVersion.objects.get()
    assert saved.status_code == 302
    assert saved["Location"] == reverse("incidents:safety-plan-sign", args=[version.public_id])
    assert version.content["warning_signs"] == [{"text": "Pacing"}, {"text": "Not sleeping"}]
    signed = client.post(
        saved["Location"],
        {"person_signature": "tablet", "typed_name": "Alex R", "staff_confirms": "on"},
    )
    assert signed.status_code == 302
    version.refresh_from_db()
    assert version.status == "signed"
    plan = client.get(reverse("incidents:safety-plan", args=[person.public_id]))
    assert b"Current plan" in plan.content
    assert b"Not sleeping" in plan.content
    detail = client.get(reverse("people:person-detail", args=[person.public_id]))
    assert b"Safety plan" in detail.content
    assert b"Version 1, signed" in detail.content


def test_board_links_persons_with_a_signed_plan_in_one_query(world: World, rf: Any) -> None:
    from pillars.incidents.extensions.safety import board_rows

    sign(draft(world), world)
    other = make_person("MRN-A3", "Lee")
    place(other, world.unit_a, world.beds_a[1], world.staff["nurse"])
    services.save_draft(
        other, actor=world.user("nurse"), content=WORDS, review_on=review_on()
    )  # a draft only: no link
    request = rf.get("/")
    request.user = world.user("bht")
    # The board shares the persons of its rows as it read them (their public ids).
    board_extras.share_persons(request, world.unit_a, [world.person_a, other])
    prepared.run(board_rows(request, world.unit_a, [world.person_a.pk]))  # warm the actor
    with CaptureQueriesContext(connection) as queries:
        rows = prepared.run(board_rows(request, world.unit_a, [world.person_a.pk, other.pk]))
    assert len(queries) == 1
    assert set(rows) == {world.person_a.pk}
    [link] = rows[world.person_a.pk]
    assert link.url.startswith(reverse("incidents:safety-plan", args=[world.person_a.public_id]))
    # Asked outside a board read, the public ids are read with one more query: the same link.
    alone = rf.get("/")
    alone.user = world.user("bht")
    assert prepared.run(board_rows(alone, world.unit_a, [world.person_a.pk, other.pk])) == rows
    request.user = world.user("privacy")
    assert prepared.run(board_rows(request, world.unit_a, [world.person_a.pk])) == {}


def test_overdue_reviews_are_flagged_and_listed_for_the_unit(
    world: World, signed_in: Any, rf: Any, time_machine: Any
) -> None:
    from pillars.incidents.extensions.safety import board_rows

    time_machine.move_to(clock.now() - timedelta(days=40))
    sign(draft(world), world)
    time_machine.move_to(clock.now() + timedelta(days=40))
    request = rf.get("/")
    request.user = world.user("nurse")
    rows = prepared.run(board_rows(request, world.unit_a, [world.person_a.pk]))
    assert [e.kind for e in rows[world.person_a.pk]] == ["link", "flag"]
    page = signed_in("nurse").get(
        reverse("incidents:safety-plan-overdue", args=[world.unit_a.public_id])
    )
    assert page.status_code == 200
    assert b"(overdue)" in page.content
    assert world.person_a.display_name.encode() in page.content


def test_api_draft_is_replay_safe_and_sign_and_read(world: World) -> None:
    api = api_as(world.user("nurse"))
    path = f"/persons/{world.person_a.public_id}/safety-plan"
    body = {"review_on": review_on().isoformat(), "sections": WORDS}
    key = {"Idempotency-Key": "6b1f2f4e-2c51-4d5e-9a0a-3f7f0b7f5d11"}
    first = api.post(f"{path}/draft", body, headers=key)
    again = api.post(f"{path}/draft", body, headers=key)
    assert first.status_code == 200, first.content
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    version_id = first.json()["public_id"]
    bad = api.post(f"/safety-plans/{version_id}/sign", {"person_signature": "tablet"})
    assert bad.status_code == 422
    signed = api.post(
        f"/safety-plans/{version_id}/sign",
        {"person_signature": "tablet", "typed_name": "Alex Rivera"},
    )
    assert signed.status_code == 200
    assert signed.json()["status"] == "signed"
    current = api.get(path).json()
    assert current["current"]["public_id"] == version_id
    assert current["draft"] is None
    assert [v["number"] for v in api.get(f"{path}/versions").json()] == [1]
    pdf = api.get(f"/safety-plans/{version_id}/pdf")
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF")


def test_demo_writes_signed_plans_some_updated_some_overdue(world: World) -> None:
    from django.db.models import Count

    from pillars.demo.incidents import safety as demo
    from pillars.demo.incidents.context import DemoContext
    from pillars.people.models import Episode

    for n in range(24):
        person = make_person(f"MRN-D{n}", f"Demo{n}")
        place(person, world.unit_a, None, world.staff["nurse"])
    # Admitted long enough ago for plans to be written, updated and come due for review.
    Episode.objects.update(admitted_at=clock.now() - timedelta(days=70))
    ctx = DemoContext(
        seed=7,
        scale="small",
        now=clock.now(),
        units=[world.unit_a, world.unit_b],
        staff_by_unit={"a": {"clinician": [world.staff["clinician"]]}, "b": {}},
        demo_staff={},
    )
    demo.load(ctx)
    assert not SafetyPlanVersion.objects.filter(status="draft").exists()
    counts = list(
        SafetyPlanVersion.objects.values("person")
        .annotate(n=Count("pk"))
        .values_list("n", flat=True)
    )
    assert len(counts) >= 5
    assert 2 in counts
    today = clock.today_in("America/Chicago")
    assert SafetyPlanVersion.objects.current().filter(review_on__lt=today).exists()
    assert SafetyPlanVersion.objects.current().filter(review_on__gte=today).exists()


def test_board_panel_counts_overdue_reviews(world: World, rf: Any, time_machine: Any) -> None:
    from pillars.incidents.extensions.safety import board_panel

    request = rf.get("/")
    request.user = world.user("bht")
    assert board_panel(request, world.unit_a) is None
    time_machine.move_to(clock.now() - timedelta(days=40))
    sign(draft(world), world)
    time_machine.move_to(clock.now() + timedelta(days=40))
    panel = board_panel(request, world.unit_a)
    assert panel is not None
    assert panel["count"] == 1
    assert panel["url"] == reverse("incidents:safety-plan-overdue", args=[world.unit_a.public_id])


def test_every_error_at_once_and_limits_counted_as_the_person_sees_them(
    world: World, signed_in: Any
) -> None:
    """A past review date is reported with the sections' errors, and text typed to the
    textarea's 5,000-character limit is accepted though the browser sends each line break as
    two characters."""
    client = signed_in("clinician")
    edit = reverse("incidents:safety-plan-edit", args=[world.person_a.public_id])
    past = (review_on() - timedelta(days=60)).isoformat()
    bad = client.post(
        edit,
        {
            "review_on": past,
            "warning_signs": "Pacing",
            "ask_for_help_name_0": "Dana",
            "ask_for_help_phone_0": "not a number",
        },
    ).content.decode()
    assert "is not a phone number" in bad
    assert "The review date cannot be in the past." in bad
    assert not SafetyPlanVersion.objects.exists()
    # The textarea's limit: 12 lines of 300 characters and 11 line breaks, 3,611 characters
    # as typed and counted by the browser, 3,622 as sent (CR LF).
    lines = ["x" * 299 + str(n % 10) for n in range(12)]
    typed = "\n".join(lines)
    assert len(typed) == 3611
    sent = typed.replace("\n", "\r\n")
    ok = client.post(
        edit,
        {
            "review_on": review_on().isoformat(),
            "warning_signs": sent,
            "on_my_own": "Music",
            "professionals_name_0": "988 Suicide & Crisis Lifeline",
            "professionals_phone_0": "988",
        },
    )
    assert ok.status_code == 302, re.findall(r"<li>[^<]{5,200}</li>", ok.content.decode())
    assert len(SafetyPlanVersion.objects.get().content["warning_signs"]) == 12
    over = client.post(edit, {"review_on": review_on().isoformat(), "warning_signs": typed + "z"})
    assert "at most 3611 characters (it has 3612)" in over.content.decode()


def test_an_empty_draft_says_what_is_missing_before_anyone_tries_to_sign(
    world: World, signed_in: Any
) -> None:
    empty = services.save_draft(
        world.person_a, actor=world.user("clinician"), content={}, review_on=review_on()
    )
    client = signed_in("clinician")
    url = reverse("incidents:safety-plan-sign", args=[empty.public_id])
    page = client.get(url).content.decode()
    assert "This draft cannot be signed yet." in page
    assert "Before signing, fill in: Warning signs" in page
    assert "Sign the plan</button>" not in page
    refused = client.post(
        url, {"person_signature": "tablet", "typed_name": "Alex R", "staff_confirms": "on"}
    ).content.decode()
    assert "Before signing, fill in" in refused
    empty.refresh_from_db()
    assert empty.status == "draft"


def test_the_person_page_section_links_each_version_and_marks_the_draft(
    world: World, signed_in: Any
) -> None:
    signed = sign(draft(world, content={**WORDS, "warning_signs": [{"text": "Pacing"}]}), world)
    waiting = draft(world, content={**WORDS, "warning_signs": [{"text": "<b>Not</b> sleeping"}]})
    page = signed_in("nurse").get(reverse("people:person-detail", args=[world.person_a.public_id]))
    body = page.content.decode()
    section = body[
        body.index('id="safety-plan"') : body.index("</section>", body.index('id="safety-plan"'))
    ]
    assert "Version 1, signed " in section
    # The current plan's warning signs, not the draft's.
    assert "<dt>Warning signs</dt><dd>Pacing</dd>" in section
    assert "Not</b>" not in section
    assert "Draft version 2 is waiting to be signed" in section
    first = reverse("incidents:safety-plan-version", args=[signed.public_id])
    second = reverse("incidents:safety-plan-version", args=[waiting.public_id])
    assert f'Versions: <a href="{second}">2 (draft)</a>, <a href="{first}">1</a>' in section
    assert reverse("incidents:safety-plan-pdf", args=[signed.public_id]) in section
