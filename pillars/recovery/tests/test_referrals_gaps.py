"""Referrals, second part: a Part 2 packet logged as a disclosure to the outside recipient under
its consent (with that consent's explanation in the notice, and in the person's accounting of
disclosures), a consent that no longer covers the recipient refusing the copy, the follow-up
reminder at its local moment (once, with a back-off for a failing row), the packet as a PDF,
and the person page's referrals section."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from pillars.audit.models import AuditEvent
from pillars.core import clock, exports
from pillars.people import consents
from pillars.people.models import Alert
from pillars.recovery.models.referrals import Referral
from pillars.recovery.services import referrals as services
from pillars.recovery.tests.test_referrals import _client, _consent, fresh, refer, service, sud

pytestmark = pytest.mark.django_db

__all__ = ["sud"]  # the fixture, shared with test_referrals


def _part2_referral(world: Any, sud: dict[str, Any]) -> tuple[Referral, Any]:
    consent = _consent(sud, world, "Harbor Housing")
    made = services.refer(
        sud["person"], actor=fresh(sud["peer"].user), service=service(), reason="Housing"
    )
    return made, consent


# --- The disclosure to the outside recipient -------------------------------------------------


def test_the_packet_is_logged_as_a_disclosure_under_the_consent_to_the_recipient(
    world: Any, sud: dict[str, Any]
) -> None:
    made, consent = _part2_referral(world, sud)
    export = AuditEvent.objects.get(action="export", object_id=str(made.public_id))
    assert export.detail["disclosure"] == ["consent"]
    assert export.detail["consent_ids"] == [str(consent.public_id)]
    assert export.detail["recipient"] == "Harbor Housing"
    released = services.release_packet(made, actor=fresh(sud["peer"].user), fmt="print")
    [basis] = released.bases
    assert (basis.kind, basis.consent_id) == ("consent", str(consent.public_id))
    explanation = consents.explain(consent.pk)
    assert f"Disclosed under this consent: {explanation}" in released.notice
    assert not any("Copy made by the program" in line for line in released.notice)


def test_the_accounting_of_disclosures_lists_the_referral(world: Any, sud: dict[str, Any]) -> None:
    _made, consent = _part2_referral(world, sud)
    rows = consents.disclosures_of(fresh(world.user("privacy")), sud["person"])
    [row] = [r for r in rows if r.kind == "recovery.referral_packet"]
    assert row.basis == "consent"
    assert row.consent == consent
    assert row.recipient == "Harbor Housing"
    assert "Harbor Housing" in row.who


def test_a_revoked_consent_refuses_the_copy(world: Any, sud: dict[str, Any]) -> None:
    made, consent = _part2_referral(world, sud)
    consents.revoke_consent(consent, actor=world.user("privacy"), received_as="letter")
    before = AuditEvent.objects.filter(action="export").count()
    with pytest.raises(PermissionDenied):
        services.release_packet(made, actor=fresh(sud["peer"].user), fmt="print")
    assert AuditEvent.objects.filter(action="export").count() == before


def test_a_consent_naming_another_recipient_is_refused_by_the_door(
    world: Any, sud: dict[str, Any]
) -> None:
    made, consent = _part2_referral(world, sud)
    with pytest.raises(PermissionDenied):
        exports.release(
            fresh(sud["peer"].user),
            what="recovery.referral_packet",
            fmt="print",
            records=[made],
            recipient=exports.Recipient("Some Other Agency", consent),
        )
    with pytest.raises(PermissionDenied):
        exports.release(
            fresh(sud["peer"].user),
            what="recovery.referral_packet",
            fmt="print",
            records=[made],
            recipient=exports.Recipient("Harbor Housing", None),
        )


def test_a_record_without_part2_needs_no_consent(world: Any) -> None:
    made = refer(world)
    released = services.release_packet(made, actor=world.user("peer"), fmt="print")
    assert not released.part2
    assert released.notice == ()


# --- The follow-up reminder ------------------------------------------------------------------


def _moment(made: Referral) -> datetime:
    assert made.follow_up_on is not None
    zone = ZoneInfo(made.made_in_unit.time_zone) if made.made_in_unit else ZoneInfo("UTC")
    return datetime.combine(made.follow_up_on, time(0), tzinfo=zone)


def test_the_follow_up_reminds_the_peer_once_at_the_local_start_of_the_day(world: Any) -> None:
    made = refer(world, follow_up_on=clock.organization_today() + timedelta(days=5))
    moment = _moment(made)
    assert services.follow_up_moment(made) == moment
    before = services.sweep_follow_ups(moment - timedelta(seconds=1))
    assert (before.claimed, before.alerts) == (0, 0)
    assert not Alert.objects.exists()
    at = services.sweep_follow_ups(moment)
    assert (at.claimed, at.alerts, at.failed) == (1, 1, 0)
    alert = Alert.objects.get()
    assert alert.recipient == world.staff["peer"]
    assert alert.dedupe_key.startswith(f"rfu:{made.public_id}:")
    assert world.person_a.display_name not in alert.message
    assert "Harbor Housing" in alert.message
    after = services.sweep_follow_ups(moment + timedelta(seconds=1))
    assert (after.claimed, after.alerts) == (0, 0)
    assert Alert.objects.count() == 1
    assert AuditEvent.objects.filter(
        object_id=str(made.public_id), detail__event="referral follow-up due"
    ).exists()


def test_a_new_follow_up_date_re_arms_and_a_closed_referral_is_quiet(world: Any) -> None:
    made = refer(world, follow_up_on=date(2030, 1, 7))
    services.sweep_follow_ups(_moment(made))
    services.update_status(
        made, actor=world.user("peer"), status="received", follow_up_on=date(2030, 1, 9)
    )
    made.refresh_from_db()
    assert services.sweep_follow_ups(_moment(made)).alerts == 1
    closed = refer(world, follow_up_on=date(2030, 1, 7))
    services.update_status(closed, actor=world.user("peer"), status="cancelled")
    assert services.sweep_follow_ups(_moment(closed) + timedelta(days=3)).claimed == 0
    assert Alert.objects.count() == 2


def test_a_failing_follow_up_is_retried_after_a_back_off(
    world: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = refer(world, follow_up_on=date(2030, 3, 4))
    moment = _moment(made)
    real = services._remind_follow_up

    def broken(pk: int, now: datetime) -> int | None:
        raise RuntimeError("alert store down")

    monkeypatch.setattr(services, "_remind_follow_up", broken)
    failed = services.sweep_follow_ups(moment)
    assert failed.failed_rows == [str(made.public_id)]
    made.refresh_from_db()
    assert made.follow_up_failures == 1
    assert made.follow_up_retry_at == moment + timedelta(minutes=1)
    assert made.sweep_failures == 0  # the overdue sweep's back-off is its own
    monkeypatch.setattr(services, "_remind_follow_up", real)
    assert services.sweep_follow_ups(moment + timedelta(seconds=10)).claimed == 0
    done = services.sweep_follow_ups(moment + timedelta(minutes=1))
    assert (done.claimed, done.alerts) == (1, 1)
    made.refresh_from_db()
    assert (made.follow_up_failures, made.follow_up_retry_at) == (0, None)


def test_the_worker_finds_the_follow_up_sweep() -> None:
    from pillars.recovery.sweeps import SWEEPS

    assert services.sweep_follow_ups in SWEEPS


# --- The PDF and the person page -------------------------------------------------------------


def test_the_packet_pdf_leaves_by_the_door_with_the_notice(world: Any, sud: dict[str, Any]) -> None:
    from pillars.recovery import referrals_pdf

    made, consent = _part2_referral(world, sud)
    response = _client(sud["peer"]).get(
        reverse("recovery:referral-packet-pdf", args=[made.public_id])
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    export = AuditEvent.objects.get(action="export", detail__format="pdf")
    assert export.detail["disclosure"] == ["consent"]
    assert export.detail["consent_ids"] == [str(consent.public_id)]
    released = services.release_packet(made, actor=fresh(sud["peer"].user), fmt="pdf")
    plain = referrals_pdf.render(made)
    noticed = referrals_pdf.render(made, released)
    assert len(noticed) > len(plain)


def test_the_person_page_shows_the_referrals_section(world: Any) -> None:
    made = refer(world)
    client = _client(world.staff["peer"])
    person_page = client.get(reverse("people:person-detail", args=[world.person_a.public_id]))
    section_url = reverse(
        "people:person-section", args=[world.person_a.public_id, "recovery-referrals"]
    )
    # The section opens on demand: the page links to it, the route renders it.
    assert section_url in person_page.content.decode()
    page = client.get(section_url)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="h-referrals"' in html
    assert reverse("recovery:referral", args=[made.public_id]) in html
    assert "Harbor Housing" in html
    assert reverse("recovery:referral-choose", args=[world.person_a.public_id]) in html
