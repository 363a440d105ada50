"""``make bench``: what Pillars' protections cost, measured on one server in one run.

Starts gunicorn on 127.0.0.1 against a fresh demo database, signs in as the demo nurse, then
alternates requests to a bare Django view and to an authenticated, policy-checked, audited page
(a person served's record). Prints median and p95 of each and their ratio (goal: at most 3x).
"""

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
from pathlib import Path

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "300"))
WARMUP = 30
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
        check=True,
        capture_output=True,
        text=True,
    )
    return result.stdout


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    data_dir = tempfile.mkdtemp(prefix="pillars-bench-")
    env = {
        **os.environ,
        "PILLARS_ENV": "development",
        "PILLARS_DEBUG": "false",
        "PILLARS_BENCH": "true",
        "PILLARS_DATA_DIR": data_dir,
        "DATABASE_URL": f"sqlite:///{data_dir}/bench.sqlite3",
        "PILLARS_LOG_LEVEL": "WARNING",
    }
    print(f"bench: preparing a demo database in {data_dir} ...", flush=True)
    pillars(env, "migrate", "--no-input", "-v", "0")
    pillars(env, "demo", "--seed", "7")
    person = (
        pillars(
            env,
            "shell",
            "-c",
            (
                "from pillars.people.models import Placement, Staff;"
                "nurse = Staff.objects.get(user__username='demo-nurse');"
                "p = Placement.objects.current().filter(unit__in=nurse.home_units.all()).first();"
                "print(p.episode.person.public_id)"
            ),
        )
        .strip()
        .splitlines()[-1]
    )
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "pillars.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
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
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        page = opener.open(base + "/account/sign-in/").read().decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert token, "no CSRF token on the sign-in page"
        from pillars.demo.accounts import DEMO_PASSWORD

        body = urllib.parse.urlencode(
            {
                "csrfmiddlewaretoken": token.group(1),
                "username": "demo-nurse",
                "password": DEMO_PASSWORD,
            }
        ).encode()
        request = urllib.request.Request(
            base + "/account/sign-in/", data=body, headers={"Referer": base + "/account/sign-in/"}
        )
        opener.open(request).read()
        target = f"{base}/people/persons/{person}/"
        check = opener.open(target)
        if check.status != 200 or "/account/sign-in/" in check.url:
            raise SystemExit("bench: the demo nurse could not sign in")

        timings: dict[str, list[float]] = {"bare": [], "page": []}
        urls = {"bare": base + "/bench/bare", "page": target}
        for i in range(WARMUP + ROUNDS):
            for name in ("bare", "page"):
                started = time.perf_counter()
                response = opener.open(urls[name])
                response.read()
                elapsed = (time.perf_counter() - started) * 1000
                assert response.status == 200
                if i >= WARMUP:
                    timings[name].append(elapsed)
    finally:
        server.terminate()
        server.wait(timeout=10)

    med = {k: statistics.median(v) for k, v in timings.items()}
    p95 = {k: percentile(v, 0.95) for k, v in timings.items()}
    print(f"\nrequests per view: {ROUNDS} (after {WARMUP} warm-up), one gunicorn worker, SQLite")
    print(f"{'view':<40} {'median ms':>10} {'p95 ms':>10}")
    print(f"{'bare Django view (/bench/bare)':<40} {med['bare']:>10.2f} {p95['bare']:>10.2f}")
    print(f"{'person record (signed in, audited)':<40} {med['page']:>10.2f} {p95['page']:>10.2f}")
    ratio = med["page"] / med["bare"]
    print(
        f"\nratio authenticated/bare: median {ratio:.2f}x, "
        f"p95 {p95['page'] / p95['bare']:.2f}x (goal: at most 3x)"
    )


if __name__ == "__main__":
    main()
