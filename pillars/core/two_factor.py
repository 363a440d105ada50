"""The second sign-in step (TOTP, django-otp): enrolment with a QR code, and verification."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

import segno
from django.db import transaction
from django.http import HttpRequest
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from pillars.audit import log as audit
from pillars.audit.choices import Action, Outcome, Purpose
from pillars.core import clock

DEVICE_NAME = "Authenticator app"


@dataclass(frozen=True)
class StepResult:
    verified: bool
    message: str = ""


def device_for(user: Any) -> tuple[TOTPDevice, bool]:
    """The user's confirmed authenticator, or the pending one to enrol (made on first visit);
    the flag says whether this is an enrolment."""
    confirmed = TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()
    if confirmed is not None:
        return confirmed, False
    pending = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if pending is None:
        pending = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    return pending, True


def qr_data_uri(device: TOTPDevice) -> str:
    """The enrolment QR code as an SVG data: URI (the CSP allows img-src data:; no inline
    script or style is involved)."""
    svg = segno.make(device.config_url, error="m").svg_inline(scale=5, omitsize=False)
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def manual_key(device: TOTPDevice) -> str:
    """The key in base32, in groups of four, for typing into an app that cannot scan."""
    key = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


def verify(request: HttpRequest, device: TOTPDevice, code: str) -> StepResult:
    """Check a code; on success confirm the device (first time) and mark the session verified.

    Every attempt is audited. django-otp throttles wrong codes with a doubling delay, so a
    6-digit code cannot be guessed by brute force.
    """
    user = request.user
    enrolling = not device.confirmed
    allowed, info = device.verify_is_allowed()
    if not allowed:
        until = (info or {}).get("locked_until")
        wait = max(1, int((until - clock.now()).total_seconds())) if until else None
        _record(user, {"step": "throttled"}, Outcome.DENIED)
        return StepResult(
            False,
            "Too many wrong codes. "
            + (f"Wait {wait} seconds, then " if wait else "Wait a moment, then ")
            + "enter the code your app shows.",
        )
    if not device.verify_token(code):
        _record(user, {"step": "wrong code", "enrolling": enrolling}, Outcome.FAILED)
        return StepResult(
            False, "That code did not match. Enter the 6-digit code your app shows now."
        )
    with transaction.atomic():
        if enrolling:
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            # Drop any other pending enrolments, so only the confirmed device remains.
            TOTPDevice.objects.filter(user=user, confirmed=False).exclude(pk=device.pk).delete()
        _record(user, {"step": "enrolled" if enrolling else "verified"})
    otp_login(request, device)
    return StepResult(True)


def record_malformed(user: Any) -> None:
    """A code that is not 6 digits is refused like a wrong one, and audited the same way."""
    _record(user, {"step": "malformed code"}, Outcome.FAILED)


def _record(user: Any, detail: dict[str, Any], outcome: str = Outcome.SUCCESS) -> None:
    """The audit event of one step of the second sign-in step (a security event of the user)."""
    audit.record(
        actor=user,
        action=Action.TWO_FACTOR,
        outcome=outcome,
        purpose=Purpose.SECURITY,
        detail=detail,
    )
