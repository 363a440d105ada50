"""What every benchmark shares: a throwaway demo database, a gunicorn on 127.0.0.1, a signed-in
opener, pages timed against their baselines, and percentiles."""

from __future__ import annotations

import http.cookiejar
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pillars(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "pillars.manage", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        # Say why: a bench that stops on a failed set-up step must not hide its error.
        sys.stderr.write(result.stdout[-2000:] + result.stderr[-6000:])
        result.check_returncode()
    return result.stdout


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def postgres_server() -> str | None:
    """The PostgreSQL server the web benches also run on: DATABASE_URL's when it names one,
    else 127.0.0.1:5432 when it answers; its address without the database name."""
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        return url.rpartition("/")[0]
    try:
        socket.create_connection(("127.0.0.1", 5432), timeout=2).close()
    except OSError:
        return None
    return "postgres://postgres@127.0.0.1:5432"


def databases() -> list[str]:
    """The databases every web bench runs on, in this order: SQLite, then PostgreSQL if any."""
    return ["sqlite"] + (["postgresql"] if postgres_server() else [])


def named_database() -> str:
    """The database DATABASE_URL names: PostgreSQL when it is a postgres:// address, else SQLite
    (for the benches that run on one database)."""
    return "postgresql" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "sqlite"


def setup_django(env: dict[str, str] | None = None) -> None:
    """Set Django up in this process, on the bench's database when ``env`` (from ``bench_env``)
    names it, so a bench can call the code it measures directly."""
    if env is not None:
        os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pillars.settings")
    import django

    django.setup()


def measure_migrated(prefix: str, what: str, measure: Callable[[dict[str, str]], None]) -> None:
    """Run ``measure`` on a throwaway, migrated database of the kind DATABASE_URL names, after
    saying ``what`` it holds."""
    with bench_env(prefix, named_database()) as (data_dir, env):
        print(f"\n{what} in {data_dir} ...", flush=True)
        pillars(env, "migrate", "--no-input", "-v", "0")
        measure(env)


def _recreate(server: str, name: str, *, create: bool = True) -> None:
    """Drop the PostgreSQL database ``name`` on ``server`` (its connections forced closed) and,
    unless told not to, make it again, empty."""
    import psycopg

    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if create:
            conn.execute(f'CREATE DATABASE "{name}"')


@contextmanager
def bench_env(prefix: str, database: str = "sqlite") -> Iterator[tuple[str, dict[str, str]]]:
    """A fresh data directory and the environment of a bench server using it, on a throwaway
    SQLite file or a throwaway PostgreSQL database (made here, dropped afterwards)."""
    data_dir = tempfile.mkdtemp(prefix=prefix)
    env = {
        **os.environ,
        "PILLARS_ENV": "development",
        "PILLARS_DEBUG": "false",
        "PILLARS_BENCH": "true",
        "PILLARS_DATA_DIR": data_dir,
        "DATABASE_URL": f"sqlite:///{data_dir}/bench.sqlite3",
        "PILLARS_LOG_LEVEL": "WARNING",
    }
    if database == "sqlite":
        yield data_dir, env
        return
    server = postgres_server()
    assert server, "no PostgreSQL server to bench on"
    # The process id keeps two benches running at once on one server apart.
    name = f"{prefix.strip('-').replace('-', '_')}_{os.getpid()}"
    _recreate(server, name)
    env["DATABASE_URL"] = f"{server}/{name}"
    try:
        yield data_dir, env
    finally:
        _recreate(server, name, create=False)


@contextmanager
def server(env: dict[str, str], workers: int = 1) -> Iterator[str]:
    """Gunicorn (one worker unless told) on a free port of 127.0.0.1; yields its base URL."""
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "pillars.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=ROOT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            # A loaded machine can keep a worker busy past the grace period: the timings are
            # taken already, so stop it rather than lose them.
            process.kill()
            process.wait()


def signed_in(base: str, username: str) -> urllib.request.OpenerDirector:
    """An opener carrying the session of a demo sign-in through the real form."""
    from pillars.demo.accounts import DEMO_PASSWORD

    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(base + "/account/sign-in/").read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token, "no CSRF token on the sign-in page"
    body = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": token.group(1), "username": username, "password": DEMO_PASSWORD}
    ).encode()
    request = urllib.request.Request(
        base + "/account/sign-in/", data=body, headers={"Referer": base + "/account/sign-in/"}
    )
    opener.open(request).read()
    return opener


def alternate(
    opener: urllib.request.OpenerDirector, urls: dict[str, str], rounds: int, warmup: int
) -> dict[str, list[float]]:
    """Milliseconds per GET of each URL, alternating, after a warm-up."""
    timings: dict[str, list[float]] = {name: [] for name in urls}
    for i in range(warmup + rounds):
        for name, url in urls.items():
            started = time.perf_counter()
            response = opener.open(url)
            response.read()
            elapsed = (time.perf_counter() - started) * 1000
            assert response.status == 200, (url, response.status)
            assert "/account/sign-in/" not in response.url, "the session ended"
            if i >= warmup:
                timings[name].append(elapsed)
    return timings


def timed_pages(
    base: str, urls: dict[str, str], rounds: int, warmup: int, username: str = "demo-nurse"
) -> tuple[dict[str, float], dict[str, float]]:
    """The median and the p95 milliseconds per GET of each URL, signed in as ``username``
    through the real form, alternating after a warm-up (``alternate``)."""
    timings = alternate(signed_in(base, username), urls, rounds, warmup)
    return (
        {name: statistics.median(values) for name, values in timings.items()},
        {name: percentile(values, 0.95) for name, values in timings.items()},
    )


def in_scratch_postgres(url: str, name: str, run: Callable[[], None]) -> None:
    """Run ``run`` in this process on a throwaway PostgreSQL database at ``url`` (made here,
    dropped afterwards), with Django set up on it; says so and returns when there is none."""
    import psycopg

    base, _, database = url.rpartition("/")
    try:
        _recreate(base, database)
    except psycopg.OperationalError as exc:
        print(f"\n{name} bench skipped: no PostgreSQL at {url} ({exc})")
        return
    setup_django(
        {
            "DATABASE_URL": url,
            "PILLARS_ENV": "development",
            "PILLARS_DEBUG": "false",
            "PILLARS_DATA_DIR": tempfile.mkdtemp(prefix=f"pillars-bench-{name}-"),
            "PILLARS_LOG_LEVEL": "WARNING",
            "DJANGO_SETTINGS_MODULE": "pillars.settings",
        }
    )
    try:
        run()
    finally:
        from django.db import connections

        connections.close_all()
        _recreate(base, database, create=False)
