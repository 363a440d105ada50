"""Password sign-in, and how axes counts failed sign-ins: by name (or badge, for a tablet
switch) and address together, plus a limit per address across names. Badge-and-PIN sign-in
lives with the tablets, ``people.tablets.BadgePinBackend``."""

from __future__ import annotations

from typing import Any

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db.models import Sum
from django.http import HttpRequest

from pillars.core import devices, policy, prepared


def badge_name(organization: Any, badge: Any) -> str:
    """The name a badge's failed PIN switches count under. Badge numbers are each
    organization's own, so the organization (by its public id) is part of it: wrong PINs at
    another organization's tablet under the same number are not this badge's failures."""
    prefix = f"badge:{organization.public_id}:" if organization is not None else "badge:"
    return prefix + str(badge).strip()


def _badge_name(request: HttpRequest | None, credentials: dict[str, Any], badge: Any) -> str:
    device = credentials.get("device") or devices.device_for_request(request)
    return badge_name(getattr(device, "organization", None), badge)


def axes_username(request: HttpRequest | None, credentials: dict[str, Any] | None) -> str:
    """Lock out by sign-in name, or by badge number (in the tablet's organization) for a PIN
    switch."""
    credentials = credentials or {}
    if credentials.get("badge"):
        return _badge_name(request, credentials, credentials["badge"])
    if credentials.get("username"):
        return str(credentials["username"]).strip().lower()
    if request is not None:
        data = request.POST if request.method == "POST" else {}
        if data.get("badge"):
            return _badge_name(request, credentials, data["badge"])
        return str(data.get("username", "")).strip().lower()
    return ""


def address_failures(address: str | None, *, since: Any) -> int:
    """Failed sign-ins from one address under any name since a moment."""
    if not address:
        return 0
    total = AccessAttempt.objects.filter(ip_address=address, attempt_time__gte=since).aggregate(
        total=Sum("failures_since_start")
    )["total"]
    return int(total or 0)


def address_limit() -> int:
    """Failures from one address, across names, that lock the address out; 0 means no limit."""
    return int(getattr(settings, "PILLARS_LOCKOUT_ADDRESS_FAILURES", 0))


class LockoutHandler(AxesDatabaseHandler):
    """axes' database handler, counting by name and address (``AXES_LOCKOUT_PARAMETERS``), with
    one more rule: an address that has failed ``PILLARS_LOCKOUT_ADDRESS_FAILURES`` times within
    the cool-off, under any names, is locked out for every name.

    The address rule is kept out of the lockout parameters on purpose: there, a successful
    sign-in from the address would clear its count (``AXES_RESET_ON_SUCCESS``), so someone
    trying many names could clear it with an account of their own."""

    def get_failures(self, request: Any, credentials: dict[str, Any] | None = None) -> int:
        failures = int(super().get_failures(request, credentials))
        limit = address_limit()
        needed = get_failure_limit(request, credentials)
        if limit <= 0 or failures >= needed:
            return failures
        since = get_cool_off_threshold(request)
        if address_failures(getattr(request, "axes_ip_address", None), since=since) >= limit:
            # axes compares one number with one limit: an address over its own limit counts
            # as this name having reached the name's limit.
            return int(needed)
        return failures


class PasswordBackend(ModelBackend):
    """Django's password sign-in; a signed-in request loads the user with its staff profile
    (the policy layer needs it on every request)."""

    def get_user(self, user_id: int) -> Any:
        manager = get_user_model()._default_manager
        found = prepared.read(
            "signed-in user",
            "",
            lambda pk: manager.select_related("staff").filter(pk=pk).order_by()[:1],
            user_id,
        )
        user = found[0] if found else None
        if user is None or not self.user_can_authenticate(user):
            return None
        return policy.loaded_with_user(user)
