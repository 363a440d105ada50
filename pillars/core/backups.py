"""Backups of the embedded SQLite database: ``pillars backup DIR`` and ``pillars restore DIR``.

SQLite's online backup API copies a consistent snapshot page by page while Pillars keeps
serving (copying the file would not: a write in flight, or pages still in the WAL, leave a torn
copy). A backup is three things side by side: ``pillars-<UTC stamp>.sqlite3``, the uploaded
files of that moment (``pillars-<stamp>-media/``) and a manifest (``pillars-<stamp>.json``) with
the file's SHA-256 and the audit chain's length, so a restore can prove it put back what was
taken. PostgreSQL is backed up with its own tools (README, "Backups").
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.db import connections

from pillars.core import clock
from pillars.core.files import private_dir, restrict, restrict_tree, write_private

PREFIX = "pillars-"


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why and what to do."""


@dataclass(frozen=True)
class Backup:
    """One backup on disk."""

    database: Path
    manifest: Path
    media: Path
    audit_events: int
    sha256: str


def sqlite_path() -> Path:
    """The live database file, or a clear refusal when the database is not SQLite."""
    if connections["default"].vendor != "sqlite":
        raise BackupError(
            "pillars backup and restore copy the embedded SQLite database; this installation "
            "uses PostgreSQL: back it up with base backups plus WAL archiving and a nightly "
            "pg_dump (README, 'Backups'), and run bin/restore-drill to prove a restore."
        )
    name = connections["default"].settings_dict["NAME"]
    return Path(str(name))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _check_integrity(conn: sqlite3.Connection, what: str) -> None:
    rows = conn.execute("PRAGMA integrity_check").fetchall()
    if rows != [("ok",)]:
        problems = "; ".join(str(r[0]) for r in rows[:5])
        raise BackupError(f"{what} failed SQLite's integrity check: {problems}")


def _audit_events(conn: sqlite3.Connection) -> int:
    try:
        return int(conn.execute("SELECT count(*) FROM audit_auditevent").fetchone()[0])
    except sqlite3.OperationalError:
        return 0


def _stamp(now: datetime) -> str:
    return now.strftime("%Y%m%dT%H%M%S%fZ")


def backup(directory: Path) -> Backup:
    """Copy the live database (and uploaded files) into ``directory``, consistent while serving."""
    source = sqlite_path()
    if not source.exists():
        raise BackupError(f"There is no database at {source} to back up (run pillars migrate).")
    private_dir(directory)
    stamp = _stamp(clock.now())
    target = directory / f"{PREFIX}{stamp}.sqlite3"
    partial = target.with_suffix(".partial")
    # The copy holds every record: made owner-only before SQLite writes a page into it.
    write_private(partial, "")
    src = sqlite3.connect(source, timeout=30)
    dst = sqlite3.connect(partial)
    try:
        # One step copies the whole file under one read transaction: a consistent snapshot.
        src.backup(dst)
        _check_integrity(dst, "The copy")
        events = _audit_events(dst)
    finally:
        dst.close()
        src.close()
    partial.replace(target)
    media = directory / f"{PREFIX}{stamp}-media"
    media_root = Path(settings.MEDIA_ROOT)
    if media_root.exists():
        shutil.copytree(media_root, media)
        restrict_tree(media)
    else:
        private_dir(media)
    digest = _sha256(target)
    manifest = directory / f"{PREFIX}{stamp}.json"
    write_private(
        manifest,
        json.dumps(
            {
                "database": target.name,
                "sha256": digest,
                "bytes": target.stat().st_size,
                "audit_events": events,
                "media": media.name,
                "taken_at": clock.now().isoformat(),
            },
            indent=2,
        ),
    )
    return Backup(target, manifest, media, events, digest)


def newest(location: Path) -> Path:
    """The manifest to restore: ``location`` itself, or the newest manifest in that folder."""
    if location.is_file():
        if location.suffix != ".json":
            raise BackupError(f"{location} is not a backup manifest (pillars-<stamp>.json).")
        return location
    if not location.is_dir():
        raise BackupError(f"{location} does not exist.")
    manifests = sorted(location.glob(f"{PREFIX}*.json"))
    if not manifests:
        raise BackupError(f"{location} holds no backup (no pillars-<stamp>.json).")
    return manifests[-1]


def restore(location: Path) -> Backup:
    """Put a backup back in place of the live database, after proving the backup is whole.

    The copy goes through the backup API into the live file (not a file copy), so a stale WAL
    beside it can never be replayed over the restored pages. Stop the web and worker first."""
    manifest_path = newest(location)
    try:
        manifest = json.loads(manifest_path.read_text())
        database = manifest_path.parent / manifest["database"]
        media = manifest_path.parent / manifest["media"]
        expected, events = str(manifest["sha256"]), int(manifest["audit_events"])
    except (ValueError, KeyError, TypeError) as exc:
        raise BackupError(f"{manifest_path} is not a readable backup manifest: {exc}") from None
    if not database.exists():
        raise BackupError(f"{database} named by {manifest_path.name} is missing.")
    if _sha256(database) != expected:
        raise BackupError(
            f"{database.name} does not match the checksum in {manifest_path.name}: "
            "the backup was changed or damaged; nothing was restored."
        )
    target = sqlite_path()
    connections.close_all()
    src = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        _check_integrity(src, "The backup")
        dst = sqlite3.connect(target, timeout=30)
        try:
            src.backup(dst)
            _check_integrity(dst, "The restored database")
        finally:
            dst.close()
        restrict(target)
    finally:
        src.close()
    media_root = Path(settings.MEDIA_ROOT)
    if media.exists():
        if media_root.exists():
            shutil.rmtree(media_root)
        shutil.copytree(media, media_root)
        restrict_tree(media_root)
    return Backup(database, manifest_path, media, events, expected)
