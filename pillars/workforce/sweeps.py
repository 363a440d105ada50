"""The workforce app's periodic sweeps, run by the worker (core's worker reads ``SWEEPS``)."""

from __future__ import annotations

from pillars.workforce.services.wellbeing import sweep_reminders

SWEEPS = [sweep_reminders]
