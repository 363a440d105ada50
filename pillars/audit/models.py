"""The audit log: append-only rows, each carrying an HMAC over its content and the previous row's
HMAC (a hash chain). Database triggers refuse UPDATE and DELETE (see the migrations); the key
lives in the environment, not the database, so a database writer cannot re-forge the chain.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import models

from pillars.audit.choices import Action, Category, Outcome, Purpose
from pillars.core.models import PublicModel

GENESIS = "0" * 64

# Writers append to one of this many chains ("lanes"), each a chain of its own with its own head
# row: on PostgreSQL a writer takes the first lane no other transaction holds (SKIP LOCKED), so
# up to this many transactions append at once instead of queueing on one row. SQLite has one
# writer at a time and uses lane 1 only.
LANES = 8

# The fields that the HMAC covers, in a fixed order. Adding a field means a new chain version.
CHAINED_FIELDS = (
    "seq",
    "occurred_at",
    "actor_id",
    "actor_label",
    "action",
    "object_type",
    "object_id",
    "person_id",
    "outcome",
    "category",
    "purpose",
    "ip",
    "user_agent",
    "request_id",
    "detail",
    "prev_hmac",
)


# The types of value JSON writes as they are: a value of one of these exact types is hashed
# as it is, with no check of what else it could be.
_AS_IS = frozenset({str, int, float, bool, dict, list, type(None)})


def canonical(values: dict[str, Any]) -> bytes:
    """The exact bytes an event's HMAC is computed over."""
    payload = {}
    for name in CHAINED_FIELDS:
        value = values.get(name)
        if type(value) not in _AS_IS:
            if isinstance(value, datetime):
                value = value.isoformat(timespec="microseconds")
            elif value is not None and not isinstance(value, (str, int, float, bool, dict, list)):
                value = str(value)
        payload[name] = value
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def compute_hmac(values: dict[str, Any], key: str | None = None) -> str:
    secret = (key if key is not None else settings.AUDIT_HMAC_KEY).encode()
    return hmac.new(secret, canonical(values), hashlib.sha256).hexdigest()


class AuditEvent(models.Model):
    """One thing that happened: who, what, when (UTC), from where, outcome, category, purpose."""

    seq = models.BigIntegerField(unique=True)
    lane = models.PositiveSmallIntegerField(
        default=1, help_text="The chain this event was appended to (its previous event's lane)."
    )
    occurred_at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=32, choices=Action.choices, db_index=True)
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    person_id = models.UUIDField(
        null=True, blank=True, db_index=True, help_text="The person served this event concerns."
    )
    outcome = models.CharField(max_length=16, choices=Outcome.choices, default=Outcome.SUCCESS)
    category = models.CharField(max_length=16, choices=Category.choices, default=Category.GENERAL)
    purpose = models.CharField(max_length=32, choices=Purpose.choices, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=200, blank=True)
    request_id = models.CharField(max_length=36, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    prev_hmac = models.CharField(max_length=64)
    hmac = models.CharField(max_length=64)

    class Meta:
        ordering = ["seq"]
        indexes = [
            models.Index(fields=["actor", "occurred_at"]),
            models.Index(fields=["lane", "seq"], name="audit_event_lane_seq"),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.object_type} {self.object_id}"

    def chained_values(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in CHAINED_FIELDS}


class ChainHead(models.Model):
    """The head of one lane (its primary key is the lane's number): its lock orders the lane's
    writers, its values are the lane's tip (the last event's ``seq`` and HMAC).

    Holding this row's lock from the append until commit is what keeps each lane linear with
    many concurrent writers (on SQLite the IMMEDIATE write lock does the same).
    """

    seq = models.BigIntegerField(default=0)
    hmac = models.CharField(max_length=64, default=GENESIS)

    def __str__(self) -> str:
        return f"audit chain lane {self.pk} at #{self.seq}"


class ChainCheck(PublicModel):
    """One run of the audit chain verifier asked for from the privacy officer's page: queued as
    a task (the worker runs it, the page does not wait), then the result is kept here."""

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    is_intact = models.BooleanField(null=True)
    events_checked = models.PositiveBigIntegerField(default=0)
    finding = models.TextField(blank=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]

    def __str__(self) -> str:
        return f"Audit chain check {self.public_id}"


class ArchivedMonth(models.Model):
    """A month of the audit log detached for archive (PostgreSQL, ``pillars partitions detach
    --table audit_auditevent``): where each lane's chain stood at the end of that month, so the
    events still attached verify from there. Signed with the audit key, like a checkpoint: a
    forged or edited record fails verification, a deleted one leaves the next events unlinked."""

    partition = models.CharField(max_length=64, unique=True)
    month = models.DateField()
    detached_at = models.DateTimeField()
    events = models.PositiveBigIntegerField()
    lanes = models.JSONField(help_text="Lane number to [last seq, its HMAC] in the month.")
    signature = models.CharField(max_length=64)

    class Meta:
        ordering = ["month"]

    def __str__(self) -> str:
        return f"audit log {self.month:%Y-%m} archived"

    def message(self) -> bytes:
        tips = ";".join(
            f"{lane}:{tip[0]}:{tip[1]}"
            for lane, tip in sorted(self.lanes.items(), key=lambda item: int(item[0]))
        )
        return f"audit-archive|{self.partition}|{self.month:%Y-%m}|{self.events}|{tips}".encode()

    def signed(self, key: str | None = None) -> str:
        secret = (key if key is not None else settings.AUDIT_HMAC_KEY).encode()
        return hmac.new(secret, self.message(), hashlib.sha256).hexdigest()
