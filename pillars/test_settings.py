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
