"""The sweeps the insights app gives ``pillars worker``: the summary tables' touched buckets,
recomputed every loop (so the figures are current within a minute), and the FHIR export's
expired jobs and files."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from pillars.insights.fhir.sweeps import SWEEPS as FHIR_SWEEPS
from pillars.insights.summaries import sweep_summaries

SWEEPS: list[Callable[[datetime], object]] = [sweep_summaries, *FHIR_SWEEPS]
