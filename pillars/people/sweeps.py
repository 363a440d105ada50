"""The periodic sweeps the people app gives ``pillars worker``: a callable of ``now``, safe to
run from any number of workers at once (a plain delete of expired rows)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from pillars.core import partitions
from pillars.people.importing import sweep_expired

# Next months' partitions of every partitioned table (PostgreSQL) ride with the lowest domain
# app, as core's housekeeping rides with audit.
SWEEPS: list[Callable[[datetime], object]] = [sweep_expired, *partitions.SWEEPS]
