"""What every periodic sweep shares: a result type, a time budget per pass, and ONE per-row
failure policy.

A sweep scans its due rows by an indexed deadline, claims each with a compare-and-set update
(or ``SELECT ... FOR UPDATE SKIP LOCKED`` on PostgreSQL), and does each row's work through
``guarded``. A row that raises is logged, counted and audited with outcome "failed" (in its own
transaction, so the failure is on record even though the row's work rolled back), its ``retry``
pushes its stored deadline forward with ``backoff``, and the sweep goes on with the next row: one
bad row never stops a sweep for every unit and is never dropped. ``within_budget`` stops taking
rows once the pass's time is spent; what is left is still due and is taken on the next loop, so
one sweep with a backlog cannot starve the others. ``core`` imports nothing from the domain apps:
callers pass the row's public id and type.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
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
    claimed: int = 0
    alerts: int = 0
    failed: int = 0
    # Rows still due when the pass's time budget was spent: the next loop takes them.
    deferred: int = 0
    failed_rows: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        text = f"{self.name}: {self.claimed} claimed, {self.alerts} alerts, {self.failed} failed"
        return f"{text}, {self.deferred} left for the next loop" if self.deferred else text


class Budget:
    """A pass's share of the worker loop, in seconds (``PILLARS_SWEEP_BUDGET_SECONDS``)."""

    def __init__(self, seconds: float | None = None) -> None:
        self.seconds = float(settings.SWEEP_BUDGET_SECONDS if seconds is None else seconds)
        self.started = time.monotonic()

    def spent(self) -> bool:
        return time.monotonic() - self.started >= self.seconds


def within_budget[T](
    result: SweepResult,
    rows: Iterable[T],
    budget: Budget | None = None,
    *,
    size: Callable[[T], int] = lambda _: 1,
) -> Iterator[T]:
    """The rows a pass takes: all of them, or as many as its budget allows (always at least
    one, so every pass makes progress); the count left is ``result.deferred`` (``size`` counts
    the rows in an item, for sweeps that take rows in batches)."""
    budget = budget if budget is not None else Budget()
    pending = list(rows)
    for taken, row in enumerate(pending):
        if taken and budget.spent():
            result.deferred += sum(size(item) for item in pending[taken:])
            logger.warning(
                "%s: time budget of %ss spent; %s rows left for the next loop",
                result.name,
                budget.seconds,
                result.deferred,
            )
            return
        yield row


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
    retry: Callable[[], object] | None = None,
) -> T | None:
    """Run one row's work in its own transaction; on any error apply the failure policy and
    answer None so the sweep goes on with the next row. ``retry`` (in a transaction of its own)
    pushes the row's stored deadline forward with ``backoff`` so the row is tried again later
    rather than on every loop; a row without one is tried again on the next loop."""
    try:
        with transaction.atomic():
            return work()
    except Exception as error:
        if retry is not None:
            try:
                with transaction.atomic():
                    retry()
            except Exception:
                logger.exception("%s: could not defer %s %s", result.name, object_type, object_id)
        record_failure(
            result,
            label=label,
            object_type=object_type,
            object_id=object_id,
            error=error,
            person_id=person_id,
        )
        return None


def alert_each[K](
    result: SweepResult,
    rows: Iterable[tuple[K, Any, int]],
    *,
    alert: Callable[[K], int | None],
    retry: Callable[[K, int], object],
    label: str,
    object_type: str,
) -> SweepResult:
    """The loop of a sweep that alerts about due rows, each ``(key, public id, failures so
    far)``: as many as the pass's budget allows (``within_budget``), each through ``guarded``
    (``alert(key)`` writes its alerts and answers how many, or None when the row was not its to
    claim; ``retry(key, failures)`` pushes the
    row back), counted on ``result``."""
    for key, public_id, failures in within_budget(result, rows):
        written = guarded(
            result,
            functools.partial(alert, key),
            label=label,
            object_type=object_type,
            object_id=str(public_id),
            retry=functools.partial(retry, key, failures + 1),
        )
        if written is not None:
            result.claimed += 1
            result.alerts += written
    return result
