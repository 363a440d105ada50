"""``pillars backup`` and ``pillars restore`` for the embedded SQLite database."""

from __future__ import annotations

import io
import json
import os
import sqlite3
import stat
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from pillars.audit.log import record
from pillars.audit.models import AuditEvent
from pillars.people.models import PersonServed
from pillars.people.testing import make_person

pytestmark = pytest.mark.django_db(transaction=True)


def _events(n: int, label: str) -> None:
    for i in range(n):
        record(actor=None, action="read", object_type="test.thing", object_id=f"{label}-{i}")


def _is_sqlite() -> bool:
    return connection.vendor == "sqlite"


def test_backup_while_a_writer_is_mid_transaction_then_restore(tmp_path: Path) -> None:
    if not _is_sqlite():
        pytest.skip("SQLite only; PostgreSQL's refusal is tested below")
    make_person("MRN-KEEP", "Kept")
    _events(3, "before")
    kept_events = AuditEvent.objects.count()
    # Another connection is in the middle of a write: the backup holds only what was committed.
    writer = sqlite3.connect(connection.settings_dict["NAME"], timeout=30)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("UPDATE people_personserved SET legal_family_name = 'Torn'")
    out = io.StringIO()
    call_command("backup", str(tmp_path / "b"), stdout=out)
    writer.rollback()
    writer.close()
    assert "Backup written" in out.getvalue()
    [manifest] = list((tmp_path / "b").glob("pillars-*.json"))
    meta = json.loads(manifest.read_text())
    assert meta["audit_events"] == kept_events
    copy = sqlite3.connect(tmp_path / "b" / meta["database"])
    names = [r[0] for r in copy.execute("SELECT legal_family_name FROM people_personserved")]
    copy.close()
    assert names == ["Kept"]

    # Later changes, then the restore puts the backup's moment back, chain intact.
    make_person("MRN-LATER", "Later")
    _events(2, "after")
    with pytest.raises(CommandError, match="--yes"):
        call_command("restore", str(tmp_path / "b"), stdout=io.StringIO())
    assert PersonServed.objects.filter(record_number="MRN-LATER").exists()
    out = io.StringIO()
    call_command("restore", str(tmp_path / "b"), "--yes", stdout=out)
    assert "audit chain intact" in out.getvalue()
    assert list(PersonServed.objects.values_list("record_number", flat=True)) == ["MRN-KEEP"]
    assert AuditEvent.objects.count() == kept_events


def test_restore_refuses_a_changed_backup_and_changes_nothing(tmp_path: Path) -> None:
    if not _is_sqlite():
        pytest.skip("SQLite only")
    make_person("MRN-ONE", "One")
    call_command("backup", str(tmp_path), stdout=io.StringIO())
    [manifest] = list(tmp_path.glob("pillars-*.json"))
    database = tmp_path / json.loads(manifest.read_text())["database"]
    with database.open("r+b") as handle:
        handle.seek(200)
        handle.write(b"\x00tampered\x00")
    make_person("MRN-TWO", "Two")
    with pytest.raises(CommandError, match="checksum"):
        call_command("restore", str(tmp_path), "--yes", stdout=io.StringIO())
    assert PersonServed.objects.count() == 2
    (tmp_path / "empty").mkdir()
    with pytest.raises(CommandError, match="holds no backup"):
        call_command("restore", str(tmp_path / "empty"), "--yes")
    with pytest.raises(CommandError, match="does not exist"):
        call_command("restore", str(tmp_path / "not-there"), "--yes")


def test_restore_reports_a_broken_audit_chain(tmp_path: Path, settings: Any) -> None:
    if not _is_sqlite():
        pytest.skip("SQLite only")
    _events(3, "x")
    call_command("backup", str(tmp_path), stdout=io.StringIO())
    # Restored under another audit key, the chain cannot be verified: the restore says so.
    settings.AUDIT_HMAC_KEY = "another-key-" + "y" * 40
    with pytest.raises(CommandError, match="BROKEN"):
        call_command("restore", str(tmp_path), "--yes", stdout=io.StringIO())


def test_postgresql_is_told_to_use_its_own_tools(tmp_path: Path) -> None:
    if _is_sqlite():
        pytest.skip("PostgreSQL only; SQLite is backed up above")
    with pytest.raises(CommandError, match="WAL archiving"):
        call_command("backup", str(tmp_path), stdout=io.StringIO())
    assert not list(tmp_path.iterdir())


@pytest.mark.once  # a scratch database and pg_dump of its own: long, so it is scheduled first
def test_the_postgresql_restore_drill_passes_and_catches_an_edited_dump(tmp_path: Path) -> None:
    """bin/restore-drill on the test database: dump, restore beside it, verify the chain."""
    import os
    import shutil
    import subprocess

    if _is_sqlite():
        pytest.skip("PostgreSQL only")
    if not shutil.which("pg_dump"):
        pytest.fail("pg_dump is missing: install PostgreSQL's client tools")
    from conftest import record_migrations_applied

    _events(4, "drill")
    record_migrations_applied()
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    root = Path(__file__).resolve().parents[3]
    env = {**os.environ, "DATABASE_URL": url, "PILLARS_ENV": "test"}
    done = subprocess.run(
        [str(root / "bin" / "restore-drill")], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Restore drill passed" in done.stdout
    assert "(4 events)" in done.stdout
    # The same drill under the wrong audit key fails: it really verifies the chain.
    env["PILLARS_AUDIT_KEY"] = "not-the-key-" + "z" * 40
    done = subprocess.run(
        [str(root / "bin" / "restore-drill")], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 1
    assert "DRILL FAILED" in done.stderr


def test_a_backup_and_a_restore_are_owner_only(tmp_path: Path, settings: Any) -> None:
    """Under the usual umask (022) a backup would be readable by every account on the host:
    the copy, its manifest and the uploaded photos are owner-only, and a restore puts the
    photos back owner-only too."""
    if not _is_sqlite():
        pytest.skip("SQLite only")
    media = tmp_path / "media"
    (media / "inspections").mkdir(parents=True)
    (media / "inspections" / "room.jpg").write_bytes(b"\xff\xd8")
    (media / "inspections" / "room.jpg").chmod(0o644)
    settings.MEDIA_ROOT = str(media)
    previous = os.umask(0o022)
    try:
        make_person("MRN-PRIVATE", "Private")
        call_command("backup", str(tmp_path / "b"), stdout=io.StringIO())
        made = {p: _mode(p) for p in (tmp_path / "b").rglob("*")}
        assert _mode(tmp_path / "b") == 0o700
        assert len(made) == 5, made  # the copy, its manifest, the photos' folders and a photo
        assert all(mode == (0o700 if p.is_dir() else 0o600) for p, mode in made.items()), made
        copied = next((tmp_path / "b").rglob("room.jpg"))
        assert _mode(copied) == 0o600
        assert _mode(copied.parent) == 0o700
        call_command("restore", str(tmp_path / "b"), "--yes", stdout=io.StringIO())
        assert _mode(media / "inspections" / "room.jpg") == 0o600
        assert _mode(media) == 0o700
    finally:
        os.umask(previous)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)
