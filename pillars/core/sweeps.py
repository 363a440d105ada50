"""What every periodic sweep shares (issue 13): a result type and ONE per-row failure policy.

A row that raises is logged, counted and audited with outcome "failed" (in its own
transaction, so the failure is on record even though the row's work rolled back), and the sweep
goes on with the next row: one bad row never stops a sweep for every unit. The row is tried
again on a later loop, because nothing was written for it (sweeps that claim a row by moving a
stored deadline push that deadline forward instead, see ``backoff``). ``core`` imports nothing
from the domain apps: callers pass the row's public id and type.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.db import transaction

from pillars.audit import log as audit
from pillars.audit.choices import Action, Outcome, Purpose

logger = logging.getLogger(__name__)

# Back-off for a row that keeps failing: 1, 2, 4 ... minutes, at most an hour, so a broken row
# is retried without spinning the loop.
BACKOFF_MAX = timedelta(hours=1)


def backoff(failures: int) -> timedelta:
    """How far to push a failing row's deadline after its n-th failure (n >= 1)."""
    return min(timedelta(minutes=2 ** max(failures - 1, 0)), BACKOFF_MAX)


@dataclass
class SweepResult:
    """What one pass of a sweep did."""

    name: str
    done: int = 0
    alerts: int = 0
    failed: int = 0
    failed_rows: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return f"{self.name}: {self.done} done, {self.alerts} alerts, {self.failed} failed"


def record_failure(
    result: SweepResult,
    *,
    label: str,
    object_type: str,
    object_id: str,
    error: BaseException,
    person_id: Any = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """The one failure policy: log, count, and audit "failed" in a transaction of its own."""
    logger.error("%s: %s %s failed", result.name, object_type, object_id, exc_info=error)
    result.failed += 1
    result.failed_rows.append(object_id)
    try:
        with transaction.atomic():
            audit.record(
                actor=None,
                actor_label=label,
                action=Action.UPDATE,
                object_type=object_type,
                object_id=object_id,
                person_id=person_id,
                outcome=Outcome.FAILED,
                purpose=Purpose.TREATMENT,
                detail={
                    "event": f"{result.name} failed",
                    "error": f"{type(error).__name__}: {error}"[:300],
                    **(detail or {}),
                },
            )
    except Exception:
        logger.exception("%s: could not audit the failure of %s", result.name, object_id)


def guarded[T](
    result: SweepResult,
    work: Callable[[], T],
    *,
    label: str,
    object_type: str,
    object_id: str,
    person_id: Any = None,
) -> T | None:
    """Run one row's work in its own transaction; on any error apply the failure policy and
    answer None so the sweep goes on with the next row."""
    try:
        with transaction.atomic():
            return work()
    except Exception as error:
        record_failure(
            result,
            label=label,
            object_type=object_type,
            object_id=object_id,
            error=error,
            person_id=person_id,
        )
        return None
