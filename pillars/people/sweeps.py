"""The periodic sweeps the people app gives ``pillars worker``: a callable of ``now``, safe to
run from any number of workers at once (a plain delete of expired rows)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from pillars.people.importing import sweep_expired

SWEEPS: list[Callable[[datetime], object]] = [sweep_expired]
