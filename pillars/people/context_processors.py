"""The alert badge in every page's top bar: the signed-in user's unacknowledged alerts."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from pillars.core import policy


def inbox(request: HttpRequest) -> dict[str, Any]:
    """One COUNT on the (recipient, acknowledged_at) index; nothing for roles with no inbox. A
    GET writes nothing, so it shows the count read with the user's scope (no query); after a
    write (a check recorded on the board resolves alerts) the count is read again."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    if not policy.can(user, "people.view_alerts"):
        return {}
    from pillars.people.alert_selectors import unacknowledged_count

    at_start = request.method in ("GET", "HEAD")
    return {"inbox_count": unacknowledged_count(user, at_start=at_start), "has_inbox": True}
