"""Signed checkpoints of the audit chain head, kept outside the database.

The hash chain finds an edited, inserted or reordered event, and the chain head row finds events
cut from the end; but someone who can write to the database can cut the newest events and move
the head row back with them. A checkpoint (sequence, HMAC, time, signed with the audit key)
appended to a file the database's users cannot rewrite vouches for the head as it was, so
``pillars audit verify`` can tell that vouched events are gone.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import syslog
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings

from pillars.audit.models import GENESIS, AuditEvent, ChainHead

FILE_NAME = "checkpoints.jsonl"
# The worker loops every few seconds; one line a minute (or on a new head) is enough to vouch.
INTERVAL = timedelta(minutes=1)


@dataclass(frozen=True)
class Checkpoint:
    seq: int
    hmac: str
    at: str  # ISO 8601, UTC

    def signature(self, key: str | None = None) -> str:
        secret = (key if key is not None else settings.AUDIT_HMAC_KEY).encode()
        message = f"audit-checkpoint|{self.seq}|{self.hmac}|{self.at}".encode()
        return hmac.new(secret, message, hashlib.sha256).hexdigest()

    def line(self) -> str:
        body = {"seq": self.seq, "hmac": self.hmac, "at": self.at, "sig": self.signature()}
        return json.dumps(body, sort_keys=True)


class CheckpointError(Exception):
    """The checkpoint file is unreadable or a line's signature does not hold."""


def path() -> Path | None:
    directory = settings.AUDIT_CHECKPOINT_DIR
    return Path(directory) / FILE_NAME if directory else None


def newest() -> Checkpoint | None:
    """The last line of the file, its signature checked; None when there is no checkpoint yet."""
    target = path()
    if target is None or not target.exists():
        return None
    lines = [ln for ln in target.read_text().splitlines() if ln.strip()]
    if not lines:
        return None
    try:
        body = json.loads(lines[-1])
        found = Checkpoint(int(body["seq"]), str(body["hmac"]), str(body["at"]))
        signature = str(body["sig"])
    except (ValueError, KeyError, TypeError) as exc:
        raise CheckpointError(f"the newest checkpoint in {target} is unreadable: {exc}") from None
    if not hmac.compare_digest(found.signature(), signature):
        raise CheckpointError(f"the newest checkpoint in {target} is not signed with the audit key")
    return found


def write(now: datetime) -> Checkpoint | None:
    """Append a checkpoint of the current head (on demand); None when checkpoints are off."""
    target = path()
    if target is None:
        return None
    head = ChainHead.objects.filter(pk=1).first()
    point = Checkpoint(head.seq if head else 0, head.hmac if head else GENESIS, now.isoformat())
    target.parent.mkdir(parents=True, exist_ok=True)
    line = point.line()
    # One write of one line with O_APPEND, then fsync: concurrent writers never interleave and a
    # crash loses at most the line being written.
    fd = os.open(target, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, (line + "\n").encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    if settings.AUDIT_CHECKPOINT_SYSLOG:
        syslog.syslog(syslog.LOG_NOTICE, f"pillars audit checkpoint {line}")
    return point


def sweep_checkpoint(now: datetime) -> Checkpoint | None:
    """The worker's sweep: a checkpoint when the head moved or the last one is a minute old."""
    if path() is None:
        return None
    try:
        last = newest()
    except CheckpointError:
        last = None  # a fresh, good line follows; verify still reports the bad one until then
    head = ChainHead.objects.filter(pk=1).values_list("seq", flat=True).first() or 0
    if last is not None and last.seq == head and now - datetime.fromisoformat(last.at) < INTERVAL:
        return None
    return write(now)


def check() -> str | None:
    """None when the database still holds the newest checkpoint's head; otherwise why not."""
    try:
        point = newest()
    except CheckpointError as exc:
        return str(exc)
    if point is None or point.seq == 0:
        return None
    row = AuditEvent.objects.filter(seq=point.seq).values_list("hmac", flat=True).first()
    if row is None:
        return (
            f"the checkpoint of {point.at} vouches for event #{point.seq}, "
            "which is no longer in the log (events were removed)"
        )
    if row != point.hmac:
        return (
            f"event #{point.seq} is not the one the checkpoint of {point.at} vouches for "
            "(the log was rewritten)"
        )
    return None
