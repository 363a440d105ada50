"""Settings for the test suite: the ``test`` profile of ``pillars.settings``."""

import os

os.environ["PILLARS_ENV"] = "test"

from pillars.settings import *  # noqa: F403
