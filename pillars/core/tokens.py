"""Personal access tokens for the API: create, list, revoke, and authenticate a presented secret.

Only the SHA-256 hash of a secret is stored (the secret has 256 bits of entropy, so a fast hash
is enough); the secret itself is shown once, at creation. Tokens are scoped ("read", "write") and
expire after at most ``settings.API_TOKEN_MAX_DAYS`` days.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404

from pillars.audit import log as audit
from pillars.audit.choices import Action, Outcome, Purpose
from pillars.core import clock, policy, prepared
from pillars.core.errors import Conflict, ValidationError
from pillars.core.models import ApiToken

SCOPES = ("read", "write")
DEFAULT_DAYS = 30
# Writing last_used_at on every API call would turn each read into a write; a minute's
# precision is enough to tell an owner whether a token is still in use.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def _clean(name: str, scopes: Iterable[str], days: Any) -> tuple[str, list[str], int]:
    errors: dict[str, list[str]] = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = ["Name the token after what will use it (for example 'Census export')."]
    elif len(name) > 100:
        errors["name"] = ["Keep the name to 100 characters or fewer."]
    chosen = sorted(set(scopes or ()))
    if not chosen:
        errors["scopes"] = ["Choose what the token may do: read, write, or both."]
    elif set(chosen) - set(SCOPES):
        errors["scopes"] = ["A token's scopes are read and write only."]
    maximum = settings.API_TOKEN_MAX_DAYS
    text = str(days).strip()
    whole = int(text) if text.isdigit() and not isinstance(days, bool) else 0
    if not 1 <= whole <= maximum:
        errors["days"] = [f"Enter a whole number of days from 1 to {maximum}."]
    if errors:
        raise ValidationError(errors)
    return name, chosen, whole


def create_token(
    actor: Any, name: str, scopes: Iterable[str], days: int = DEFAULT_DAYS
) -> tuple[ApiToken, str]:
    """Create a personal access token for the acting user; returns it and its secret, which is
    never stored and cannot be shown again."""
    acting = policy.require(actor, "core.manage_tokens")
    name, chosen, whole = _clean(name, scopes, days)
    now = clock.now()
    secret = ApiToken.new_secret()
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=acting.user,
            name=name,
            token_hash=ApiToken.hash_secret(secret),
            scopes=chosen,
            created_at=now,
            expires_at=now + timedelta(days=whole),
        )
        _record(
            acting.user,
            token,
            "created",
            audit.changes(
                None,
                {"name": name, "scopes": chosen, "expires_at": token.expires_at.isoformat()},
            ),
        )
    return token, secret


def revoke_token(token: ApiToken, *, actor: Any) -> ApiToken:
    """Revoke one of the acting user's tokens; it stops working at once."""
    acting = policy.require(actor, "core.manage_tokens")
    if token.user_id != acting.user.pk:
        raise Http404("Not found")
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().get(pk=token.pk)
        if token.revoked_at is not None:
            raise Conflict("This token was already revoked.")
        token.revoked_at = clock.now()
        token.save(update_fields=["revoked_at"])
        _record(
            acting.user,
            token,
            "revoked",
            audit.changes({"revoked_at": None}, {"revoked_at": token.revoked_at}),
        )
    return token


def _record(user: Any, token: ApiToken, event: str, changes: dict[str, Any] | None = None) -> None:
    """The audit event of a token created, revoked or used: a security event of its owner."""
    audit.record(
        user,
        Action.TOKEN,
        token,
        purpose=Purpose.SECURITY,
        detail={"event": event, **(changes or {})},
    )


def tokens_visible_to(user: Any) -> QuerySet[ApiToken]:
    """The user's own tokens (nobody sees another person's), newest first."""
    if not policy.can(user, "core.manage_tokens"):
        return ApiToken.objects.none()
    return ApiToken.objects.filter(user=policy.actor_for(user).user).order_by("-created_at")


def get_token_for(user: Any, public_id: UUID | str) -> ApiToken:
    """One of the user's own tokens; anyone else's answers 404 as if it did not exist."""
    policy.require(user, "core.manage_tokens")
    token = tokens_visible_to(user).filter(public_id=public_id).first()
    if token is None:
        raise Http404("Not found")
    return token


def authenticate_token(secret: str | None) -> ApiToken | None:
    """The active token a presented secret names, with its user; None for anything else.

    Refusals (unknown, expired, revoked, inactive owner) are audited; a successful use is
    audited when ``last_used_at`` moves, which is at most once a minute per token.
    """
    if not secret or not secret.startswith(ApiToken.PREFIX) or len(secret) > 200:
        _refuse(None, "malformed")
        return None
    token = prepared.one(
        "token by secret",
        ApiToken.objects.select_related("user", "user__staff").filter(
            token_hash=ApiToken.hash_secret(secret)
        ),
    )
    if token is None:
        _refuse(None, "unknown")
        return None
    policy.loaded_with_user(token.user)
    now = clock.now()
    state = token.state_at(now)
    if state != "active":
        _refuse(token, state)
        return None
    if not token.user.is_active:
        _refuse(token, "inactive_user")
        return None
    stale = now - LAST_USED_RESOLUTION
    if token.last_used_at is not None and token.last_used_at > stale:
        return token  # used within the minute (as read): nothing to write
    # Compare-and-set: of several requests in the same minute, only one writes and audits.
    moved = (
        ApiToken.objects.filter(pk=token.pk)
        .filter(Q(last_used_at__isnull=True) | Q(last_used_at__lte=stale))
        .update(last_used_at=now)
    )
    if moved:
        token.last_used_at = now
        _record(token.user, token, "used")
    return token


def _refuse(token: ApiToken | None, reason: str) -> None:
    audit.record(
        actor=token.user if token is not None else None,
        actor_label="" if token is not None else "api token",
        action=Action.TOKEN,
        target=token,
        outcome=Outcome.DENIED,
        purpose=Purpose.SECURITY,
        detail={"event": "refused", "reason": reason},
    )


__all__ = [
    "SCOPES",
    "authenticate_token",
    "create_token",
    "get_token_for",
    "revoke_token",
    "tokens_visible_to",
]
