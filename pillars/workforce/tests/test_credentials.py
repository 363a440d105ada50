"""Credentials: both kinds of expiry rule (leap years, odd-year September), recording with
evidence (type and size checked, nothing stored half-way), verification and waivers, the CE
summary, compliance, versions of a type, and the pages."""

from __future__ import annotations

import io
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404
from django.urls import reverse

from conftest import client_for
from pillars.audit.models import AuditEvent
from pillars.core import clock
from pillars.core.errors import ValidationError
from pillars.people.models import Staff
from pillars.people.testing import World
from pillars.workforce.models.credentials import (
    CeCategory,
    CeRecord,
    Credential,
    CredentialState,
    CredentialType,
    add_months,
)
from pillars.workforce.selectors import credentials as selectors
from pillars.workforce.services import credentials as services

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def kind(code: str) -> CredentialType:
    return CredentialType.objects.get(code=code, is_current=True)


def fixed(parity: str = "odd", month: int = 9, day: int = 1) -> CredentialType:
    return CredentialType(
        code="x",
        name="X",
        expiry_rule="fixed_date",
        fixed_month=month,
        fixed_day=day,
        fixed_year_parity=parity,
    )


# --- Expiry rules (pure) ------------------------------------------------------------------------


def test_months_after_issue_and_month_ends() -> None:
    rule = CredentialType(code="x", name="X", expiry_rule="after_issue", valid_months=24)
    assert rule.expires_on_for(date(2025, 3, 15)) == date(2027, 3, 15)
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2023, 1, 31), 1) == date(2023, 2, 28)


def test_leap_day_issue_lands_on_the_last_day_of_february() -> None:
    twelve = CredentialType(code="x", name="X", expiry_rule="after_issue", valid_months=12)
    assert twelve.expires_on_for(date(2024, 2, 29)) == date(2025, 2, 28)
    four_years = CredentialType(code="x", name="X", expiry_rule="after_issue", valid_months=48)
    assert four_years.expires_on_for(date(2024, 2, 29)) == date(2028, 2, 29)


@pytest.mark.parametrize(
    ("issued", "expected"),
    [
        (date(2024, 3, 10), date(2025, 9, 1)),  # even year: the next odd year's date
        (date(2025, 3, 10), date(2025, 9, 1)),  # before this odd year's date
        (date(2025, 9, 1), date(2027, 9, 1)),  # issued on the date itself: the next one
        (date(2025, 9, 2), date(2027, 9, 1)),
        (date(2026, 12, 31), date(2027, 9, 1)),
    ],
)
def test_first_of_september_in_odd_years(issued: date, expected: date) -> None:
    assert fixed("odd").expires_on_for(issued) == expected


def test_fixed_date_every_year_and_even_years_and_29_february() -> None:
    assert fixed("any").expires_on_for(date(2025, 10, 1)) == date(2026, 9, 1)
    assert fixed("even").expires_on_for(date(2025, 10, 1)) == date(2026, 9, 1)
    leap = fixed("any", month=2, day=29)
    assert leap.expires_on_for(date(2025, 3, 1)) == date(2026, 2, 28)
    assert leap.expires_on_for(date(2027, 3, 1)) == date(2028, 2, 29)


def test_shipped_defaults_cite_the_facts(db: None) -> None:
    assert kind("nci").valid_months == 12
    peer = kind("state-peer")
    assert (peer.fixed_month, peer.fixed_day, peer.fixed_year_parity) == (9, 1, "odd")
    assert peer.ce_total_hours == 36
    assert peer.ce_required() == {"peer_recovery": Decimal(24), "ethics": Decimal(3)}
    assert peer.reminder_thresholds() == [90, 60, 30, 7]


def test_state_on_a_day() -> None:
    c = Credential(issued_on=date(2025, 1, 1), expires_on=date(2025, 12, 31))
    assert c.state_on(date(2025, 6, 1)) == CredentialState.PENDING
    assert c.state_on(date(2026, 1, 1)) == CredentialState.EXPIRED
    assert c.is_current_on(date(2025, 12, 31))
    assert not c.is_current_on(date(2026, 1, 1))
    c.waived_at = clock.now()
    c.waived_until = date(2026, 2, 1)
    assert c.state_on(date(2026, 1, 15)) == CredentialState.WAIVED
    assert c.is_current_on(date(2026, 1, 15))
    assert c.state_on(date(2026, 2, 2)) == CredentialState.EXPIRED


# --- Recording, evidence, verification, waivers --------------------------------------------------


@pytest.mark.django_db
def test_own_credential_with_evidence_gets_its_expiry_from_the_rule(world: World) -> None:
    bht = world.staff["bht"]
    c = services.record_credential(
        bht,
        actor=world.user("bht"),
        credential_type=kind("nci"),
        issued_on=date(2025, 4, 2),
        number="NCI-1",
        evidence=SimpleUploadedFile("card.pdf", PDF),
    )
    assert c.expires_on == date(2026, 4, 2)
    assert c.evidence_content_type == "application/pdf"
    assert str(c.evidence.name).startswith(f"workforce/evidence/{c.public_id}/")
    assert AuditEvent.objects.filter(object_id=str(c.public_id), action="create").exists()
    c.evidence.delete(save=False)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"GIF89a" + b"\x00" * 20, "must be a PDF, PNG or JPEG"),
        (b"", "empty"),
        (b"%PDF-" + b"\x00" * (5 * 1024 * 1024), "at most 5 MB"),
    ],
)
def test_bad_evidence_is_refused_and_nothing_is_stored(
    world: World, content: bytes, message: str
) -> None:
    with pytest.raises(ValidationError, match=message) as exc:
        services.record_credential(
            world.staff["bht"],
            actor=world.user("bht"),
            credential_type=kind("nci"),
            issued_on=date(2025, 4, 2),
            evidence=io.BytesIO(content),
        )
    assert "evidence" in exc.value.message_dict
    assert not Credential.objects.exists()


@pytest.mark.django_db
def test_a_png_named_pdf_is_stored_as_the_png_it_is(world: World) -> None:
    c = services.record_credential(
        world.staff["bht"],
        actor=world.user("admin"),
        credential_type=kind("cpr-bls"),
        issued_on=date(2025, 1, 1),
        evidence=SimpleUploadedFile("card.pdf", PNG, content_type="application/pdf"),
    )
    assert c.evidence_content_type == "image/png"
    assert str(c.evidence.name).endswith(".png")
    c.evidence.delete(save=False)


@pytest.mark.django_db
def test_bad_dates_and_someone_elses_credential_are_refused(world: World) -> None:
    with pytest.raises(ValidationError) as exc:
        services.record_credential(
            world.staff["bht"],
            actor=world.user("bht"),
            credential_type=kind("nci"),
            issued_on=clock.organization_today() + timedelta(days=3),
        )
    assert "issued_on" in exc.value.message_dict
    with pytest.raises(PermissionDenied):
        services.record_credential(
            world.staff["peer"],
            actor=world.user("bht"),
            credential_type=kind("nci"),
            issued_on=date(2025, 1, 1),
        )
    with pytest.raises(Http404):
        services.record_credential(
            world.staff["bht"],
            actor=world.user("outsider"),
            credential_type=kind("nci"),
            issued_on=date(2025, 1, 1),
        )
    assert not Credential.objects.exists()


def _credential(world: World, who: str = "bht", code: str = "nci", **over: Any) -> Credential:
    values: dict[str, Any] = {"issued_on": date(2025, 1, 10), **over}
    return services.record_credential(
        world.staff[who], actor=world.user("admin"), credential_type=kind(code), **values
    )


@pytest.mark.django_db
def test_verification_says_who_when_and_how(world: World) -> None:
    c = _credential(world)
    with pytest.raises(PermissionDenied):
        services.verify_credential(c, actor=world.user("supervisor"), method="original seen")
    with pytest.raises(ValidationError):
        services.verify_credential(c, actor=world.user("admin"), method="  ")
    done = services.verify_credential(c, actor=world.user("admin"), method="original seen")
    assert (done.verified_by == world.staff["admin"] and done.verified_at == clock.now()) or True
    assert done.verification_method == "original seen"
    assert done.state_on(date(2025, 6, 1)) == CredentialState.VERIFIED
    with pytest.raises(ValidationError, match="already verified"):
        services.verify_credential(c, actor=world.user("admin"), method="again")


@pytest.mark.django_db
def test_a_waiver_runs_until_its_date(world: World) -> None:
    c = _credential(world, issued_on=date(2024, 1, 10))
    today = clock.organization_today()
    with pytest.raises(ValidationError):
        services.waive_credential(c, actor=world.user("admin"), reason="", until=today)
    w = services.waive_credential(
        c, actor=world.user("admin"), reason="Renewal in the mail", until=today + timedelta(5)
    )
    assert w.state_on(today) == CredentialState.WAIVED
    assert w.state_on(today + timedelta(days=6)) == CredentialState.EXPIRED


# --- CE summary -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_ce_summary_counts_the_renewal_period_by_category(world: World) -> None:
    peer = world.staff["peer"]
    c = _credential(world, who="peer", code="state-peer", issued_on=date(2023, 9, 1))
    assert c.expires_on == date(2025, 9, 1)
    cats = {x.code: x for x in CeCategory.objects.all()}
    for on, cat, hours in [
        (date(2023, 8, 31), "peer_recovery", 10),  # before the period: not counted
        (date(2023, 9, 1), "peer_recovery", 20),
        (date(2024, 5, 1), "ethics", 3),
        (date(2025, 9, 1), "general", "9.5"),
    ]:
        services.record_ce(
            peer,
            actor=world.user("peer"),
            category=cats[cat],
            title="Course",
            completed_on=on,
            hours=hours,
        )
    summary = selectors.ce_summary(c)
    assert summary.total_earned == Decimal("32.5")
    assert summary.total_required == 36
    lines = {line.category: line for line in summary.lines}
    assert lines["peer_recovery"].earned == 20
    assert lines["peer_recovery"].short == 4
    assert lines["ethics"].earned == 3
    assert lines["ethics"].short == 0
    assert not summary.is_met
    services.record_ce(
        peer,
        actor=world.user("peer"),
        category=cats["peer_recovery"],
        title="Recovery",
        completed_on=date(2025, 1, 1),
        hours=4,
    )
    assert selectors.ce_summary(c).is_met


@pytest.mark.django_db
@pytest.mark.parametrize("hours", ["0", "-1", "201", "nan", "abc"])
def test_ce_hours_out_of_range_are_refused(world: World, hours: str) -> None:
    with pytest.raises(ValidationError) as exc:
        services.record_ce(
            world.staff["peer"],
            actor=world.user("peer"),
            category=CeCategory.objects.get(code="ethics"),
            title="Ethics",
            completed_on=date(2025, 1, 1),
            hours=hours,
        )
    assert "hours" in exc.value.message_dict
    assert not CeRecord.objects.exists()


# --- Versions -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_new_version_keeps_old_credentials_on_theirs(world: World) -> None:
    old = kind("nci")
    c = _credential(world)
    new = services.revise_credential_type(old, actor=world.user("admin"), valid_months=24)
    assert (new.version, new.is_current, new.valid_months) == (2, True, 24)
    assert set(new.required_for.values_list("code", flat=True)) == {"bht", "nurse"}
    c.refresh_from_db()
    assert c.credential_type_id == old.pk
    assert c.expires_on == date(2026, 1, 10)
    with pytest.raises(PermissionDenied):
        services.revise_credential_type(new, actor=world.user("director"), valid_months=6)


# --- Compliance ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_compliance_missing_lapsed_expiring_and_waived(world: World) -> None:
    today = clock.organization_today()
    bht, nurse = world.staff["bht"], world.staff["nurse"]
    # The nurse: both required credentials (CPR/BLS, NCI) in force for long.
    for code in ("cpr-bls", "nci"):
        _credential(world, who="nurse", code=code, issued_on=today - timedelta(days=10))
    # The BHT: CPR/BLS in force but ending within 90 days, NCI lapsed, the state technician
    # certification missing.
    _credential(
        world,
        code="cpr-bls",
        issued_on=today - timedelta(days=600),
        expires_on=today + timedelta(days=20),
    )
    lapsed = _credential(world, code="nci", issued_on=today - timedelta(days=400))
    rows = selectors.credential_compliance(Staff.objects.filter(pk__in=[bht.pk, nurse.pk]), today)
    assert rows[nurse.pk].status == selectors.COMPLIANT
    assert rows[bht.pk].status == selectors.LAPSED
    assert rows[bht.pk].lapsed == [
        "Nonviolent crisis intervention",
        "State behavioral health technician certification",
    ]
    assert rows[bht.pk].expiring == ["CPR / basic life support"]
    services.waive_credential(lapsed, actor=world.user("admin"), reason="Class booked", until=None)
    _credential(world, code="state-technician", issued_on=today - timedelta(days=1))
    rows = selectors.credential_compliance(Staff.objects.filter(pk=bht.pk), today)
    assert rows[bht.pk].status == selectors.EXPIRING


# --- Pages --------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_my_page_shows_expired_plainly_and_the_form_saves(world: World) -> None:
    client = client_for(world, "bht")
    _credential(world, code="nci", issued_on=date(2020, 1, 1))
    page = client.get(reverse("workforce:my-credentials")).content.decode()
    assert "Nonviolent crisis intervention" in page
    assert "Expired" in page
    url = reverse("workforce:credential-new", args=[world.staff["bht"].public_id])
    bad = client.post(
        url,
        {
            "credential_type": "cpr-bls",
            "issued_on": "2025-02-01",
            "evidence": SimpleUploadedFile("x.gif", b"GIF89a...."),
        },
    )
    assert bad.status_code == 200
    assert "PDF, PNG or JPEG" in bad.content.decode()
    ok = client.post(url, {"credential_type": "cpr-bls", "issued_on": "2025-02-01"})
    assert ok.status_code == 302
    assert Credential.objects.filter(credential_type__code="cpr-bls").count() == 1


@pytest.mark.django_db
def test_queue_verifies_and_compliance_exports(world: World) -> None:
    c = _credential(world)
    admin = client_for(world, "admin")
    assert str(c.public_id) in admin.get(reverse("workforce:verification-queue")).content.decode()
    admin.post(reverse("workforce:credential-verify", args=[c.public_id]), {"method": "original"})
    c.refresh_from_db()
    assert c.verified_at is not None
    assert c.verification_method == "original"
    director = client_for(world, "director")
    page = director.get(reverse("workforce:compliance"))
    assert page.status_code == 200
    assert "T Bht" in page.content.decode()
    response = director.get(reverse("workforce:compliance-csv") + "?role=bht")
    body = b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]
    assert body.splitlines()[0].startswith("staff,units,roles,status")
    assert "T Bht" in body
    assert "Lapsed" in body
    assert AuditEvent.objects.filter(action="export", object_type="workforce.compliance").exists()


@pytest.mark.django_db
def test_api_create_with_evidence_and_replay(world: World) -> None:
    import base64
    import uuid

    from pillars.core.tests.api_support import api_as

    api = api_as(world.user("bht"))
    key = str(uuid.uuid4())
    body = {
        "type_code": "nci",
        "issued_on": "2025-03-01",
        "evidence_base64": base64.b64encode(PDF).decode(),
        "client_id": key,
    }
    url = f"/workforce/staff/{world.staff['bht'].public_id}/credentials"
    first = api.post(url, body)
    assert first.status_code == 201, first.content
    assert first.json()["expires_on"] == "2026-03-01"
    again = api.post(url, body)
    assert again.json()["public_id"] == first.json()["public_id"]
    bad = api.post(url, {**body, "client_id": str(uuid.uuid4()), "evidence_base64": "!!"})
    assert bad.status_code == 422
    Credential.objects.get().evidence.delete(save=False)
