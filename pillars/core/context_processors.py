"""What every page's shell needs: the acting staff member and their navigation."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.http import HttpRequest
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString

from pillars.core import exports, policy
from pillars.core.navigation import navigation_for
from pillars.core.templatetags.record_urls import route_key, route_url

# The frame's own links (base.html): each reversed and escaped once per process and way of
# reversing (``route_key``), as the menu's are.
_FRAME_ROUTES = {
    "home": "core:home",
    "still_here": "core:still-here",
    "inbox": "alerts:inbox",
    "pin": "tablets:pin",
    "tokens": "core:token-list",
    "logout": "core:logout",
}
# The full 42 CFR 2.32 notice the frame carries, escaped once.
_NOTICE = conditional_escape(exports.NOTICE)


@functools.lru_cache(maxsize=8)
def _frame_urls(*key: Any) -> Mapping[str, SafeString]:
    return {name: conditional_escape(route_url(route)) for name, route in _FRAME_ROUTES.items()}


def _shown_name(user: Any) -> str:
    """The name the top bar shows for a signed-in user: their staff profile's, else their
    username."""
    try:
        name = user.staff.display_name
    except ObjectDoesNotExist:
        name = ""
    return name or user.username


def shell(request: HttpRequest) -> dict[str, Any]:
    frame_urls = _frame_urls(*route_key())
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": [], "frame_urls": frame_urls}
    actor = policy.actor_for(user)
    user = policy.unwrapped(user)
    return {
        "signed_in": True,
        # The sign-in backends load the staff profile with the user: naming them reads nothing.
        "signed_in_as": _shown_name(user),
        # Drawn by the frame's {% main_nav %} (core.navigation.menu_html).
        "nav_items": navigation_for(actor, request.path),
        "actor": actor,
        # Written into an attribute the page's script reads: digits, never a localized number.
        "session_idle_seconds": str(settings.SESSION_IDLE_SECONDS),
        "frame_urls": frame_urls,
        "PART2_NOTICE": _NOTICE,
    }
