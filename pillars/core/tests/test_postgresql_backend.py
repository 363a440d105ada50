"""The PostgreSQL backend (pillars.core.postgresql): Django's, its health check asking the server
only when the connection's socket says the server may have closed it."""

from __future__ import annotations

import select
import time
from typing import Any, cast

import pytest
from django.db import connection, connections

from pillars.core.postgresql.base import DatabaseWrapper

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the PostgreSQL backend's own check"
)


@pytest.mark.django_db
def test_a_quiet_kept_connection_is_not_asked_and_one_the_server_ended_is_replaced(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    kept = cast(DatabaseWrapper, connections.create_connection("default"))
    kept.settings_dict["CONN_HEALTH_CHECKS"] = True
    asked: list[bool] = []
    is_usable = kept.is_usable

    def counted() -> Any:
        asked.append(True)
        return is_usable()

    monkeypatch.setattr(kept, "is_usable", counted)
    try:
        with kept.cursor() as cursor:
            cursor.execute("SELECT 1")
        # A new request on the kept connection: nothing on its socket, so no SELECT 1.
        kept.health_check_done = False
        kept.close_if_health_check_failed()
        assert asked == []
        assert kept.connection is not None
        assert kept.health_check_done
        # The server ends it (as a restart does): its last message waits on the socket.
        pid = kept.connection.info.backend_pid
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
        deadline = time.monotonic() + 5
        while not select.select([kept.connection.fileno()], [], [], 0.1)[0]:
            assert time.monotonic() < deadline, "the server's farewell never came"
        kept.health_check_done = False
        kept.close_if_health_check_failed()
        assert asked == [True]
        assert kept.connection is None  # closed, so the request's first query reconnects
        with kept.cursor() as cursor:
            cursor.execute("SELECT 1")
            assert cursor.fetchone() == (1,)
        assert kept.connection is not None
        assert kept.connection.info.backend_pid != pid
    finally:
        kept.close()
