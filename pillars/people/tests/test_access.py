"""An administrator's sign-in access pages for a staff member: lockout, two-step device, badge
PIN and trusted tablets; each change needs a reason, is audited with it and stores nothing
half-way; other roles are refused, out-of-scope staff answer 404."""

from __future__ import annotations

from typing import Any

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from pillars.audit.choices import Action, Purpose
from pillars.audit.models import AuditEvent
from pillars.core.backends import badge_name
from pillars.core.errors import ValidationError
from pillars.core.models import ApiToken
from pillars.core.tokens import create_token
from pillars.people import access
from pillars.people.models import DeviceEnrollment, Staff, TrustedDevice
from pillars.people.services import set_pin
from pillars.people.tablets import DEVICE_COOKIE
from pillars.people.testing import PASSWORD, World

SIGN_IN = "/account/sign-in/"
SWITCH = "/account/tablet/switch/"
PIN = "482913"
REASON = "Called the help desk from the unit phone; identity checked against the badge."


def events(event: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(detail__event=event).order_by("seq"))


def fail_sign_in(client: Client, username: str, times: int) -> Any:
    response = None
    for _ in range(times):
        response = client.post(SIGN_IN, {"username": username, "password": "not-the-password"})
    return response


def lock_out(username: str) -> None:
    response = fail_sign_in(Client(), username, settings.AXES_FAILURE_LIMIT)
    assert response.status_code == 429


def signs_in(username: str, client: Client | None = None) -> bool:
    client = client or Client()
    response = client.post(SIGN_IN, {"username": username, "password": PASSWORD})
    return bool(response.status_code == 302)


def signed_in_as(client: Client) -> Any:
    response = client.get("/")
    return response.wsgi_request.user if response.status_code == 200 else None


def page(staff: Staff, name: str = "people:staff-access", **kwargs: Any) -> str:
    return reverse(name, kwargs={"public_id": staff.public_id, **kwargs})


@pytest.fixture
def station(world: World, signed_in: Any) -> tuple[TrustedDevice, Client]:
    """Unit A's tablet, registered by the nurse; the BHT signed in on it fully, set a PIN and
    switched in with badge and PIN (the tablet's current session is the BHT's badge session)."""
    nurse = signed_in("nurse")
    response = nurse.post(
        "/account/tablet/register/", {"unit": str(world.unit_a.public_id), "name": "North"}
    )
    assert response.status_code == 302
    tablet = Client()
    tablet.cookies[DEVICE_COOKIE] = nurse.cookies[DEVICE_COOKIE].value
    assert signs_in("t-bht", tablet)
    set_pin(world.staff["bht"], actor=world.user("bht"), pin=PIN)
    tablet.post("/account/sign-out/")
    # Signing out ended every session of the BHT (the epoch moved): later sign-ins use it.
    world.user("bht").refresh_from_db()
    response = tablet.post(SWITCH, {"badge": world.staff["bht"].badge_number, "pin": PIN})
    assert response.status_code == 302
    assert signed_in_as(tablet) == world.user("bht")
    return TrustedDevice.objects.get(), tablet


# --- Reasons and permissions -------------------------------------------------------------------


@pytest.mark.parametrize("blank", ["", "   ", "\n\t"])
def test_every_change_needs_a_reason_and_stores_nothing_without_one(
    world: World, blank: str
) -> None:
    nurse = world.staff["nurse"]
    lock_out("t-nurse")
    TOTPDevice.objects.create(user=nurse.user, name="app", confirmed=True)
    set_pin(nurse, actor=nurse.user, pin=PIN)
    admin = world.user("admin")
    for write in (access.unlock_account, access.reset_two_factor, access.reset_pin):
        with pytest.raises(ValidationError) as refused:
            write(nurse, actor=admin, reason=blank)
        assert "reason" in refused.value.message_dict
    assert AccessAttempt.objects.filter(username="t-nurse").exists()
    assert TOTPDevice.objects.filter(user=nurse.user).exists()
    assert Staff.objects.get(pk=nurse.pk).pin_hash
    assert not AuditEvent.objects.filter(detail__has_key="reason", action=Action.UPDATE).exists()


def test_a_reason_over_500_characters_is_refused_naming_the_limit(world: World) -> None:
    lock_out("t-nurse")
    with pytest.raises(ValidationError) as refused:
        access.unlock_account(world.staff["nurse"], actor=world.user("admin"), reason="x" * 501)
    assert "500 characters" in refused.value.message_dict["reason"][0]
    assert AccessAttempt.objects.filter(username="t-nurse").exists()


@pytest.mark.parametrize("role", ["bht", "nurse", "clinician", "supervisor", "director", "privacy"])
def test_only_administrators_change_access(world: World, role: str) -> None:
    lock_out("t-peer")
    with pytest.raises(PermissionDenied):
        access.unlock_account(world.staff["peer"], actor=world.user(role), reason=REASON)
    assert AccessAttempt.objects.filter(username="t-peer").exists()


def test_an_administrator_cannot_reset_their_own_access(world: World) -> None:
    admin = world.staff["admin"]
    TOTPDevice.objects.create(user=admin.user, name="app", confirmed=True)
    with pytest.raises(PermissionDenied):
        access.reset_two_factor(admin, actor=admin.user, reason=REASON)
    assert TOTPDevice.objects.filter(user=admin.user).exists()


def test_an_outsider_does_not_learn_the_staff_member_exists(world: World) -> None:
    with pytest.raises(Http404):
        access.unlock_account(world.staff["nurse"], actor=world.user("outsider"), reason=REASON)


# --- Unlock ------------------------------------------------------------------------------------


def test_unlocking_clears_the_failures_and_the_staff_member_signs_in_again(world: World) -> None:
    nurse = world.staff["nurse"]
    lock_out("t-nurse")
    assert not signs_in("t-nurse")
    cleared = access.unlock_account(nurse, actor=world.user("admin"), reason=REASON)
    assert cleared == settings.AXES_FAILURE_LIMIT
    assert not AccessAttempt.objects.filter(username="t-nurse").exists()
    [event] = events("account_unlocked")
    assert event.actor == world.user("admin")
    assert event.action == Action.UPDATE
    assert event.purpose == Purpose.SECURITY
    assert event.object_id == str(nurse.public_id)
    assert event.detail["reason"] == REASON
    assert event.detail["cleared"][0]["name"] == "t-nurse"
    assert event.detail["cleared"][0]["failures"] == settings.AXES_FAILURE_LIMIT
    assert signs_in("t-nurse")


def test_unlocking_clears_badge_failures_and_the_two_step_delay(
    world: World, station: tuple[TrustedDevice, Client]
) -> None:
    _, tablet = station
    bht = world.staff["bht"]
    for _ in range(settings.AXES_FAILURE_LIMIT):
        tablet.post(SWITCH, {"badge": bht.badge_number, "pin": "000111"})
    by_badge = AccessAttempt.objects.filter(username=badge_name(world.org, bht.badge_number))
    assert by_badge.exists()
    device = TOTPDevice.objects.create(
        user=bht.user, name="app", confirmed=True, throttling_failure_count=4
    )
    access.unlock_account(bht, actor=world.user("admin"), reason=REASON)
    assert not by_badge.exists()
    device.refresh_from_db()
    assert device.throttling_failure_count == 0
    assert events("account_unlocked")[0].detail["two_step_delay_cleared"] is True


def test_unlocking_an_account_without_failures_is_refused(world: World) -> None:
    with pytest.raises(ValidationError) as refused:
        access.unlock_account(world.staff["nurse"], actor=world.user("admin"), reason=REASON)
    assert "nothing to unlock" in refused.value.messages[0]
    assert not events("account_unlocked")


# --- Two-step device -----------------------------------------------------------------------------


def test_resetting_two_step_removes_the_device_and_ends_sessions_and_tokens(
    world: World, signed_in: Any
) -> None:
    director = world.staff["director"]
    client = signed_in("director")
    assert signed_in_as(client) == director.user
    create_token(director.user, name="reports", scopes=["read"], days=30)
    removed = access.reset_two_factor(director, actor=world.user("admin"), reason=REASON)
    assert removed == 1
    assert not TOTPDevice.objects.filter(user=director.user).exists()
    assert not ApiToken.objects.filter(user=director.user, revoked_at__isnull=True).exists()
    assert signed_in_as(client) is None
    [event] = events("two_factor_reset")
    assert event.detail["reason"] == REASON
    assert event.detail["had_confirmed"] is True
    # At the next sign-in, after the password, they set up a new authenticator.
    again = Client()
    assert signs_in("t-director", again)
    response = again.get("/account/two-factor/")
    assert "Set up two-step sign-in" in response.content.decode()
    assert not TOTPDevice.objects.get(user=director.user).confirmed


def test_resetting_two_step_without_a_device_is_refused(world: World) -> None:
    with pytest.raises(ValidationError):
        access.reset_two_factor(world.staff["nurse"], actor=world.user("admin"), reason=REASON)
    assert not events("two_factor_reset")


# --- Badge PIN ---------------------------------------------------------------------------------


def test_resetting_the_pin_stops_badge_switching_and_ends_badge_sessions_only(
    world: World, station: tuple[TrustedDevice, Client], signed_in: Any
) -> None:
    _, tablet = station
    bht = world.staff["bht"]
    elsewhere = signed_in("bht")
    ended = access.reset_pin(bht, actor=world.user("admin"), reason=REASON)
    assert ended == 1
    assert Staff.objects.get(pk=bht.pk).pin_hash == ""
    assert signed_in_as(tablet) is None
    assert signed_in_as(elsewhere) == bht.user
    refused = tablet.post(SWITCH, {"badge": bht.badge_number, "pin": PIN})
    assert refused.status_code == 200
    [event] = events("pin_reset")
    assert event.detail["reason"] == REASON
    assert event.detail["changes"] == {"pin": "removed"}
    assert PIN not in str(event.detail)


# --- Trusted tablets ---------------------------------------------------------------------------


def test_revoking_a_tablet_ends_the_sessions_signed_in_on_it(
    world: World, station: tuple[TrustedDevice, Client], signed_in: Any
) -> None:
    device, tablet = station
    elsewhere = signed_in("bht")
    ended = access.revoke_tablet(
        world.staff["bht"], device, actor=world.user("admin"), reason="Tablet left on the bus."
    )
    # The tablet's own session and the nurse's, who registered it from this same browser.
    assert ended == 2
    device.refresh_from_db()
    assert device.revoked_at is not None
    assert signed_in_as(tablet) is None
    assert signed_in_as(elsewhere) == world.user("bht")
    # The tablet is no longer trusted: badge and PIN are refused there.
    assert tablet.get(SWITCH).status_code == 403
    [event] = events("tablet_revoked")
    assert event.object_id == str(device.public_id)
    assert event.detail["reason"] == "Tablet left on the bus."
    assert event.detail["staff"] == str(world.staff["bht"].public_id)
    with pytest.raises(ValidationError):
        access.revoke_tablet(world.staff["bht"], device, actor=world.user("admin"), reason=REASON)


def test_a_tablet_not_linked_to_the_staff_member_cannot_be_revoked_through_them(
    world: World, station: tuple[TrustedDevice, Client]
) -> None:
    device, _ = station
    with pytest.raises(Http404):
        access.revoke_tablet(world.staff["peer"], device, actor=world.user("admin"), reason=REASON)
    device.refresh_from_db()
    assert device.revoked_at is None


# --- Pages -------------------------------------------------------------------------------------


def test_the_staff_profile_links_to_the_access_page_for_administrators_only(
    world: World, signed_in: Any
) -> None:
    target = page(world.staff["nurse"])
    assert (
        target
        in signed_in("admin")
        .get(page(world.staff["nurse"], "people:staff-detail"))
        .content.decode()
    )
    for role in ("nurse", "bht", "director"):
        html = (
            signed_in(role).get(page(world.staff["nurse"], "people:staff-detail")).content.decode()
        )
        assert target not in html


def test_the_access_page_shows_lockout_two_step_pin_and_tablets(
    world: World, station: tuple[TrustedDevice, Client], signed_in: Any
) -> None:
    lock_out("t-bht")
    TOTPDevice.objects.create(user=world.user("bht"), name="app", confirmed=False)
    html = signed_in("admin").get(page(world.staff["bht"])).content.decode()
    assert "Locked out" in html
    assert f"{settings.AXES_FAILURE_LIMIT} of {settings.AXES_FAILURE_LIMIT}" in html
    assert "Started, not finished" in html
    assert "Set</span>" in html  # the PIN
    assert "North" in html
    assert "Trusted" in html
    assert 'for="id_unlock-reason"' in html
    assert PIN not in html


@pytest.mark.parametrize(
    ("role", "status"), [("nurse", 403), ("bht", 403), ("director", 403), ("outsider", 404)]
)
def test_other_roles_are_refused_the_pages(
    world: World, signed_in: Any, role: str, status: int
) -> None:
    lock_out("t-clinician")
    client = signed_in(role)
    target = world.staff["clinician"]
    assert client.get(page(target)).status_code == status
    response = client.post(page(target, "people:staff-access-unlock"), {"unlock-reason": REASON})
    assert response.status_code == status
    assert AccessAttempt.objects.filter(username="t-clinician").exists()


def test_a_blank_reason_shows_the_page_again_naming_the_field(world: World, signed_in: Any) -> None:
    lock_out("t-nurse")
    response = signed_in("admin").post(
        page(world.staff["nurse"], "people:staff-access-unlock"), {"unlock-reason": "  "}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Give a reason: it is kept in the audit log" in html
    assert 'id="id_unlock-reason_error"' in html
    assert AccessAttempt.objects.filter(username="t-nurse").exists()
    assert not events("account_unlocked")


def test_the_administrator_unlocks_from_the_page(world: World, signed_in: Any) -> None:
    lock_out("t-nurse")
    admin = signed_in("admin")
    response = admin.post(
        page(world.staff["nurse"], "people:staff-access-unlock"), {"unlock-reason": REASON}
    )
    assert response.status_code == 302
    assert response["Location"] == page(world.staff["nurse"])
    follow = admin.get(response["Location"]).content.decode()
    assert "can sign in again" in follow
    assert "Not locked out" in follow
    assert signs_in("t-nurse")


def test_the_administrator_revokes_a_tablet_from_the_page(
    world: World, station: tuple[TrustedDevice, Client], signed_in: Any
) -> None:
    device, tablet = station
    prefix = f"tablet-{device.public_id.hex}"
    url = page(world.staff["bht"], "people:staff-access-tablet", device_id=device.public_id)
    admin = signed_in("admin")
    blank = admin.post(url, {f"{prefix}-reason": ""})
    assert blank.status_code == 200
    assert f'id="id_{prefix}-reason_error"' in blank.content.decode()
    assert TrustedDevice.objects.get().revoked_at is None
    response = admin.post(url, {f"{prefix}-reason": "Screen cracked, replaced."})
    assert response.status_code == 302
    assert TrustedDevice.objects.get().revoked_at is not None
    assert signed_in_as(tablet) is None
    # A tablet unknown to this staff member answers 404.
    other = page(world.staff["peer"], "people:staff-access-tablet", device_id=device.public_id)
    assert admin.post(other, {f"{prefix}-reason": REASON}).status_code == 404
    assert DeviceEnrollment.objects.filter(device=device).exists()


def test_the_page_shows_an_address_lockout_that_turned_the_staff_member_away(
    world: World, signed_in: Any
) -> None:
    station = "198.51.100.7"
    sprayer = Client(REMOTE_ADDR=station)
    for n in range(settings.PILLARS_LOCKOUT_ADDRESS_FAILURES):
        sprayer.post(SIGN_IN, {"username": f"guess-{n}", "password": "nope"})
    nurse = Client(REMOTE_ADDR=station)
    assert nurse.post(SIGN_IN, {"username": "t-nurse", "password": PASSWORD}).status_code == 429
    assert not AccessAttempt.objects.filter(username="t-nurse").exists()
    html = signed_in("admin").get(page(world.staff["nurse"])).content.decode()
    assert "Locked out" in html
    assert f"The address {station} is locked for every sign-in name" in html
    assert "Unlocking this account does not end that lockout" in html


def test_the_page_offers_to_clear_a_two_step_delay(world: World, signed_in: Any) -> None:
    TOTPDevice.objects.create(
        user=world.user("nurse"), name="app", confirmed=True, throttling_failure_count=3
    )
    html = signed_in("admin").get(page(world.staff["nurse"])).content.decode()
    assert "Wrong two-step codes" in html
    assert 'for="id_unlock-reason"' in html
