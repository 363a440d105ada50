"""Django's PostgreSQL backend (``DATABASE_URL=postgres://...`` selects it), with one change: the
health check before a request's first query asks the server only when the connection may be
broken.

With ``CONN_HEALTH_CHECKS`` Django runs ``SELECT 1`` on a kept connection before each request's
first query, a round trip of its own on every page. A connection the server has closed (a
restart, an administrator ending it, a crash) has something to read on its socket while no
query is in flight: the server's last message, or the end of the stream. So the socket is
polled first, without waiting. Nothing to read: the connection is as usable as after its last
good query, and the check is done. Something to read, or a connection psycopg already knows is
closed or broken: Django's own check decides, as before."""

from __future__ import annotations

import select
from typing import Any

from django.db.backends.postgresql import base


class DatabaseWrapper(base.DatabaseWrapper):
    # Set by Django's own wrapper (its __init__ and connect).
    health_check_done: bool
    health_check_enabled: bool

    def close_if_health_check_failed(self) -> None:
        if (
            self.connection is not None
            and self.health_check_enabled
            and not self.health_check_done
            and not self.pool
            and _quiet(self.connection)
        ):
            self.health_check_done = True
            return
        super().close_if_health_check_failed()


def _quiet(connection: Any) -> bool:
    """Whether the connection is open with nothing waiting to be read on its socket."""
    if connection.closed or connection.broken:
        return False
    try:
        readable, _, _ = select.select([connection.fileno()], [], [], 0)
    except (OSError, ValueError):
        return False
    return not readable
