"""Periodic clean-up the worker runs: expired sessions and stored API replies past their window.

Both were left to cron (``clearsessions``, ``prune_idempotency``); an installation without cron
kept every expired session (and with it any pending data it held) forever.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from importlib import import_module

from django.conf import settings

from pillars.core import idempotency

# Both deletes are idempotent and cheap, but there is no need to run them every worker loop.
EVERY = timedelta(minutes=10)
_last_run: dict[str, datetime] = {}


def _due(name: str, now: datetime) -> bool:
    last = _last_run.get(name)
    if last is not None and now - last < EVERY:
        return False
    _last_run[name] = now
    return True


def sweep_expired_sessions(now: datetime) -> bool:
    """Delete sessions past their expiry (Django's ``clearsessions``); True when it ran."""
    if not _due("sessions", now):
        return False
    engine = import_module(settings.SESSION_ENGINE)
    engine.SessionStore.clear_expired()
    return True


def sweep_idempotency(now: datetime) -> int | None:
    """Drop stored API replies past the replay window; how many went, None when not due."""
    if not _due("idempotency", now):
        return None
    return idempotency.prune()


SWEEPS = [sweep_expired_sessions, sweep_idempotency]
