"""The periodic sweeps the incidents app gives ``pillars worker``: each is a callable of ``now``
safe to run from any number of workers at once (claims by compare-and-set, alerts deduplicated
by a unique key)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from pillars.incidents.services.incidents import sweep_notifications
from pillars.incidents.services.restraint import sweep_restraint

SWEEPS: list[Callable[[datetime], object]] = [
    sweep_restraint,
    sweep_notifications,
]
