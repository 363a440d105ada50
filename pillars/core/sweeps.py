"""The sweep harness: how every periodic sweep treats its rows.

A sweep (escalations, coverage lapses, ligature risks, restraint clocks, late notifications,
housekeeping) finds the rows that are due and hands each one to ``each_row``, which:

- runs the row in its own transaction, so one row's failure undoes only that row;
- on failure logs it, writes an audit event with outcome "failed" (after the rollback, so it
  stays), counts it, and backs the row off: it is retried on a later loop after 5 s, 10 s,
  20 s ... up to 10 minutes, never dropped and never spinning the loop;
- stops taking new rows when the sweep's time budget is spent (the rest wait for the next
  loop), so one slow sweep cannot starve the others;
- returns one ``SweepResult`` shape for every sweep.

Rows with a stored deadline (an order's ``due_at``) can also be pushed forward in the database
by the sweep itself (see the escalation sweep); rows derived from state (a lapse, a risk) are
backed off here, per worker process.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction

from pillars.audit import log as audit
from pillars.audit.choices import Action, Outcome, Purpose

logger = logging.getLogger("pillars.sweeps")


FIRST_RETRY = timedelta(seconds=5)
LONGEST_RETRY = timedelta(minutes=10)
DEFAULT_BUDGET_SECONDS = 20.0


@dataclass
class SweepResult:
    """What one sweep did: rows handled, alerts (or other records) written, rows that failed,
    rows left for a later loop (backing off, or past the time budget)."""

    name: str
    claimed: int = 0
    alerts: int = 0
    failed: int = 0
    deferred: int = 0
    failed_keys: list[str] = field(default_factory=list)

    @property
    def failed_orders(self) -> list[str]:
        return self.failed_keys

    def __str__(self) -> str:
        return (
            f"{self.name}: {self.claimed} claimed, {self.alerts} alerts, {self.failed} failed, "
            f"{self.deferred} deferred"
        )


def retry_delay(failures: int) -> timedelta:
    """Back-off after ``failures`` failures in a row: 5 s, 10 s, 20 s ... at most 10 minutes."""
    return min(FIRST_RETRY * (2 ** max(failures - 1, 0)), LONGEST_RETRY)


@dataclass
class _Failing:
    failures: int
    retry_at: datetime


# Rows that failed, per sweep and row key, in this worker process.
_backoff: dict[tuple[str, str], _Failing] = {}


def reset_backoff() -> None:
    """Forget every back-off (tests; a restarted worker starts with none anyway)."""
    _backoff.clear()


def record_failure(name: str, key: str, error: BaseException, **detail: Any) -> None:
    """Log and audit one row's failure; never raises (a failing audit must not stop a sweep)."""
    logger.error("sweep %s: row %s failed: %s", name, key, error, exc_info=error)
    try:
        audit.record(
            actor=None,
            actor_label=f"system: {name} sweep",
            action=Action.UPDATE,
            object_type="sweep.row",
            object_id=key[:64],
            outcome=Outcome.FAILED,
            purpose=Purpose.TREATMENT,
            detail={
                "event": f"{name} failed",
                "error": f"{type(error).__name__}: {error}"[:300],
                **detail,
            },
        )
    except Exception:
        logger.exception("sweep %s: could not audit the failure of row %s", name, key)


def each_row[Row](
    name: str,
    rows: Iterable[Row],
    handle: Callable[[Row], int | None],
    *,
    key: Callable[[Row], str],
    now: datetime,
    result: SweepResult | None = None,
    budget_seconds: float = DEFAULT_BUDGET_SECONDS,
    on_failure: Callable[[Row, int], None] | None = None,
) -> SweepResult:
    """Hand each row to ``handle`` (which returns how many records it wrote, or None when
    another worker had it first) under the harness's rules (module docstring). ``on_failure``
    (row, failures in a row) may push a stored deadline forward as well."""
    result = result or SweepResult(name)
    deadline = time.monotonic() + budget_seconds
    for row in rows:
        row_key = key(row)
        failing = _backoff.get((name, row_key))
        if failing is not None and failing.retry_at > now:
            result.deferred += 1
            continue
        if time.monotonic() > deadline:
            result.deferred += 1
            continue
        try:
            with transaction.atomic():
                written = handle(row)
        except Exception as exc:
            failures = failing.failures + 1 if failing else 1
            _backoff[(name, row_key)] = _Failing(failures, now + retry_delay(failures))
            result.failed += 1
            result.failed_keys.append(row_key)
            record_failure(name, row_key, exc, failures=failures)
            if on_failure is not None:
                try:
                    on_failure(row, failures)
                except Exception:
                    logger.exception("sweep %s: could not back off row %s", name, row_key)
            continue
        _backoff.pop((name, row_key), None)
        if written is not None:
            result.claimed += 1
            result.alerts += written
    return result
