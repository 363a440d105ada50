"""Signed checkpoints of the audit lanes' heads, kept outside the database.

The hash chain finds an edited, inserted or reordered event, and each lane's head row finds
events cut from the end; but someone who can write to the database can cut the newest events and
move the head rows back with them. A checkpoint (each lane's last sequence and HMAC, the time,
signed with the audit key) appended to a file the database's users cannot rewrite vouches for
the heads as they were, so ``pillars audit verify`` can tell that vouched events are gone.
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
from pillars.core.files import private_dir

FILE_NAME = "checkpoints.jsonl"
# The worker loops every few seconds; one line a minute (or on a new head) is enough to vouch.
INTERVAL = timedelta(minutes=1)


@dataclass(frozen=True)
class Checkpoint:
    """The tip of every lane that has events (lane, seq, HMAC), at a moment."""

    tips: tuple[tuple[int, int, str], ...]
    at: str  # ISO 8601, UTC

    @property
    def seq(self) -> int:
        """The newest event vouched for."""
        return max((seq for _, seq, _ in self.tips), default=0)

    def signature(self, key: str | None = None) -> str:
        secret = (key if key is not None else settings.AUDIT_HMAC_KEY).encode()
        if [lane for lane, _, _ in self.tips] in ([], [1]):
            # One lane: the message of the checkpoints written before there were lanes.
            seq, mac = (self.tips[0][1], self.tips[0][2]) if self.tips else (0, GENESIS)
            message = f"audit-checkpoint|{seq}|{mac}|{self.at}"
        else:
            tips = ";".join(f"{lane}:{seq}:{mac}" for lane, seq, mac in self.tips)
            message = f"audit-checkpoint|{tips}|{self.at}"
        return hmac.new(secret, message.encode(), hashlib.sha256).hexdigest()

    def line(self) -> str:
        body: dict[str, object] = {"seq": self.seq, "at": self.at, "sig": self.signature()}
        if [lane for lane, _, _ in self.tips] in ([], [1]):
            body["hmac"] = self.tips[0][2] if self.tips else GENESIS
        else:
            body["lanes"] = {str(lane): [seq, mac] for lane, seq, mac in self.tips}
        return json.dumps(body, sort_keys=True)

    @classmethod
    def parse(cls, body: dict[str, object]) -> tuple[Checkpoint, str]:
        """A line's checkpoint and signature; a line from before lanes vouches for lane 1."""
        lanes = body.get("lanes")
        if isinstance(lanes, dict):
            tips = tuple(
                sorted((int(lane), int(tip[0]), str(tip[1])) for lane, tip in lanes.items())
            )
        else:
            seq = int(str(body["seq"]))
            tips = ((1, seq, str(body["hmac"])),) if seq else ()
        return cls(tips, str(body["at"])), str(body["sig"])


def current_tips() -> tuple[tuple[int, int, str], ...]:
    """The head of every lane that has events."""
    return tuple(
        ChainHead.objects.filter(seq__gt=0).order_by("pk").values_list("pk", "seq", "hmac")
    )


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
        found, signature = Checkpoint.parse(json.loads(lines[-1]))
    except (ValueError, KeyError, TypeError, IndexError, AttributeError) as exc:
        raise CheckpointError(f"the newest checkpoint in {target} is unreadable: {exc}") from None
    if not hmac.compare_digest(found.signature(), signature):
        raise CheckpointError(f"the newest checkpoint in {target} is not signed with the audit key")
    return found


def write(now: datetime) -> Checkpoint | None:
    """Append a checkpoint of the current head (on demand); None when checkpoints are off."""
    target = path()
    if target is None:
        return None
    point = Checkpoint(current_tips(), now.isoformat())
    private_dir(target.parent)
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
    if (
        last is not None
        and last.tips == current_tips()
        and now - datetime.fromisoformat(last.at) < INTERVAL
    ):
        return None
    return write(now)


def check() -> str | None:
    """None when the database still holds every lane tip of the newest checkpoint; otherwise
    why not."""
    try:
        point = newest()
    except CheckpointError as exc:
        return str(exc)
    if point is None:
        return None
    stored = dict(
        AuditEvent.objects.filter(seq__in=[seq for _, seq, _ in point.tips]).values_list(
            "seq", "hmac"
        )
    )
    for _, seq, mac in point.tips:
        if seq not in stored:
            return (
                f"the checkpoint of {point.at} vouches for event #{seq}, "
                "which is no longer in the log (events were removed)"
            )
        if stored[seq] != mac:
            return (
                f"event #{seq} is not the one the checkpoint of {point.at} vouches for "
                "(the log was rewritten)"
            )
    return None
