"""Files that hold records are owner-only (``pillars.core.files``): the SQLite database and its
side files, backups, FHIR exports, uploaded photos and the development secrets, on a host whose
umask would otherwise leave them readable by every account."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db.utils import ConnectionHandler

from pillars.core import files


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def usual_umask() -> Iterator[None]:
    """The umask most hosts start services with: new files readable by everyone."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def test_a_new_folder_and_its_new_parents_are_owner_only(tmp_path: Path) -> None:
    made = files.private_dir(tmp_path / "a" / "b")
    assert made == tmp_path / "a" / "b"
    assert _mode(tmp_path / "a") == 0o700
    assert _mode(tmp_path / "a" / "b") == 0o700


def test_a_folder_that_exists_keeps_its_mode(tmp_path: Path) -> None:
    """The operator's folder may be a shared mount: Pillars does not change it."""
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    shared.chmod(0o755)
    files.private_dir(shared)
    assert _mode(shared) == 0o755


def test_files_are_written_owner_only_and_an_old_one_is_tightened(tmp_path: Path) -> None:
    new = tmp_path / "new.txt"
    files.write_private(new, "Rivera")
    assert _mode(new) == 0o600
    assert new.read_text() == "Rivera"
    old = tmp_path / "old.txt"
    old.write_text("readable by all")
    assert _mode(old) == 0o644
    with files.open_private(old, encoding="utf-8") as handle:
        handle.write("now private")
    assert _mode(old) == 0o600
    assert old.read_text() == "now private"
    with files.open_private(old, "a", encoding="utf-8") as handle:
        handle.write(", appended")
    assert old.read_text() == "now private, appended"


def test_a_copied_tree_loses_group_and_other_access(tmp_path: Path) -> None:
    root = tmp_path / "copy"
    (root / "photos").mkdir(parents=True)
    (root / "photos" / "room.jpg").write_bytes(b"\xff\xd8")
    (root / "photos").chmod(0o775)
    (root / "photos" / "room.jpg").chmod(0o664)
    files.restrict_tree(root)
    assert _mode(root) == 0o700
    assert _mode(root / "photos") == 0o700
    assert _mode(root / "photos" / "room.jpg") == 0o600
    files.restrict(tmp_path / "missing")  # nothing to do, no error


def test_the_sqlite_files_of_a_database_name() -> None:
    assert files.sqlite_files(":memory:") == []
    assert files.sqlite_files("file:memorydb_default?mode=memory&cache=shared") == []
    assert files.sqlite_files("/data/pillars.sqlite3") == [
        Path("/data/pillars.sqlite3"),
        Path("/data/pillars.sqlite3-wal"),
        Path("/data/pillars.sqlite3-shm"),
        Path("/data/pillars.sqlite3-journal"),
    ]


def test_a_sqlite_database_is_owner_only_once_a_connection_opens_it(
    tmp_path: Path, django_db_blocker: Any
) -> None:
    """SQLite makes the file with the process's umask (0644 here); the first connection Django
    opens tightens it and the side files SQLite made beside it. Fails without the
    ``connection_created`` receiver."""
    name = tmp_path / "pillars.sqlite3"
    handler = ConnectionHandler(
        {
            "default": {
                "ENGINE": "django.db.backends.sqlite3",
                "NAME": str(name),
                "OPTIONS": {"init_command": "PRAGMA journal_mode=WAL;"},
            }
        }
    )
    conn = handler["default"]
    with django_db_blocker.unblock():
        _write_and_reopen(conn)
    assert _mode(name) == 0o600
    for side in files.sqlite_files(str(name))[1:]:
        if side.exists():
            assert _mode(side) == 0o600, side


def _write_and_reopen(conn: Any) -> None:
    try:
        with conn.cursor() as cursor:
            cursor.execute("CREATE TABLE t (name TEXT)")
            cursor.execute("INSERT INTO t VALUES ('Rivera')")
        # A second connection (as a new worker would open) finds the side files SQLite made
        # with the database file's mode: owner-only too.
        conn.close()
        with conn.cursor() as cursor:
            cursor.execute("SELECT name FROM t")
    finally:
        conn.close()


def test_uploaded_files_are_stored_owner_only() -> None:
    assert settings.FILE_UPLOAD_PERMISSIONS == 0o600
    assert settings.FILE_UPLOAD_DIRECTORY_PERMISSIONS == 0o700


def test_a_database_file_of_another_account_is_left_and_said(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A file this account may not chmod (another owns it) does not stop the connection."""
    name = tmp_path / "shared.sqlite3"
    name.write_bytes(b"")

    def refuse(path: Path, mode: int) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(Path, "chmod", refuse)

    class Connection:
        vendor = "sqlite"
        settings_dict = {"NAME": str(name)}

    files.on_connection(None, Connection())
    assert "is not this account's" in caplog.text
