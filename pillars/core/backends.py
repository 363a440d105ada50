"""Badge-and-PIN sign-in on a trusted unit tablet, and the name axes locks out by."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import BaseBackend, ModelBackend
from django.http import HttpRequest

from pillars.core import policy


def axes_username(request: HttpRequest | None, credentials: dict[str, Any] | None) -> str:
    """Lock out by sign-in name, or by badge number for a PIN switch."""
    credentials = credentials or {}
    if credentials.get("badge"):
        return "badge:" + str(credentials["badge"]).strip()
    if credentials.get("username"):
        return str(credentials["username"]).strip().lower()
    if request is not None:
        data = request.POST if request.method == "POST" else {}
        if data.get("badge"):
            return "badge:" + str(data["badge"]).strip()
        return str(data.get("username", "")).strip().lower()
    return ""


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
        from pillars.people.models import Staff, TrustedDevice
        from pillars.people.services import check_pin, may_quick_switch

        if not isinstance(device, TrustedDevice):
            return None
        staff = (
            Staff.objects.select_related("user")
            .filter(badge_number=str(badge).strip(), user__is_active=True)
            .first()
        )
        # check_pin runs the hasher even for an unknown badge, so timing does not reveal badges.
        if not check_pin(staff, str(pin)) or staff is None:
            return None
        if not may_quick_switch(device, staff):
            return None
        return staff.user

    def get_user(self, user_id: int) -> Any:
        user = (
            get_user_model()
            .objects.select_related("staff")
            .filter(pk=user_id, is_active=True)
            .first()
        )
        return policy.loaded_with_user(user)


class PasswordBackend(ModelBackend):
    """Django's password sign-in; a signed-in request loads the user with its staff profile
    (the policy layer needs it on every request)."""

    def get_user(self, user_id: int) -> Any:
        manager = get_user_model()._default_manager
        user = manager.select_related("staff").filter(pk=user_id).first()
        if user is None or not self.user_can_authenticate(user):
            return None
        return policy.loaded_with_user(user)
