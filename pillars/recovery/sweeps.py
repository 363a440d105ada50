"""The periodic sweeps the recovery app gives ``pillars worker``: each is a callable of ``now``
safe to run from any number of workers at once (claims by compare-and-set, alerts deduplicated
by a unique key)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from pillars.recovery.services.portal import prune_address_refusals
from pillars.recovery.services.referrals import sweep_follow_ups, sweep_overdue

SWEEPS: list[Callable[[datetime], object]] = [
    sweep_overdue,
    sweep_follow_ups,
    prune_address_refusals,
]
