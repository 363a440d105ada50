"""The audit app's periodic work, run by the worker (core/management/commands/worker.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from pillars.audit.checkpoint import sweep_checkpoint
from pillars.core import housekeeping

# core has no sweeps module of its own yet (the worker finds `<app>.sweeps.SWEEPS`), so its
# housekeeping rides here; move it when core gets one.
SWEEPS: list[Callable[[datetime], object]] = [sweep_checkpoint, *housekeeping.SWEEPS]
