"""Shared unit tablets: the cookie that marks a browser as a trusted tablet, badge-and-PIN
sign-in there, and ending the sessions a tablet or a badge began.

Core's sign-in knows tablets only through the hooks in ``core.devices``; ``install()`` fills
them in when the people app is ready."""

from __future__ import annotations

from typing import Any, cast

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.auth.backends import BaseBackend
from django.http import HttpRequest, HttpResponse

from pillars.core import devices, policy, prepared
from pillars.core.sessions import DEVICE_SESSION_KEY, end_sessions_where
from pillars.people.models import Staff, TrustedDevice
from pillars.people.services import check_pin, device_for_secret, enroll_on_device, may_quick_switch

DEVICE_COOKIE = "pillars_device"
# The salt keeps the value it had when tablets lived in core: registered tablets keep their cookie.
DEVICE_COOKIE_SALT = "pillars.core.device"
# A unit tablet stays registered for a year; browsers cap cookie lifetimes at about 400 days.
DEVICE_COOKIE_MAX_AGE = 365 * 24 * 3600
CACHE_ATTR = "_pillars_device"
BADGE_PIN_BACKEND = "pillars.people.tablets.BadgePinBackend"


class BadgePinBackend(BaseBackend):
    """Authenticates ``badge`` + ``pin`` + ``device``: only on a trusted tablet where the staff
    member has fully signed in recently, and never for roles that need two-factor sign-in."""

    def authenticate(
        self,
        request: HttpRequest | None,
        badge: str | None = None,
        pin: str | None = None,
        device: Any = None,
        **kwargs: Any,
    ) -> Any:
        if not badge or not pin or device is None:
            return None
        if not isinstance(device, TrustedDevice):
            return None
        staff = (
            Staff.objects.select_related("user")
            .filter(
                badge_number=str(badge).strip(),
                organization_id=device.organization_id,
                user__is_active=True,
            )
            .first()
        )
        # check_pin runs the hasher even for an unknown badge, so timing does not reveal badges.
        if not check_pin(staff, str(pin)) or staff is None:
            return None
        if not may_quick_switch(device, staff):
            return None
        return staff.user

    def get_user(self, user_id: int) -> Any:
        found = prepared.read(
            "signed-in user by badge",
            "",
            lambda pk: (
                get_user_model()
                .objects.select_related("staff")
                .filter(pk=pk, is_active=True)
                .order_by()[:1]
            ),
            user_id,
        )
        return policy.loaded_with_user(found[0] if found else None)


# --- The device cookie -----------------------------------------------------------------------


def device_secret(request: HttpRequest) -> str | None:
    """The tablet secret from the signed device cookie; None when absent or tampered with."""
    value = request.get_signed_cookie(DEVICE_COOKIE, default=None, salt=DEVICE_COOKIE_SALT)
    return str(value) if value else None


def device_for_request(request: HttpRequest) -> TrustedDevice | None:
    """The trusted tablet this browser is, if its cookie names a device that is not revoked."""
    # Cached on the request: the sign-in page, the switch view and the sign-in signal all ask.
    if CACHE_ATTR in request.__dict__:
        return cast("TrustedDevice | None", request.__dict__[CACHE_ATTR])
    device = device_for_secret(device_secret(request))
    request.__dict__[CACHE_ATTR] = device
    return device


def set_device_cookie(response: HttpResponse, secret: str) -> None:
    """Remember the tablet secret in this browser: signed, HttpOnly, SameSite=Strict, and Secure
    wherever the session cookie is (production)."""
    response.set_signed_cookie(
        DEVICE_COOKIE,
        secret,
        salt=DEVICE_COOKIE_SALT,
        max_age=DEVICE_COOKIE_MAX_AGE,
        httponly=True,
        secure=settings.SESSION_COOKIE_SECURE,
        samesite="Strict",
    )


def clear_device_cookie(response: HttpResponse) -> None:
    response.delete_cookie(DEVICE_COOKIE, samesite="Strict")


# --- Ending a tablet's sessions ----------------------------------------------------------------


def end_device_sessions(device: TrustedDevice) -> int:
    """End every session that was signed in on a tablet (``DEVICE_SESSION_KEY``)."""
    device_id = str(device.public_id)
    return end_sessions_where(lambda data: data.get(DEVICE_SESSION_KEY) == device_id)


def end_badge_sessions(user: Any) -> int:
    """End the user's sessions that began with badge and PIN; password sign-ins stay."""
    user_id = str(user.pk)
    return end_sessions_where(
        lambda data: (
            str(data.get(SESSION_KEY)) == user_id
            and data.get(BACKEND_SESSION_KEY) == BADGE_PIN_BACKEND
        )
    )


# --- Enrolment on a full sign-in ---------------------------------------------------------------


def enroll_after_sign_in(request: HttpRequest, user: Any, device: Any) -> None:
    """A full sign-in on a trusted tablet opens badge-and-PIN switching there for a while, for
    the staff of the tablet's organization (another's cannot switch in there by badge)."""
    if not isinstance(device, TrustedDevice):
        return
    staff = Staff.objects.filter(user=user, organization_id=device.organization_id).first()
    if staff is not None:
        enroll_on_device(device, staff)


def install() -> None:
    """Let core's sign-in find tablets, name badge sign-ins and enrol full sign-ins."""
    devices.register(
        lookup=device_for_request,
        methods={BADGE_PIN_BACKEND: "badge_pin"},
        on_full_sign_in=enroll_after_sign_in,
    )
