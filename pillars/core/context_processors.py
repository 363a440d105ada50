"""What every page's shell needs: the acting staff member and their navigation."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from pillars.core import exports, policy
from pillars.core.navigation import navigation_for


def shell(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    actor = policy.actor_for(user)
    return {
        # Drawn by the frame's {% main_nav %} (core.navigation.menu_html).
        "nav_items": navigation_for(actor, request.path),
        "actor": actor,
        "session_idle_seconds": settings.SESSION_IDLE_SECONDS,
        "PART2_NOTICE": exports.NOTICE,
    }
