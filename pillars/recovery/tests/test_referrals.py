"""Closed-loop referrals: status moves allowed and refused with their history, two business
days over a weekend, the Part 2 refusal without a consent naming the organization (nothing
stored) and the packet released with its basis under one, a confidential service's address
kept out, the overdue sweep alerting once and retrying a failing row, who may do what, the
pages, the report and the API."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.test import Client
from django.urls import reverse

from pillars.audit.models import AuditEvent
from pillars.core import clock, policy
from pillars.core.errors import ValidationError
from pillars.core.roles import RoleCode
from pillars.core.tests.api_support import api_as
from pillars.people import consents
from pillars.people.models import Alert, Staff
from pillars.people.testing import World, make_person, make_staff, make_unit, place
from pillars.recovery.models.directory import (
    Address,
    HsdsOrganization,
    HsdsService,
    Location,
    Phone,
    ServiceAtLocation,
)
from pillars.recovery.models.referrals import (
    Referral,
    ReferralEvent,
    ReferralOutcomeReason,
    ReferralStatus,
)
from pillars.recovery.selectors import referrals as selectors
from pillars.recovery.services import referrals as services

pytestmark = pytest.mark.django_db

SHELTER_STREET = "12 Hidden Lane"


def fresh(user: Any) -> Any:
    policy.forget(user)
    return user


def service(name: str = "Housing help", org: str = "Harbor Housing", **kw: Any) -> HsdsService:
    organization = HsdsOrganization.objects.create(name=org)
    return HsdsService.objects.create(organization=organization, name=name, status="active", **kw)


def shelter() -> HsdsService:
    """A confidential (DV) service with an address on file and a hotline."""
    found = service("Safe shelter", "Safe Harbor", x_confidential=True)
    location = Location.objects.create(location_type="physical", name="Shelter")
    Address.objects.create(
        location=location,
        address_1=SHELTER_STREET,
        city="Springfield",
        state_province="IL",
        postal_code="62701",
        country="US",
        address_type="physical",
    )
    ServiceAtLocation.objects.create(service=found, location=location)
    Phone.objects.create(service=found, number="800-555-0199", description="24-hour hotline")
    return found


def refer(world: World, to: HsdsService | None = None, **kw: Any) -> Referral:
    return services.refer(
        world.person_a,
        actor=world.user("peer"),
        service=to or service(),
        reason="A safe place to live",
        **kw,
    )


# --- Statuses ----------------------------------------------------------------------------------


def test_sending_records_who_when_and_the_first_history_row(world: World) -> None:
    made = refer(world)
    assert made.status == ReferralStatus.REQUESTED
    assert made.referred_by == world.staff["peer"]
    [event] = made.events.all()
    assert (event.from_status, event.to_status, event.actor) == ("", "requested", made.referred_by)
    assert AuditEvent.objects.filter(object_id=str(made.public_id), action="create").exists()


def test_allowed_moves_are_kept_in_the_history(world: World) -> None:
    made = refer(world)
    for status in ("received", "accepted", "in-progress", "completed"):
        services.update_status(made, actor=world.user("peer"), status=status, note=status)
    made.refresh_from_db()
    assert made.status == "completed"
    assert made.closed_at is not None
    assert [e.to_status for e in made.events.all()] == [
        "requested",
        "received",
        "accepted",
        "in-progress",
        "completed",
    ]
    assert AuditEvent.objects.filter(object_id=str(made.public_id), action="update").count() == 4


def test_a_move_the_state_machine_forbids_is_refused_and_nothing_changes(world: World) -> None:
    made = refer(world)
    with pytest.raises(ValidationError) as refused:
        services.update_status(made, actor=world.user("peer"), status="completed")
    assert "cannot become" in " ".join(refused.value.messages)
    services.update_status(made, actor=world.user("peer"), status="cancelled", note="Moved")
    with pytest.raises(ValidationError) as again:
        services.update_status(made, actor=world.user("peer"), status="accepted")
    assert "reopen it first" in " ".join(again.value.messages)
    assert made.events.count() == 2


def test_not_accepted_needs_the_reason_and_reopening_needs_a_note(world: World) -> None:
    made = refer(world)
    with pytest.raises(ValidationError):
        services.update_status(made, actor=world.user("peer"), status="rejected")
    full = ReferralOutcomeReason.objects.get(code="service-full")
    services.update_status(made, actor=world.user("peer"), status="rejected", outcome_reason=full)
    with pytest.raises(ValidationError):
        services.reopen(made, actor=world.user("peer"), note=" ")
    services.reopen(made, actor=world.user("peer"), note="A place opened up")
    made.refresh_from_db()
    assert made.status == "requested"
    assert made.outcome_reason is None
    assert made.events.last().note == "A place opened up"  # type: ignore[union-attr]


def test_a_logged_referral_is_closed_by_the_peer(world: World) -> None:
    made = services.log_outside(
        world.person_a,
        actor=world.user("peer"),
        organization="Neighborhood Legal Aid",
        reason="Landlord dispute",
    )
    assert made.is_logged
    assert made.status == "in-progress"
    assert made.service is None
    assert not AuditEvent.objects.filter(action="export").exists()
    services.update_status(made, actor=world.user("peer"), status="completed")
    with pytest.raises(ValidationError):
        services.log_outside(world.person_a, actor=world.user("peer"), organization="", reason="x")


# --- Due dates ---------------------------------------------------------------------------------


def test_business_days_skip_the_weekend() -> None:
    assert services.add_business_days(date(2026, 12, 3), 2) == date(2026, 12, 7)  # Thu -> Mon
    assert services.add_business_days(date(2026, 12, 4), 2) == date(2026, 12, 8)  # Fri -> Tue
    assert services.add_business_days(date(2026, 12, 7), 2) == date(2026, 12, 9)  # Mon -> Wed


def test_the_response_is_due_two_business_days_after_a_friday_sending(world: World) -> None:
    friday_noon = datetime(2026, 12, 4, 18, 0, tzinfo=UTC)
    with clock.replaying_at(friday_noon):
        made = refer(world)
    assert made.due_on == date(2026, 12, 8)


# --- Part 2 --------------------------------------------------------------------------------------


@pytest.fixture
def sud(world: World) -> dict[str, Any]:
    unit, beds = make_unit(world.site, "sud", part2=True)
    peer = make_staff("t-sud-peer", [RoleCode.PEER], [unit])
    person = make_person("MRN-S1", "Delgado")
    place(person, unit, beds[0], peer)
    return {"unit": unit, "peer": peer, "person": person}


def _consent(sud: dict[str, Any], world: World, name: str) -> Any:
    today = clock.today_in(sud["unit"].time_zone)
    return consents.record_consent(
        sud["person"],
        actor=world.user("privacy"),
        programs=[sud["unit"]],
        information_kinds=["recovery"],
        information_description="The referral and the recovery goal it supports.",
        purposes=["treatment"],
        recipients=[{"kind": "entity", "name": name}],
        expires_on=today + timedelta(days=90),
        signed_by="person",
        signer_name="Alex Delgado",
        signed_on=today,
    )


def test_part2_without_a_consent_naming_the_organization_is_refused_and_nothing_stored(
    world: World, sud: dict[str, Any]
) -> None:
    _consent(sud, world, "Some Other Agency")
    to = service()
    before = AuditEvent.objects.count()
    seen = services.preview(sud["person"], actor=fresh(sud["peer"].user), service=to)
    assert seen.part2
    assert not seen.may_send
    assert "Harbor Housing" in seen.refused
    with pytest.raises(ValidationError) as refused:
        services.refer(sud["person"], actor=fresh(sud["peer"].user), service=to, reason="Housing")
    assert "no active consent" in " ".join(refused.value.messages)
    assert not Referral.objects.exists()
    assert not ReferralEvent.objects.exists()
    assert AuditEvent.objects.count() == before


def test_part2_with_a_consent_is_sent_and_the_disclosure_logged_with_its_basis(
    world: World, sud: dict[str, Any]
) -> None:
    consent = _consent(sud, world, "harbor  housing")
    made = services.refer(
        sud["person"], actor=fresh(sud["peer"].user), service=service(), reason="Housing"
    )
    assert made.is_part2
    assert made.consent == consent
    export = AuditEvent.objects.get(action="export", object_id=str(made.public_id))
    assert export.category == "part2"
    assert export.detail["notice"] is True
    assert export.detail["disclosure"]
    assert export.detail["recipient_consent"] == str(consent.public_id)
    assert export.detail["recipient"] == "Harbor Housing"


def test_the_packet_page_shows_the_notice_for_part2(world: World, sud: dict[str, Any]) -> None:
    _consent(sud, world, "Harbor Housing")
    made = services.refer(
        sud["person"], actor=fresh(sud["peer"].user), service=service(), reason="Housing"
    )
    client = _client(sud["peer"])
    page = client.get(reverse("recovery:referral-packet", args=[made.public_id]))
    assert page.status_code == 200
    assert "42 CFR part 2" in page.content.decode()
    assert AuditEvent.objects.filter(action="export", detail__format="print").exists()


def _client(staff: Staff) -> Any:
    client = Client()
    client.force_login(staff.user)
    return client


# --- Confidential services -------------------------------------------------------------------


def test_a_confidential_service_address_is_never_in_the_packet_or_pages(world: World) -> None:
    to = shelter()
    fields = services.packet_fields(world.person_a, to, reason="Safety", goal=None)
    text = " ".join(v for _, v in fields)
    assert SHELTER_STREET not in text
    assert "800-555-0199" in text
    made = refer(world, to)
    client = _client(world.staff["peer"])
    for name in ("recovery:referral", "recovery:referral-packet"):
        page = client.get(reverse(name, args=[made.public_id]))
        assert page.status_code == 200
        assert SHELTER_STREET not in page.content.decode()
    preview = client.get(
        reverse("recovery:referral-new", args=[world.person_a.public_id, to.public_id])
    )
    assert SHELTER_STREET not in preview.content.decode()
    assert "hotline" in preview.content.decode()


# --- The overdue sweep -----------------------------------------------------------------------


def test_an_overdue_referral_alerts_the_peer_once(world: World) -> None:
    made = refer(world)
    assert made.due_on is not None
    later = datetime.combine(made.due_on + timedelta(days=1), datetime.min.time(), UTC)
    later += timedelta(hours=15)
    first = services.sweep_overdue(later)
    assert (first.claimed, first.alerts, first.failed) == (1, 1, 0)
    alert = Alert.objects.get()
    assert alert.recipient == world.staff["peer"]
    assert world.person_a.display_name not in alert.message
    assert services.sweep_overdue(later + timedelta(hours=1)).alerts == 0
    assert Alert.objects.count() == 1


def test_a_failing_row_is_retried_after_a_back_off(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = refer(world)
    assert made.due_on is not None
    later = datetime.combine(made.due_on + timedelta(days=2), datetime.min.time(), UTC)
    real = services._alert_overdue

    def broken(pk: int, now: datetime) -> int | None:
        raise RuntimeError("alert store down")

    monkeypatch.setattr(services, "_alert_overdue", broken)
    failed = services.sweep_overdue(later)
    assert failed.failed == 1
    assert failed.failed_rows == [str(made.public_id)]
    made.refresh_from_db()
    assert made.sweep_failures == 1
    assert made.sweep_retry_at is not None
    assert AuditEvent.objects.filter(object_id=str(made.public_id), outcome="failed").exists()
    monkeypatch.setattr(services, "_alert_overdue", real)
    assert services.sweep_overdue(later + timedelta(seconds=10)).claimed == 0  # still waiting
    done = services.sweep_overdue(later + timedelta(minutes=2))
    assert (done.claimed, done.alerts) == (1, 1)


def test_the_worker_finds_the_sweep() -> None:
    from pillars.recovery.sweeps import SWEEPS

    assert services.sweep_overdue in SWEEPS


# --- Who may -----------------------------------------------------------------------------------


def test_who_may_refer_and_read(world: World) -> None:
    made = refer(world)
    for role in ("clinician", "peer"):
        assert policy.can(world.user(role), "recovery.make_referral", made)
    for role in ("supervisor", "director"):
        assert policy.can(world.user(role), "recovery.view_referrals", made)
        assert not policy.can(world.user(role), "recovery.make_referral", made)
    with pytest.raises(PermissionDenied):
        services.update_status(made, actor=world.user("nurse"), status="received")
    with pytest.raises(Http404):
        selectors.get_referral_for(world.user("outsider"), made.public_id, what="t")


def test_the_outcomes_report_hides_small_groups(world: World) -> None:
    for to, count in (
        (service(), 6),
        (service("Jobs", "Works"), 7),
        (service("Food", "Pantry"), 1),
    ):
        for n in range(count):
            made = refer(world, to)
            services.update_status(made, actor=world.user("peer"), status="cancelled", note=str(n))
    report = selectors.outcomes(world.user("supervisor"))
    rows = {r.label: r for r in report["by_service"]}
    assert rows["Food (Pantry)"].hidden
    # The total is shown, so the next smallest group is hidden too (no subtraction).
    assert rows["Housing help (Harbor Housing)"].hidden
    assert not rows["Jobs (Works)"].hidden
    assert rows["Jobs (Works)"].cells[1] == 7
    with pytest.raises(PermissionDenied):
        selectors.outcomes(world.user("peer"))


# --- Pages and API -------------------------------------------------------------------------------


def test_the_preview_page_sends_and_redirects(world: World) -> None:
    to = service()
    client = _client(world.staff["peer"])
    url = reverse("recovery:referral-new", args=[world.person_a.public_id, to.public_id])
    page = client.get(url)
    assert page.status_code == 200
    assert "What will be sent" in page.content.decode()
    sent = client.post(url, {"reason": "Housing", "confirm": "on"})
    assert sent.status_code == 302
    assert Referral.objects.get().reason == "Housing"


def test_api_create_is_idempotent_and_updates_status(world: World) -> None:
    api = api_as(world.user("peer"))
    to = service()
    body = {
        "person": str(world.person_a.public_id),
        "service": str(to.public_id),
        "reason": "Housing",
        "client_id": "0b8f3c1e-2f7a-4c1e-9a55-1d2a3b4c5d6e",
    }
    first = api.post("/referrals", body)
    again = api.post("/referrals", body)
    assert first.status_code == 201, first.content
    assert again.json()["public_id"] == first.json()["public_id"]
    assert Referral.objects.count() == 1
    rid = first.json()["public_id"]
    moved = api.post(f"/referrals/{rid}/status", {"status": "accepted"})
    assert moved.status_code == 200
    assert moved.json()["status"] == "accepted"
    bad = api.post(f"/referrals/{rid}/status", {"status": "draft"})
    assert bad.status_code == 422
    listed = api.get(f"/referrals?person={world.person_a.public_id}&status=accepted")
    assert [i["public_id"] for i in listed.json()["items"]] == [rid]
    assert api.get(f"/referrals/{rid}").json()["history"][-1]["to_status"] == "accepted"
