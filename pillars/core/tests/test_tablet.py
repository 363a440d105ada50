"""Shared unit tablets: registration, the device cookie, badge-and-PIN switching and its
refusals, and setting one's own PIN."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from axes.models import AccessAttempt
from django.conf import settings
from django.test import Client, override_settings

from pillars.audit.choices import Action, Outcome
from pillars.audit.models import AuditEvent
from pillars.core.backends import badge_name
from pillars.people.models import DeviceEnrollment, Staff, TrustedDevice
from pillars.people.services import check_pin, set_pin
from pillars.people.tablets import DEVICE_COOKIE
from pillars.people.testing import PASSWORD

SWITCH = "/account/tablet/switch/"
REGISTER = "/account/tablet/register/"
PIN = "482913"
T0 = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)


def register(client: Client, unit: Any, name: str = "North station") -> Any:
    return client.post(REGISTER, {"unit": str(unit.public_id), "name": name})


def tablet_of(client: Client) -> Client:
    """A second browser holding the same device cookie (the tablet itself)."""
    tablet = Client()
    tablet.cookies[DEVICE_COOKIE] = client.cookies[DEVICE_COOKIE].value
    return tablet


def full_sign_in(tablet: Client, username: str) -> None:
    response = tablet.post("/account/sign-in/", {"username": username, "password": PASSWORD})
    assert response.status_code == 302


def with_pin(staff: Staff, pin: str = PIN) -> Staff:
    set_pin(staff, actor=staff.user, pin=pin)
    staff.refresh_from_db()
    return staff


def switch(tablet: Client, staff: Staff, pin: str = PIN) -> Any:
    return tablet.post(SWITCH, {"badge": staff.badge_number, "pin": pin})


def who(client: Client) -> Any:
    response = client.get("/")
    return response.wsgi_request.user if response.status_code == 200 else None


@pytest.fixture
def tablet(world: Any, signed_in: Any) -> Client:
    """Unit A's tablet, registered by the charge nurse, with a BHT who signed in there fully and
    has a PIN; the nurse is still signed in on it."""
    nurse = signed_in("nurse")
    assert register(nurse, world.unit_a).status_code == 302
    tablet = tablet_of(nurse)
    full_sign_in(tablet, "t-bht")
    with_pin(world.staff["bht"])
    tablet.post("/account/sign-out/")
    full_sign_in(tablet, "t-nurse")
    return tablet


# --- Registration ------------------------------------------------------------------------


def test_a_nurse_registers_the_browser_and_gets_a_strict_long_lived_cookie(
    world: Any, signed_in: Any
) -> None:
    nurse = signed_in("nurse")
    page = nurse.get(REGISTER)
    assert page.status_code == 200
    html = page.content.decode()
    assert '<label for="id_unit">' in html
    assert str(world.unit_a.public_id) in html
    assert str(world.unit_b.public_id) not in html  # not one of the nurse's units
    response = register(nurse, world.unit_a)
    assert response.status_code == 302
    cookie = nurse.cookies[DEVICE_COOKIE]
    assert cookie["httponly"]
    assert cookie["samesite"] == "Strict"
    assert int(cookie["max-age"]) >= 300 * 24 * 3600
    assert not cookie["secure"]  # tests run over http; production sets it (next test)
    device = TrustedDevice.objects.get()
    assert device.unit == world.unit_a
    assert device.name == "North station"
    assert device.token_hash not in cookie.value
    event = AuditEvent.objects.get(action=Action.CREATE, object_id=str(device.public_id))
    assert event.actor == world.user("nurse")
    # The registrant's own sign-in on this browser counts as a full sign-in here.
    assert DeviceEnrollment.objects.filter(device=device, staff=world.staff["nurse"]).exists()
    assert "This browser is the tablet" in nurse.get(REGISTER).content.decode()


@override_settings(SESSION_COOKIE_SECURE=True)
def test_the_device_cookie_is_secure_where_sessions_are(world: Any, signed_in: Any) -> None:
    nurse = signed_in("nurse")
    register(nurse, world.unit_a)
    assert nurse.cookies[DEVICE_COOKIE]["secure"]


def test_an_admin_registers_a_tablet_for_any_unit(world: Any, signed_in: Any) -> None:
    admin = signed_in("admin")
    assert register(admin, world.unit_b, "South station").status_code == 302
    assert TrustedDevice.objects.get().unit == world.unit_b
    # Two-factor roles never use badge and PIN, so they are not enrolled.
    assert not DeviceEnrollment.objects.exists()


def test_a_nurse_cannot_register_a_tablet_for_another_unit(world: Any, signed_in: Any) -> None:
    nurse = signed_in("nurse")
    response = register(nurse, world.unit_b)
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not TrustedDevice.objects.exists()
    assert DEVICE_COOKIE not in nurse.cookies


def test_a_tablet_needs_a_name(world: Any, signed_in: Any) -> None:
    response = register(signed_in("nurse"), world.unit_a, name="  ")
    assert response.status_code == 200
    assert "Name the tablet" in response.content.decode()
    assert not TrustedDevice.objects.exists()


@pytest.mark.parametrize("role", ["bht", "peer", "director"])
def test_other_roles_cannot_register_a_tablet(world: Any, signed_in: Any, role: str) -> None:
    client = signed_in(role)
    assert client.get(REGISTER).status_code == 403
    assert register(client, world.unit_a).status_code == 403
    assert not TrustedDevice.objects.exists()


def test_forgetting_the_tablet_deletes_the_cookie(world: Any, tablet: Client) -> None:
    response = tablet.post("/account/tablet/forget/")
    assert response.status_code == 302
    assert tablet.cookies[DEVICE_COOKIE].value == ""
    assert tablet.get(SWITCH).status_code == 403


# --- Full sign-ins on the tablet -----------------------------------------------------------


def test_a_full_sign_in_on_the_tablet_is_recorded(world: Any, tablet: Client) -> None:
    device = TrustedDevice.objects.get()
    enrollment = DeviceEnrollment.objects.get(device=device, staff=world.staff["bht"])
    assert enrollment.full_sign_in_at is not None
    sign_in = AuditEvent.objects.filter(action=Action.SIGN_IN, actor=world.user("bht")).last()
    assert sign_in is not None
    assert sign_in.detail == {
        "method": "password",
        "device": str(device.public_id),
        "channel": "web",
    }


def test_a_two_step_role_counts_as_fully_signed_in_only_after_the_code(
    world: Any, tablet: Client
) -> None:
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    tablet.post("/account/sign-out/")
    admin = world.staff["admin"]
    otp = TOTPDevice.objects.create(user=admin.user, name="app", confirmed=True)
    full_sign_in(tablet, "t-admin")
    assert not DeviceEnrollment.objects.filter(staff=admin).exists()
    response = tablet.post("/account/two-factor/", {"code": f"{totp(otp.bin_key):06d}"})
    assert response.status_code == 302
    assert DeviceEnrollment.objects.filter(staff=admin).exists()
    # Still no badge and PIN for this role.
    tablet.post("/account/sign-out/")
    assert switch(tablet, with_pin(admin)).status_code == 200
    assert who(tablet) is None


def test_the_sign_in_page_offers_badge_and_pin_on_a_tablet(world: Any, tablet: Client) -> None:
    tablet.post("/account/sign-out/")
    html = tablet.get("/account/sign-in/").content.decode()
    assert "Switch in with badge number and PIN" in html
    assert (
        "Switch in with badge number and PIN"
        not in Client().get("/account/sign-in/").content.decode()
    )


def test_a_password_sign_in_on_the_tablet_replaces_the_current_user_here_only(
    world: Any, tablet: Client, signed_in: Any
) -> None:
    nurse_elsewhere = signed_in("nurse")
    page = tablet.get("/account/sign-in/")
    assert page.status_code == 200  # not sent on: someone else may sign in over the nurse
    assert "signed in on this tablet now" in page.content.decode()
    full_sign_in(tablet, "t-clinician")
    assert who(tablet) == world.user("clinician")
    assert who(nurse_elsewhere) == world.user("nurse")
    ended = AuditEvent.objects.get(action=Action.SESSION_ENDED)
    assert ended.actor == world.user("nurse")
    assert ended.detail["reason"] == "switch_user"


def test_elsewhere_the_sign_in_page_sends_a_signed_in_user_on(world: Any, signed_in: Any) -> None:
    response = signed_in("nurse").get("/account/sign-in/")
    assert response.status_code == 302


def test_a_tampered_device_cookie_is_not_a_tablet(world: Any, tablet: Client) -> None:
    tablet.cookies[DEVICE_COOKIE] = tablet.cookies[DEVICE_COOKIE].value[:-2] + "xx"
    assert tablet.get(SWITCH).status_code == 403


# --- Switching ---------------------------------------------------------------------------


def test_badge_and_pin_switch_user_on_this_tablet_only(
    world: Any, tablet: Client, signed_in: Any
) -> None:
    nurse_elsewhere = signed_in("nurse")
    assert who(tablet) == world.user("nurse")
    page = tablet.get(SWITCH)
    assert page.status_code == 200
    assert '<label for="id_badge">' in page.content.decode()
    response = switch(tablet, world.staff["bht"])
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert who(tablet) == world.user("bht")
    # The nurse's session on the tablet ended; her other sessions did not.
    assert who(nurse_elsewhere) == world.user("nurse")
    device = TrustedDevice.objects.get()
    ended = AuditEvent.objects.get(action=Action.SESSION_ENDED)
    assert ended.actor == world.user("nurse")
    assert ended.detail["reason"] == "switch_user"
    sign_in = AuditEvent.objects.filter(action=Action.SIGN_IN).last()
    assert sign_in is not None
    assert sign_in.actor == world.user("bht")
    assert sign_in.detail["method"] == "badge_pin"
    assert sign_in.detail["device"] == str(device.public_id)


def test_switching_in_works_with_nobody_signed_in(world: Any, tablet: Client) -> None:
    tablet.post("/account/sign-out/")
    assert switch(tablet, world.staff["bht"]).status_code == 302
    assert who(tablet) == world.user("bht")


def test_the_pin_never_reaches_the_lockout_records(world: Any, tablet: Client) -> None:
    switch(tablet, world.staff["bht"], pin="999999")
    bht = world.staff["bht"]
    attempt = AccessAttempt.objects.get(username=badge_name(world.org, bht.badge_number))
    assert "999999" not in attempt.post_data
    assert "pin=********" in attempt.post_data


def test_refused_without_a_device_cookie(world: Any) -> None:
    with_pin(world.staff["bht"])
    browser = Client()
    full_sign_in(browser, "t-bht")
    browser.post("/account/sign-out/")
    response = switch(browser, world.staff["bht"])
    assert response.status_code == 403
    assert "not a registered unit tablet" in response.content.decode()
    assert who(browser) is None


def test_refused_on_a_revoked_tablet(world: Any, tablet: Client) -> None:
    TrustedDevice.objects.update(revoked_at=datetime.now(UTC))
    response = switch(tablet, world.staff["bht"])
    assert response.status_code == 403
    assert who(tablet) == world.user("nurse")


def test_refused_for_staff_who_never_signed_in_fully_on_the_tablet(
    world: Any, tablet: Client
) -> None:
    peer = with_pin(world.staff["peer"])
    response = switch(tablet, peer)
    assert response.status_code == 200
    assert "did not work here" in response.content.decode()
    assert who(tablet) == world.user("nurse")
    failed = AuditEvent.objects.get(action=Action.SIGN_IN_FAILED)
    assert failed.actor_label == f"badge {peer.badge_number}"
    assert failed.outcome == Outcome.FAILED


def test_refused_once_the_full_sign_in_is_older_than_12_hours(world: Any, signed_in: Any) -> None:
    with time_machine.travel(T0, tick=False) as traveller:
        nurse = signed_in("nurse")
        register(nurse, world.unit_a)
        tablet = tablet_of(nurse)
        full_sign_in(tablet, "t-bht")
        with_pin(world.staff["bht"])
        tablet.post("/account/sign-out/")
        traveller.shift(timedelta(hours=11, minutes=59))
        assert switch(tablet, world.staff["bht"]).status_code == 302
        tablet.post("/account/sign-out/")
        # A badge-and-PIN switch is not a full sign-in: it does not extend the 12 hours.
        traveller.shift(timedelta(minutes=1, seconds=1))
        response = switch(tablet, world.staff["bht"])
    assert response.status_code == 200
    assert who(tablet) is None


def test_refused_for_roles_that_need_two_step_sign_in(world: Any, tablet: Client) -> None:
    director = with_pin(world.staff["director"])
    # Even with a recent full sign-in recorded on this tablet.
    DeviceEnrollment.objects.create(
        device=TrustedDevice.objects.get(), staff=director, full_sign_in_at=datetime.now(UTC)
    )
    response = switch(tablet, director)
    assert response.status_code == 200
    assert who(tablet) == world.user("nurse")


def test_refused_with_a_wrong_pin(world: Any, tablet: Client) -> None:
    response = switch(tablet, world.staff["bht"], pin="000001")
    assert response.status_code == 200
    assert who(tablet) == world.user("nurse")


def test_refused_for_an_unknown_badge(world: Any, tablet: Client) -> None:
    response = tablet.post(SWITCH, {"badge": "NOPE-1", "pin": PIN})
    assert response.status_code == 200
    assert who(tablet) == world.user("nurse")


def test_refused_for_a_deactivated_account(world: Any, tablet: Client) -> None:
    user = world.user("bht")
    user.is_active = False
    user.save()
    assert switch(tablet, world.staff["bht"]).status_code == 200


def test_repeated_wrong_pins_lock_the_badge_out(world: Any, tablet: Client) -> None:
    bht = world.staff["bht"]
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert switch(tablet, bht, pin="000001").status_code == 200
    locked = switch(tablet, bht, pin="000001")
    assert locked.status_code == 429
    assert "locked until" in locked.content.decode()
    # The right PIN is refused while the lockout lasts.
    assert switch(tablet, bht).status_code == 429
    assert who(tablet) == world.user("nurse")
    lock_event = AuditEvent.objects.filter(action=Action.LOCKED_OUT).first()
    assert lock_event is not None
    assert lock_event.actor_label == badge_name(world.org, bht.badge_number)
    # The lockout is by badge: the same person's password sign-in still works.
    other = Client()
    full_sign_in(other, "t-bht")


def test_a_successful_switch_clears_the_badges_failures(world: Any, tablet: Client) -> None:
    bht = world.staff["bht"]
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        switch(tablet, bht, pin="000001")
    assert switch(tablet, bht).status_code == 302
    tablet.post("/account/sign-out/")
    assert switch(tablet, bht, pin="000001").status_code == 200  # not locked out


def test_a_failed_form_shows_errors_in_text(world: Any, tablet: Client) -> None:
    response = tablet.post(SWITCH, {"badge": "", "pin": ""})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Enter your badge number." in html
    assert "Enter your PIN." in html
    assert 'aria-invalid="true"' in html


# --- Setting one's own PIN ---------------------------------------------------------------


def test_setting_a_pin_needs_the_current_password(world: Any, signed_in: Any) -> None:
    client = signed_in("bht")
    page = client.get("/account/pin/")
    assert page.status_code == 200
    assert world.staff["bht"].badge_number in page.content.decode()
    wrong = client.post("/account/pin/", {"current_password": "nope", "pin": PIN, "pin_again": PIN})
    assert wrong.status_code == 200
    assert "That is not your current password." in wrong.content.decode()
    world.staff["bht"].refresh_from_db()
    assert not world.staff["bht"].pin_hash
    ok = client.post("/account/pin/", {"current_password": PASSWORD, "pin": PIN, "pin_again": PIN})
    assert ok.status_code == 302
    staff = Staff.objects.get(pk=world.staff["bht"].pk)
    assert check_pin(staff, PIN)
    assert PIN not in staff.pin_hash
    event = AuditEvent.objects.get(action=Action.UPDATE, object_id=str(staff.public_id))
    assert event.detail["changes"] == {"pin": "changed"}
    assert event.actor == world.user("bht")
    # The current password was checked through axes; no secret was kept there.
    for attempt in AccessAttempt.objects.all():
        assert "nope" not in attempt.post_data
        assert PIN not in attempt.post_data


@pytest.mark.parametrize(
    ("pin", "again", "message"),
    [
        ("123456", "123456", "not a run"),
        ("777777", "777777", "not a run"),
        ("12345", "12345", "6 to 8 digits"),
        ("48291a", "48291a", "6 to 8 digits"),
        (PIN, "482914", "The two PINs are different"),
    ],
)
def test_a_weak_or_mistyped_pin_is_refused(
    world: Any, signed_in: Any, pin: str, again: str, message: str
) -> None:
    client = signed_in("bht")
    response = client.post(
        "/account/pin/", {"current_password": PASSWORD, "pin": pin, "pin_again": again}
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    world.staff["bht"].refresh_from_db()
    assert not world.staff["bht"].pin_hash


def test_no_pin_without_a_badge_number(world: Any, signed_in: Any) -> None:
    client = signed_in("supervisor")  # the world's supervisor has no badge
    html = client.get("/account/pin/").content.decode()
    assert "You need a badge number" in html
    assert "id_pin" not in html


def test_a_pin_is_set_only_by_its_owner(world: Any) -> None:
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        set_pin(world.staff["bht"], actor=world.user("nurse"), pin=PIN)
    world.staff["bht"].refresh_from_db()
    assert not world.staff["bht"].pin_hash


def test_a_badge_is_read_in_the_tablets_own_organization(world: Any, tablet: Client) -> None:
    """Badge numbers are unique within an organization (people.tenancy): another organization's
    staff member with the same badge cannot switch in here, even with their own PIN."""
    from django.contrib.auth import get_user_model

    from pillars.people.models import Organization

    other_org = Organization.objects.create(name="Second Health")
    bht = world.staff["bht"]
    stranger = Staff.objects.create(
        organization=other_org,
        user=get_user_model().objects.create_user(username="t-stranger", password=PASSWORD),
        display_name="Stranger",
        hired_on=bht.hired_on,
        badge_number=bht.badge_number,
    )
    with_pin(stranger, "739154")
    assert switch(tablet, stranger, pin="739154").status_code == 200
    assert who(tablet) == world.user("nurse")
    assert switch(tablet, bht).status_code == 302
    assert who(tablet) == world.user("bht")
