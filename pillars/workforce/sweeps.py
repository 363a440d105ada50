"""The periodic sweeps the workforce app gives ``pillars worker``: each is a callable of ``now``
safe to run from any number of workers at once (claims by compare-and-set, alerts and agenda
items deduplicated by a unique key)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from pillars.workforce.services.credentials import sweep_expiry_reminders
from pillars.workforce.services.drift import review_drift
from pillars.workforce.services.supervision import sweep_overdue
from pillars.workforce.services.wellbeing import sweep_reminders

SWEEPS: list[Callable[[datetime], object]] = [
    sweep_expiry_reminders,
    sweep_reminders,
    sweep_overdue,
    review_drift,
]
