"""An attacker's audit of sign-in, sessions, tokens and tablets: the paths past the main ones."""

from __future__ import annotations

from typing import Any

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from conftest import client_of
from pillars.core.models import ApiToken
from pillars.core.tests.api_support import ApiClient, assert_problem
from pillars.people import access
from pillars.people.models import DeviceEnrollment, Staff, TrustedDevice
from pillars.people.services import set_pin
from pillars.people.tablets import DEVICE_COOKIE
from pillars.people.testing import PASSWORD, World

pytestmark = pytest.mark.django_db

SWITCH = "/account/tablet/switch/"
REGISTER = "/account/tablet/register/"
PIN = "482913"


def _tablet(world: World, signed_in: Any) -> tuple[Client, Client]:
    """Unit A's tablet (registered by the charge nurse, who stays signed in on her own browser)
    where the BHT fully signed in once and has a PIN, then signed out; nobody is signed in."""
    nurse = signed_in("nurse")
    response = nurse.post(REGISTER, {"unit": str(world.unit_a.public_id), "name": "North"})
    assert response.status_code == 302
    tablet = Client()
    tablet.cookies[DEVICE_COOKIE] = nurse.cookies[DEVICE_COOKIE].value
    signed = tablet.post("/account/sign-in/", {"username": "t-bht", "password": PASSWORD})
    assert signed.status_code == 302
    set_pin(world.staff["bht"], actor=world.user("bht"), pin=PIN)
    tablet.post("/account/sign-out/")
    return nurse, tablet


def _switch(tablet: Client, staff: Staff) -> Any:
    return tablet.post(SWITCH, {"badge": staff.badge_number, "pin": PIN})


# --- A badge-and-PIN session is a quick switch, not a full sign-in ----------------------------


def test_a_badge_and_pin_session_cannot_mint_an_api_token(world: World, signed_in: Any) -> None:
    """Someone who saw a colleague's PIN at the tablet must not turn it into a 90-day bearer
    token: resetting the PIN ends the badge sessions, but a token would outlive it."""
    _nurse, tablet = _tablet(world, signed_in)
    assert _switch(tablet, world.staff["bht"]).status_code == 302
    response = tablet.post(
        "/account/tokens/new/", {"name": "mine now", "scopes": ["read", "write"], "days": 90}
    )
    assert response.status_code != 201
    assert not ApiToken.objects.filter(user=world.user("bht")).exists()
    # A password sign-in on the same tablet still may.
    tablet.post("/account/sign-out/")
    tablet.post("/account/sign-in/", {"username": "t-bht", "password": PASSWORD})
    made = tablet.post("/account/tokens/new/", {"name": "mine", "scopes": ["read"], "days": 1})
    assert made.status_code == 201


def test_a_badge_session_registering_a_tablet_is_not_a_full_sign_in_there(
    world: World, signed_in: Any
) -> None:
    """A nurse switched in with badge and PIN registers another tablet from that browser: the
    PIN must not count as a full sign-in on the new tablet (that would let badge and PIN renew
    themselves, tablet after tablet, without a password)."""
    _nurse, tablet = _tablet(world, signed_in)
    first = TrustedDevice.objects.get()
    # The nurse fully signs in on the tablet, sets a PIN, and later switches in with it.
    tablet.post("/account/sign-in/", {"username": "t-nurse", "password": PASSWORD})
    set_pin(world.staff["nurse"], actor=world.user("nurse"), pin=PIN)
    tablet.post("/account/sign-out/")
    assert _switch(tablet, world.staff["nurse"]).status_code == 302
    response = tablet.post(REGISTER, {"unit": str(world.unit_a.public_id), "name": "South"})
    assert response.status_code == 302
    second = TrustedDevice.objects.exclude(pk=first.pk).get()
    assert not DeviceEnrollment.objects.filter(device=second, staff=world.staff["nurse"]).exists()


# --- The API asks the second step of every account the pages ask it of --------------------------


def test_a_django_admin_account_needs_the_code_for_an_api_token_too(world: World) -> None:
    """The pages ask a Django admin account (staff flag) for the second step whatever its roles;
    the token exchange must not hand it a token for the password alone."""
    user = world.user("nurse")
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    TOTPDevice.objects.create(user=user, name="app", confirmed=True)
    response = ApiClient().post("/auth/token", {"username": "t-nurse", "password": PASSWORD})
    body = assert_problem(response, 401)
    assert "two-factor" in body["detail"]
    assert not ApiToken.objects.filter(user=user).exists()


# --- Badges are each organization's own, and so are their failed sign-ins ----------------------


def test_failures_of_another_organizations_badge_are_not_this_staff_members(
    world: World, elsewhere: Any, signed_in: Any
) -> None:
    """Badge numbers are each organization's own: wrong PINs typed at another organization's
    tablet under the same number are not this staff member's failures. Their administrator
    neither sees them (addresses, times) nor clears them (and with them the other
    organization's lockout)."""
    bht = world.staff["bht"]
    theirs = elsewhere.staff["peer"]
    Staff.objects.filter(pk=theirs.pk).update(badge_number=bht.badge_number)
    theirs.refresh_from_db()
    nurse = client_of(elsewhere.staff["nurse"])
    response = nurse.post(REGISTER, {"unit": str(elsewhere.unit.public_id), "name": "Far"})
    assert response.status_code == 302
    far_tablet = Client()
    far_tablet.cookies[DEVICE_COOKIE] = nurse.cookies[DEVICE_COOKIE].value
    for _ in range(2):
        response = far_tablet.post(SWITCH, {"badge": theirs.badge_number, "pin": "999999"})
        assert response.status_code == 200
    assert AccessAttempt.objects.exists()

    seen = access.get_access_for(world.user("admin"), bht.public_id)
    assert seen.failures == []
    with pytest.raises(Exception, match="no failed sign-ins"):
        access.unlock_account(bht, actor=world.user("admin"), reason="help desk call")
    assert AccessAttempt.objects.exists()
    # Their own administrator sees them.
    assert access.get_access_for(elsewhere.staff["admin"].user, theirs.public_id).failures
