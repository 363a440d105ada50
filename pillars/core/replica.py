"""Reports read from a streaming replica when one is configured (``DATABASE_REPLICA_URL``).

Only code that asks for it reads from the replica: ``with replica.reads(user):`` around the
queries of a dashboard, a report or an export. Inside it, the router below sends reads of
reporting data to the ``replica`` alias; writes never go there, and what decides access always
comes from the primary: the audit chain, users, tokens, sessions, roles and staff, consents and
their revocations, emergency access (``PRIMARY_ONLY``). A revocation that a replica has not
replayed yet must never let a disclosure through.

``reads`` picks the primary instead when:

- no replica is configured, or it does not answer;
- the replica is more than ``PILLARS_REPLICA_MAX_LAG`` seconds behind (figures must be current
  within a minute);
- the user wrote something the replica has not replayed yet (their last audited write is not
  older than the replica's last replayed commit), so a leader who just corrected a record sees
  the correction in the next report.

``status()`` says which copy a page read and how far behind it was, for the page to print.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connections

REPLICA = "replica"
PRIMARY = "default"

# App labels whose rows decide access or hold the audit chain: always read on the primary.
PRIMARY_APPS = frozenset(
    {
        "admin",
        "audit",
        "auth",
        "axes",
        "contenttypes",
        "core",
        "django_tasks_db",
        "otp_static",
        "otp_totp",
        "sessions",
    }
)
# In people, only the places and the census may come from the replica; staff, roles, caseload
# relationships, consents and emergency access decide who may see what.
REPLICA_PEOPLE_MODELS = frozenset(
    {"organization", "site", "unit", "program", "room", "bed", "personserved", "episode"}
    | {"placement"}
)
# Write actions, for "did this user write something the replica has not replayed yet?"
WRITE_ACTIONS = ("create", "update", "void", "privilege_change", "import")

_reading_from: contextvars.ContextVar[str] = contextvars.ContextVar(
    "pillars_reads_from", default=PRIMARY
)


@dataclass(frozen=True)
class Status:
    """Which copy reads went to, and how far behind the replica was (seconds; None: unknown)."""

    alias: str
    lag_seconds: float | None
    reason: str

    @property
    def on_replica(self) -> bool:
        return self.alias == REPLICA


def configured() -> bool:
    return REPLICA in settings.DATABASES


def max_lag_seconds() -> float:
    return float(getattr(settings, "REPLICA_MAX_LAG_SECONDS", 60))


def _replica_position() -> tuple[float, datetime | None] | None:
    """The replica's lag in seconds and the commit time of its last replayed transaction, or
    None when it does not answer or is not a replica. Lag is 0 when it has replayed everything
    the primary has written, else the time since its last replayed commit."""
    try:
        with connections[PRIMARY].cursor() as cursor:
            cursor.execute("SELECT pg_current_wal_lsn()::text")
            primary_lsn = cursor.fetchone()[0]
        with connections[REPLICA].cursor() as cursor:
            cursor.execute(
                "SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn()::text,"
                " pg_last_xact_replay_timestamp(), now()"
            )
            in_recovery, replay_lsn, replayed_at, now = cursor.fetchone()
    except DatabaseError:
        return None
    if not in_recovery:
        return None
    if replay_lsn is not None and _lsn(replay_lsn) >= _lsn(primary_lsn):
        return 0.0, None
    if replayed_at is None:
        return None
    return max(0.0, (now - replayed_at).total_seconds()), replayed_at


def _lsn(text: str) -> int:
    high, low = text.split("/")
    return (int(high, 16) << 32) + int(low, 16)


def _wrote_since(user: Any, moment: datetime) -> bool:
    from pillars.audit.models import AuditEvent

    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return (
        AuditEvent.objects.using(PRIMARY)
        .filter(actor_id=user.pk, occurred_at__gte=moment, action__in=WRITE_ACTIONS)
        .exists()
    )


def choose(user: Any = None) -> Status:
    """Where a report for ``user`` should read now (see the module's docstring)."""
    if not configured():
        return Status(PRIMARY, None, "no replica is configured")
    position = _replica_position()
    if position is None:
        return Status(PRIMARY, None, "the replica does not answer")
    lag, replayed_at = position
    if lag > max_lag_seconds():
        return Status(PRIMARY, lag, f"the replica is {lag:.0f} s behind")
    if replayed_at is not None and _wrote_since(user, replayed_at):
        return Status(PRIMARY, lag, "your latest change is not on the replica yet")
    return Status(REPLICA, lag, "reporting copy")


@contextmanager
def reads(user: Any = None) -> Iterator[Status]:
    """Read reporting data inside this block from the replica when ``choose`` allows it."""
    status = choose(user)
    token = _reading_from.set(status.alias)
    try:
        yield status
    finally:
        _reading_from.reset(token)


def primary_only(model: type[Any]) -> bool:
    meta = model._meta
    if meta.app_label in PRIMARY_APPS:
        return True
    if meta.app_label == "people":
        return meta.model_name not in REPLICA_PEOPLE_MODELS
    return False


class ReplicaRouter:
    """Sends reads to the replica only inside ``reads()`` and never for ``PRIMARY_ONLY`` data;
    writes and migrations always go to the primary."""

    def db_for_read(self, model: type[Any], **hints: Any) -> str | None:
        if _reading_from.get() == REPLICA and not primary_only(model):
            return REPLICA
        return None

    def db_for_write(self, model: type[Any], **hints: Any) -> str:
        return PRIMARY

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        return True  # the replica is a copy of the primary: the same rows

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db == PRIMARY


def now_lag_text(status: Status) -> str:
    """The sentence a report prints about where its figures come from."""
    if status.on_replica:
        lag = status.lag_seconds or 0.0
        if lag < 1:
            return "Figures from the reporting copy, less than a second behind."
        return f"Figures from the reporting copy, {lag:.0f} seconds behind."
    return f"Figures from the main database ({status.reason})."
