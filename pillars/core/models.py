"""The sign-in account and the base classes every domain model shares."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.crypto import salted_hmac

from pillars.core import clock


class PublicModel(models.Model):
    """A model whose rows are named outside the server by a UUID, never by the integer key."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)

    class Meta:
        abstract = True


class ObservedEntry:
    """A record of something observed at ``observed_at`` and entered at ``recorded_at``."""

    observed_at: datetime
    recorded_at: datetime

    @property
    def entry_delay(self) -> timedelta:
        return self.recorded_at - self.observed_at


class User(AbstractUser):
    """A sign-in account. The working profile (roles, units) is ``people.Staff``.

    ``session_epoch`` is folded into the session hash, so raising it ends every session the
    user has on every device (sign-out, deactivation, privilege change).
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    session_epoch = models.PositiveIntegerField(default=0)
    # Made by ``pillars demo`` with a published password: production refuses to start while
    # any such account is active (``pillars disable-demo`` switches them all off).
    is_demo = models.BooleanField(default=False)

    def save(self, *args: Any, **kwargs: Any) -> None:
        # A new password ends sessions through the session hash; API tokens need revoking.
        password_changed = getattr(self, "_password", None) is not None and not self._state.adding
        super().save(*args, **kwargs)
        if password_changed:
            from pillars.core.sessions import revoke_tokens

            revoke_tokens(self, reason="password changed")

    def _get_session_auth_hash(self, secret: str | None = None) -> str:
        # Overriding the private hook (not get_session_auth_hash) keeps SECRET_KEY_FALLBACKS
        # rotation working: Django checks fallback hashes through this same method.
        return salted_hmac(
            "pillars.core.User.session",
            f"{self.password}:{self.session_epoch}",
            secret=secret,
            algorithm="sha256",
        ).hexdigest()


class ApiToken(PublicModel):
    """A personal access token for the API: stored as a SHA-256 hash, scoped, expiring.

    The secret has 256 bits of entropy, so a fast hash is enough; it is shown once at creation.
    """

    PREFIX = "plr_"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100)
    token_hash = models.CharField(max_length=64, unique=True)
    scopes = models.JSONField(default=list)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name

    @staticmethod
    def new_secret() -> str:
        return ApiToken.PREFIX + secrets.token_urlsafe(32)

    @staticmethod
    def hash_secret(secret: str) -> str:
        return hashlib.sha256(secret.encode()).hexdigest()

    def is_active_at(self, now: datetime) -> bool:
        return self.revoked_at is None and now < self.expires_at

    @staticmethod
    def max_lifetime() -> timedelta:
        return timedelta(days=settings.API_TOKEN_MAX_DAYS)

    def state_at(self, now: datetime | None = None) -> str:
        now = now or clock.now()
        if self.revoked_at is not None:
            return "revoked"
        return "active" if now < self.expires_at else "expired"


class IdempotencyRecord(models.Model):
    """The first answer to a device write, kept so that a replay of the same key returns it.

    DESIGN.md rule 7: a tablet that lost its connection resends; the client-generated key makes
    the resend harmless. The row is written in the same transaction as the write it answers for,
    so a record exists exactly when the write does. ``request_hash`` is the SHA-256 of the
    canonical request body: the same key with another body is a client bug, refused with 409.
    """

    key = models.UUIDField()
    # No index of its own: the unique (user, key) index serves every read by user. With a
    # second one, PostgreSQL could pick it and scan all of a user's stored answers per write.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="idempotency_records",
        db_index=False,
    )
    method = models.CharField(max_length=10)
    route = models.CharField(max_length=300)
    request_hash = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField()
    response_body = models.JSONField()
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_unique_per_user")
        ]
        indexes = [models.Index(fields=["created_at"])]

    def __str__(self) -> str:
        return f"{self.method} {self.route} ({self.key})"

    def matches(self, method: str, route: str, request_hash: str) -> bool:
        """True when a new request is a faithful replay of the one recorded here."""
        return (self.method, self.route, self.request_hash) == (method, route, request_hash)
