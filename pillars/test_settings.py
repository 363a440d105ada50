"""Settings for the test suite: the ``test`` profile of ``pillars.settings``."""

import atexit
import os
import shutil
import tempfile
from pathlib import Path

os.environ["PILLARS_ENV"] = "test"

from pillars.settings import *  # noqa: F403

# Uploaded photos written by tests go to a throw-away folder, not the developer's var/media.
MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="pillars-test-media-"))
atexit.register(shutil.rmtree, MEDIA_ROOT, ignore_errors=True)

# On SQLite the test database is a file, not Django's shared in-memory one: in memory, the live
# server's request threads and the test itself would share one connection, so two requests
# writing at once (a page and its htmx poll) could interleave inside one transaction and race
# on the audit chain. In a file each thread has its own connection and writers queue on
# ``BEGIN IMMEDIATE``, as in production.
if DATABASES["default"]["ENGINE"] == "pillars.core.sqlite":  # noqa: F405
    _test_db_dir = tempfile.mkdtemp(prefix="pillars-test-db-")
    atexit.register(shutil.rmtree, _test_db_dir, ignore_errors=True)
    DATABASES["default"]["TEST"] = {"NAME": str(Path(_test_db_dir) / "test.sqlite3")}  # noqa: F405
