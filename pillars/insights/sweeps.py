"""The periodic sweeps the insights app gives ``pillars worker``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from pillars.insights.fhir.sweeps import SWEEPS as FHIR_SWEEPS

SWEEPS: list[Callable[[datetime], object]] = [*FHIR_SWEEPS]
