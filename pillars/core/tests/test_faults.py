"""A PostgreSQL restart under load loses nothing acknowledged.

A private PostgreSQL cluster is started on its own port (never the shared one), Pillars is served
on it with its worker (``pillars serve``), and a tablet-like client syncs checks through the batch
API while the database is restarted. Afterwards every check whose sync was answered 2xx is stored
exactly once, the ones that failed went through on retry (same client ids, so replays are
harmless), and the web server and the worker are still running without being restarted.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[3]
PILLARS = ROOT / ".venv" / "bin" / "pillars"

pytestmark = [
    pytest.mark.once,
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith("postgres"),
        reason="runs once, in the PostgreSQL stage (it starts a private cluster of its own)",
    ),
]

SETUP = """
from pillars.core.tokens import create_token
from pillars.people.testing import build_world
from pillars.rounds import services
from pillars.rounds.models import ObservationLevel
w = build_world()
order = services.order_observation(
    w.person_a, actor=w.user("nurse"), reason="fault drill",
    level=ObservationLevel.objects.get(code="q15", is_current=True))
_, secret = create_token(w.user("bht"), name="fault", scopes=["read", "write"], days=1)
print(order.public_id, secret)
"""

COUNT = """
import json
from pillars.rounds.models import Check
ids = [str(c) for c in Check.objects.values_list("client_id", flat=True)]
print(json.dumps(ids))
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pg_bin() -> Path:
    config = shutil.which("pg_config")
    if config:
        found = Path(subprocess.check_output([config, "--bindir"], text=True).strip())
        if (found / "initdb").exists():
            return found
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if not candidates:
        pytest.fail("PostgreSQL server binaries (initdb, pg_ctl) are missing")
    return candidates[-1].parent


def _as_postgres(cmd: list[str]) -> list[str]:
    """initdb refuses to run as root: run the cluster as the postgres user then."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *cmd]
    return cmd


@pytest.fixture
def cluster(transactional_db: None) -> Iterator[tuple[Path, int]]:
    """A private PostgreSQL cluster whose database ``pillars`` is a copy of this run's test
    database (see ``_copy_test_database``), read outside any transaction."""
    import tempfile

    bindir = _pg_bin()
    # Its own folder under /tmp: pytest's tmp_path is private to root, where postgres can't go.
    home = Path(tempfile.mkdtemp(prefix="pillars-pg-"))
    if os.geteuid() == 0:
        shutil.chown(home, "postgres", "postgres")
    data, port = home / "data", _free_port()
    subprocess.run(
        _as_postgres([str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres"]),
        check=True,
        capture_output=True,
    )
    pg_ctl = [str(bindir / "pg_ctl"), "-D", str(data), "-l", str(home / "log"), "-w"]
    options = f"-p {port} -k {home} -c listen_addresses=127.0.0.1 -c fsync=off"
    subprocess.run(_as_postgres([*pg_ctl, "-o", options, "start"]), check=True)
    try:
        subprocess.run(
            ["createdb", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "pillars"],
            check=True,
        )
        _copy_test_database(bindir, port)
        yield data, port
    finally:
        subprocess.run(_as_postgres([*pg_ctl, "-m", "immediate", "stop"]), check=False)
        shutil.rmtree(home, ignore_errors=True)


def _copy_test_database(bindir: Path, port: int) -> None:
    """Copy the test database, as ``migrate`` would have left it, into the cluster's database.

    The schema is the models' with the schema migrations' additions (partitioned tables, the
    audit triggers), the tables hold the reference rows, and every migration is recorded
    applied, so ``/readyz`` answers. A dump and restore takes seconds where ``pillars migrate``
    took half a minute. The migrations themselves run from an empty PostgreSQL database in
    rounds/tests/test_partitions_migration.py; this test is about the restart."""
    from django.db import connection

    from conftest import database_as_migrated

    database_as_migrated()
    source = connection.settings_dict
    dump = subprocess.run(
        [
            str(bindir / "pg_dump"),
            "--format=custom",
            "--no-owner",
            "--host",
            source["HOST"] or "127.0.0.1",
            "--port",
            str(source["PORT"] or 5432),
            "--username",
            source["USER"],
            source["NAME"],
        ],
        check=True,
        capture_output=True,
        env={**os.environ, "PGPASSWORD": source["PASSWORD"] or ""},
    )
    subprocess.run(
        [
            str(bindir / "pg_restore"),
            "--no-owner",
            "--exit-on-error",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--username",
            "postgres",
            "--dbname",
            "pillars",
        ],
        input=dump.stdout,
        check=True,
        capture_output=True,
    )


def _post(base: str, token: str, checks: list[dict[str, Any]]) -> int:
    request = urllib.request.Request(
        f"{base}/api/v1/checks/batch",
        data=json.dumps({"checks": checks}).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            body = json.loads(response.read())
            created = {r["client_id"] for r in body["results"] if r["status"] != "refused"}
            assert created == {c["client_id"] for c in checks}, body
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code
    except (urllib.error.URLError, TimeoutError, ConnectionError):
        return 0


def _wait_ready(base: str, procs: list[subprocess.Popen[bytes]]) -> None:
    for _ in range(120):
        assert all(p.poll() is None for p in procs), "Pillars stopped while starting"
        try:
            with urllib.request.urlopen(f"{base}/readyz", timeout=2) as r:
                if r.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.5)
    pytest.fail("Pillars did not become ready")


def test_a_database_restart_loses_no_acknowledged_check(
    cluster: tuple[Path, int], tmp_path: Path
) -> None:
    data, port = cluster
    home = data.parent
    pg_ctl = [str(_pg_bin() / "pg_ctl"), "-D", str(data), "-l", str(home / "log"), "-w"]
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:{port}/pillars",
        "PILLARS_ENV": "development",
        "PILLARS_DEBUG": "false",
        "PILLARS_DATA_DIR": str(tmp_path / "var"),
        "PILLARS_LOG_LEVEL": "WARNING",
    }

    def pillars(*args: str) -> str:
        done = subprocess.run(
            [str(PILLARS), *args], env=env, capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    order, token = pillars("shell", "-c", SETUP).strip().splitlines()[-1].split()
    web_port = _free_port()
    base = f"http://127.0.0.1:{web_port}"
    log = (tmp_path / "serve.log").open("wb")
    server = subprocess.Popen(
        [str(PILLARS), "serve", "--port", str(web_port), "--web-workers", "2"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_ready(base, [server])
        acked: list[str] = []
        waiting: list[dict[str, Any]] = []  # the tablet's queue: sent again until acknowledged
        refused = 0
        restarted = False
        deadline = time.monotonic() + 120
        for i in range(60):
            waiting.append(
                {
                    "order": order,
                    "client_id": str(uuid.uuid4()),
                    "observed_at": datetime.now(UTC).isoformat(),
                    "location": "bedroom",
                    "activity": "asleep",
                    "safety_status": "safe",
                }
            )
            if i == 20:
                # pg_ctl restart keeps the server's options; -l keeps its output off our pipe.
                subprocess.run(
                    _as_postgres([*pg_ctl, "-m", "fast", "restart"]),
                    check=True,
                    capture_output=True,
                    timeout=60,
                )
                restarted = True
            batch, waiting = waiting[:5], waiting[5:]
            status = _post(base, token, batch)
            if 200 <= status < 300:
                acked.extend(c["client_id"] for c in batch)
            else:
                refused += 1
                waiting = batch + waiting
            time.sleep(0.05)
        while waiting and time.monotonic() < deadline:
            batch, waiting = waiting[:5], waiting[5:]
            if 200 <= _post(base, token, batch) < 300:
                acked.extend(c["client_id"] for c in batch)
            else:
                waiting = batch + waiting
                time.sleep(0.5)
        assert restarted
        print(f"syncs refused or unanswered during the restart: {refused}")
        assert not waiting, f"{len(waiting)} checks never synced after the restart"
        # Nothing had to be restarted by hand: the same server process answers, its worker runs.
        assert server.poll() is None, "pillars serve stopped during the restart"
        with urllib.request.urlopen(f"{base}/readyz", timeout=5) as r:
            assert r.status == 200
        stored = json.loads(pillars("shell", "-c", COUNT).strip().splitlines()[-1])
        assert len(acked) == 60
        assert sorted(stored) == sorted(acked), "a check was lost or stored twice"
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
    serve_log = (tmp_path / "serve.log").read_text(errors="replace")
    # pillars serve stops both when either dies ("<name> stopped (exit N)"): neither did.
    assert "stopped (exit" not in serve_log, serve_log[-3000:]
