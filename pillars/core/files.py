"""Files on disk that hold records: readable and writable by Pillars' own account only.

The SQLite database, its backups, FHIR exports and uploaded photos name persons served. On a
host where other accounts log in, the usual umask (022) would leave each of them readable by
everyone: one ``cp`` away from a copy of every record. So what Pillars writes of them is made
owner-only (files 0600, folders 0700) as it is made, and the database file is tightened each
time a connection opens it (SQLite gives its ``-wal`` and ``-shm`` files the database file's
mode). A folder the operator named and that already exists is left as it is (it may be a
shared mount); what Pillars puts in it is still owner-only.

No Django imports here: the settings module uses it before Django is set up.
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

logger = logging.getLogger(__name__)

FILE_MODE = 0o600
DIR_MODE = 0o700
# Group and other permission bits: what owner-only takes away.
_OTHERS = stat.S_IRWXG | stat.S_IRWXO


def private_dir(path: Path) -> Path:
    """``path`` as a folder, made (with its missing parents) owner-only when it did not exist;
    an existing folder keeps its mode."""
    missing = []
    current = path
    while not current.exists():
        missing.append(current)
        current = current.parent
    path.mkdir(parents=True, exist_ok=True)
    for made in missing:
        made.chmod(DIR_MODE)
    return path


def restrict(path: Path) -> None:
    """Take group and other access away from one file or folder (nothing when it is missing)."""
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return
    if mode & _OTHERS:
        path.chmod(mode & ~_OTHERS)


def restrict_tree(root: Path) -> None:
    """``restrict`` a folder and everything under it (a copied tree keeps its source's modes)."""
    restrict(root)
    for folder, dirs, files in os.walk(root):
        for name in (*dirs, *files):
            restrict(Path(folder) / name)


@contextmanager
def open_private(path: Path, mode: str = "w", **kwargs: Any) -> Iterator[IO[Any]]:
    """``open(path, mode)`` for writing, the file created owner-only (an existing one is
    tightened first, so no reader can hold it open from before)."""
    restrict(path)
    flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if "a" in mode else os.O_TRUNC)
    fd = os.open(path, flags, FILE_MODE)
    with os.fdopen(fd, mode, **kwargs) as handle:
        yield handle


def write_private(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path``, owner-only."""
    with open_private(path, encoding="utf-8") as handle:
        handle.write(text)


def sqlite_files(name: str) -> list[Path]:
    """The files of a SQLite database named ``name`` (none for an in-memory one)."""
    if not name or name == ":memory:" or "mode=memory" in name:
        return []
    path = Path(name.removeprefix("file:").partition("?")[0])
    return [path, Path(f"{path}-wal"), Path(f"{path}-shm"), Path(f"{path}-journal")]


def on_connection(sender: Any, connection: Any, **kwargs: Any) -> None:
    """On each new database connection (Django's ``connection_created``): a SQLite database's
    files owner-only, however they were made (SQLite makes the file with the process's umask)."""
    if connection.vendor != "sqlite":
        return
    for path in sqlite_files(str(connection.settings_dict["NAME"])):
        try:
            restrict(path)
        except PermissionError:
            # Another account owns the file (a deployment that shares it on purpose): say so,
            # and serve; refusing every connection would stop the floor.
            logger.warning("%s is not this account's: its mode is left as it is", path)
