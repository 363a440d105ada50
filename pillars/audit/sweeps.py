"""The audit app's periodic work, run by the worker (core/management/commands/worker.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from pillars.audit.checkpoint import sweep_checkpoint

SWEEPS: list[Callable[[datetime], object]] = [sweep_checkpoint]
