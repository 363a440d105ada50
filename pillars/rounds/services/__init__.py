"""Every write in rounds, one module per area (orders and checks, coverage, escalation, ...).

The order and check services are re-exported here because most callers want them.
"""

from pillars.rounds.services.addenda import add_addendum
from pillars.rounds.services.levels import add_level
from pillars.rounds.services.orders import (
    CLOCK_SKEW,
    LATE_ENTRY_AFTER,
    change_level,
    end_observation,
    order_observation,
    record_check,
)
from pillars.rounds.services.sync import CheckItem, ItemResult, record_checks

__all__ = [
    "CLOCK_SKEW",
    "LATE_ENTRY_AFTER",
    "CheckItem",
    "ItemResult",
    "add_addendum",
    "add_level",
    "change_level",
    "end_observation",
    "order_observation",
    "record_check",
    "record_checks",
]
