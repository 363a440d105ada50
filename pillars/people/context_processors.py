"""The alert badge in every page's top bar: the signed-in user's unacknowledged alerts."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from pillars.core import policy


def inbox(request: HttpRequest) -> dict[str, Any]:
    """One COUNT on the (recipient, acknowledged_at) index; nothing for roles with no inbox."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    if not policy.can(user, "people.view_alerts"):
        return {}
    from pillars.people.alert_selectors import unacknowledged_count

    return {"inbox_count": unacknowledged_count(user), "has_inbox": True}
