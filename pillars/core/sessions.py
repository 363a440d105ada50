"""Ending sessions and revoking API tokens. (The trusted-tablet cookie and the tablet's own
sessions live with the tablets, in ``people.tablets``.)"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F

# The tablet a session was signed in on, kept in the session so revoking the tablet ends it.
DEVICE_SESSION_KEY = "pillars_device_id"


def end_all_sessions(user: Any) -> None:
    """Raise the user's session epoch: every session on every device ends at its next request
    (the epoch is part of the session hash, see ``core.models.User``)."""
    get_user_model().objects.filter(pk=user.pk).update(session_epoch=F("session_epoch") + 1)


def revoke_tokens(user: Any, *, reason: str, actor: Any = None) -> int:
    """Revoke every active API token of the user, audited as one event; how many were revoked.

    A token outlives the browser session it was made in, so ending sessions alone would leave
    a signed-out, locked-out or disabled account still able to write through the API.
    """
    from pillars.audit import log as audit
    from pillars.audit.choices import Action, Purpose
    from pillars.core import clock
    from pillars.core.models import ApiToken

    with transaction.atomic():
        active = ApiToken.objects.select_for_update().filter(user=user, revoked_at__isnull=True)
        ids = [str(public_id) for public_id in active.values_list("public_id", flat=True)]
        if not ids:
            return 0
        ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=clock.now())
        audit.record(
            actor=actor,
            actor_label="" if actor is not None else str(user.get_username())[:150],
            action=Action.TOKEN,
            object_type="core.apitoken",
            object_id=str(user.public_id),
            purpose=Purpose.SECURITY,
            detail={"event": "revoked", "reason": reason, "tokens": ids},
        )
    return len(ids)


def revoke_everywhere(user: Any, *, reason: str, actor: Any = None) -> None:
    """End every session (browser and tablet badge sessions alike) and revoke every API token."""
    end_all_sessions(user)
    revoke_tokens(user, reason=reason, actor=actor)


def end_sessions_where(matches: Callable[[dict[str, Any]], bool]) -> int:
    """Delete every unexpired session whose data ``matches``; how many ended.

    Reads each session in the store, so it is for rare administrative acts (a tablet revoked,
    a PIN reset), never for a request path. A session ends at its next request as if it had
    never existed: that browser is sent to sign in."""
    from pillars.core import clock

    engine = import_module(settings.SESSION_ENGINE)
    store_class = engine.SessionStore
    model = store_class.get_model_class()
    ended = 0
    for key, data in model.objects.filter(expire_date__gt=clock.now()).values_list(
        "session_key", "session_data"
    ):
        if matches(store_class().decode(data)):
            store_class(session_key=key).delete()
            ended += 1
    return ended
