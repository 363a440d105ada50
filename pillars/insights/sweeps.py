"""The sweep the insights app gives ``pillars worker``: the summary tables' touched buckets,
recomputed every loop (so the figures are current within a minute)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from pillars.insights.summaries import sweep_summaries

SWEEPS: list[Callable[[datetime], object]] = [sweep_summaries]
