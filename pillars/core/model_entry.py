"""What records of an observation share: the moment seen and the moment written down."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol


class _Observed(Protocol):
    observed_at: datetime
    recorded_at: datetime


class ObservedEntry:
    """A record of something observed at ``observed_at`` and entered at ``recorded_at``."""

    @property
    def entry_delay(self: _Observed) -> timedelta:
        """How long after the observation the record was entered."""
        return self.recorded_at - self.observed_at
