"""A person's own page: sign-in-free access a peer hands over (a one-time link and a short code).

Only hashes are stored: the link's token (256 bits, so a fast SHA-256 is enough, as for API
tokens in ``core.models.ApiToken``) and the short code (few bits, so Django's slow password
hasher, and a lock after repeated wrong codes). The access shows the records of the program it
was issued in, and never a Part 2 record made in another program (42 CFR Part 2, DESIGN.md
rule 6).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from django.db import models

from pillars.core.models import PublicModel
from pillars.people.models import PersonServed, Staff, Unit
from pillars.people.tenancy import OrganizationOwned

__all__ = ["PersonAccess", "PortalAddressFailure"]

# The code avoids letters and digits that are easily confused when read aloud or typed.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8


class PersonAccess(OrganizationOwned, PublicModel):
    """One grant of a person's own page, issued by a staff member for one program's records.

    The link must be opened (the right code entered) within ``open_by``; the access ends at
    ``expires_at`` or when revoked. ``failed_attempts`` counts wrong codes since the last lock;
    ``locked_until`` refuses every code (even the right one) until then."""

    organization_from = ("person",)

    person = models.ForeignKey(PersonServed, on_delete=models.PROTECT, related_name="+")
    issued_by = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    issued_in = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    issued_at = models.DateTimeField()
    token_hash = models.CharField(max_length=64, unique=True)
    code_hash = models.CharField(max_length=200)
    open_by = models.DateTimeField()
    expires_at = models.DateTimeField()
    opened_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    failed_attempts = models.PositiveIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-issued_at", "-id"]
        indexes = [models.Index(fields=["person", "issued_at"])]

    def __str__(self) -> str:
        return f"person access {self.public_id}"

    @property
    def actor_label(self) -> str:
        """How the audit log names whoever uses this access (never a staff member)."""
        return f"person access {self.public_id}"

    @staticmethod
    def new_token() -> str:
        return secrets.token_urlsafe(32)

    @staticmethod
    def new_code() -> str:
        return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))

    @staticmethod
    def hash_token(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    def is_active_at(self, moment: datetime) -> bool:
        """Usable for a session: not revoked and not expired."""
        return self.revoked_at is None and moment < self.expires_at

    def state_at(self, moment: datetime) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if moment >= self.expires_at:
            return "expired"
        if self.opened_at is None and moment >= self.open_by:
            return "unopened"
        return "active"

    @staticmethod
    def lifetimes() -> tuple[timedelta, timedelta]:
        """How long the link may wait to be opened, and how long the access lasts."""
        return timedelta(hours=72), timedelta(days=14)


class PortalAddressFailure(models.Model):
    """One refused code or link from one address, counted across links and across processes
    (the per-address throttle, like the sign-in lockout's count per address in
    ``core.backends.address_failures``). Only rows inside the throttle window count; the
    sweep deletes older ones, so the table stays small."""

    address = models.CharField(max_length=64)
    at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["address", "at"], name="recovery_portal_addr_at")]

    def __str__(self) -> str:
        return f"refusal from {self.address} at {self.at:%Y-%m-%d %H:%M}"
