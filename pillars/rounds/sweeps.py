"""The periodic sweeps rounds gives ``pillars worker``: each is a callable of ``now`` that is safe
to run from any number of workers at once (claims by compare-and-set, or alerts deduplicated by
a unique key)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from pillars.rounds.services.coverage import sweep_coverage_lapses
from pillars.rounds.services.escalation import escalate_due, sweep_emergency_climb
from pillars.rounds.services.inspections import sweep_ligature_alerts

SWEEPS: list[Callable[[datetime], object]] = [
    escalate_due,
    sweep_emergency_climb,
    sweep_coverage_lapses,
    sweep_ligature_alerts,
]
