"""What every page's shell needs: the acting staff member and their navigation."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from pillars.core import exports, policy
from pillars.core.navigation import navigation_for


def _shown_name(user: Any) -> str:
    """The name the top bar shows for a signed-in user: their staff profile's, else their
    username."""
    try:
        name = user.staff.display_name
    except ObjectDoesNotExist:
        name = ""
    return name or user.username


def shell(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    actor = policy.actor_for(user)
    user = policy.unwrapped(user)
    return {
        "signed_in": True,
        # Asked only by a page the frame draws (a partial does not read the profile for it).
        "signed_in_as": SimpleLazyObject(lambda: _shown_name(user)),
        # Drawn by the frame's {% main_nav %} (core.navigation.menu_html).
        "nav_items": navigation_for(actor, request.path),
        "actor": actor,
        # Written into an attribute the page's script reads: digits, never a localized number.
        "session_idle_seconds": str(settings.SESSION_IDLE_SECONDS),
        "PART2_NOTICE": exports.NOTICE,
    }
