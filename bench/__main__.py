"""``make bench``: what Pillars' protections cost, measured on one server in one run.

Starts gunicorn on 127.0.0.1 against a fresh demo database, signs in as the demo nurse, then
alternates requests to a bare Django view and to an authenticated, policy-checked, audited page
(a person served's record). Prints median and p95 of each and their ratio (goal: at most 3x).

Then, on the same server: recording one check through the API (bearer token, policy, audit,
idempotency) against a bare Django POST that inserts one row, in requests per second (goal: at
least 0.20), alone and with 8 clients writing at once to 8 orders on an 8-worker server. Last,
``bench.batch`` syncs 1,000 checks through ``record_checks`` against raw psycopg ``executemany``
of the same rows on PostgreSQL (goal: at least 0.15), ``bench.board`` times the unit board, and
``bench.escalation`` sweeps 10,000 due orders against a bare compare-and-set UPDATE of the same
rows (goal: at least 0.2). ``bench.turnover`` computes the turnover table of ten years of hires
and exits against the same figures in SQL (goal: at most 3x). ``bench.fhir`` runs the FHIR bulk
export against a bare build of the same resources with fhir.resources, in resources per second
(goal: at least 0.5). ``bench.insights`` times each insights dashboard against the summary query
it rests on (goal: at most 10x) and prints the same figures computed from the raw records beside
it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from bench.common import ROOT, bench_env, databases, pillars, server, timed_pages

FIND_PERSON = (
    "from pillars.people.models import Placement, Staff;"
    "nurse = Staff.objects.get(user__username='demo-nurse');"
    "p = Placement.objects.current().filter(unit__in=nurse.home_units.all()).first();"
    "print(p.episode.person.public_id)"
)
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "300"))
WARMUP = 30
WRITES = int(os.environ.get("BENCH_WRITES", "300"))
CLIENTS = 8

SETUP_WRITES = """
from datetime import timedelta
from pillars.core import clock
from pillars.core.tokens import create_token
from pillars.people.models import Placement, Staff
from pillars.rounds import services
from pillars.rounds.models import ObservationLevel, ObservationOrder
nurse = Staff.objects.get(user__username='demo-nurse')
orders = []
for p in Placement.objects.current().filter(unit__in=nurse.home_units.all())[:CLIENTS]:
    order = ObservationOrder.objects.filter(
        person=p.episode.person, ended_at__isnull=True).first()
    if order is None:
        order = services.order_observation(
            p.episode.person, actor=nurse.user, reason='bench',
            level=ObservationLevel.objects.get(code='q15', is_current=True),
            started_at=clock.now() - timedelta(hours=1))
    orders.append(str(order.public_id))
_, secret = create_token(nurse.user, name='bench', scopes=['read', 'write'], days=1)
print(",".join(orders), secret)
""".replace("CLIENTS", str(CLIENTS))


BENCH_TABLE = """
from django.db import connection
key = "INTEGER PRIMARY KEY" if connection.vendor == "sqlite" else "BIGSERIAL PRIMARY KEY"
with connection.cursor() as cursor:
    cursor.execute(
        f"CREATE TABLE IF NOT EXISTS bench_row "
        f"(id {key}, client_id TEXT NOT NULL, body TEXT NOT NULL)"
    )
"""


def main() -> None:
    for database in databases():
        web(database)
    for module in (
        "bench.batch",
        "bench.board",
        "bench.escalation",
        "bench.hbips",
        "bench.directory",
        "bench.credentials",
        "bench.turnover",
        "bench.fhir",
        "bench.insights",
        "bench.partitions",
    ):
        run = subprocess.run([sys.executable, "-m", module], env=os.environ, cwd=ROOT)
        if run.returncode != 0:
            raise SystemExit(run.returncode)


def web(database: str) -> None:
    """The person page and the check API against their bare baselines, on one database."""
    with bench_env("pillars-bench-", database) as (data_dir, env):
        print(f"bench ({database}): preparing a demo database in {data_dir} ...", flush=True)
        pillars(env, "migrate", "--no-input", "-v", "0")
        pillars(env, "demo", "--seed", "7", "--rounds-days", "2")
        pillars(env, "shell", "-c", BENCH_TABLE)
        setup = pillars(env, "shell", "-c", SETUP_WRITES).strip().splitlines()[-1]
        order_list, bearer = setup.split()
        orders = order_list.split(",")
        order_id = orders[0]
        person = pillars(env, "shell", "-c", FIND_PERSON).strip().splitlines()[-1]
        with server(env) as base:
            target = f"{base}/people/persons/{person}/"
            urls = {"bare": base + "/bench/bare", "page": target}
            med, p95 = timed_pages(base, urls, ROUNDS, WARMUP)
            rates = write_rates(base, order_id, bearer)
        with server(env, workers=CLIENTS) as base:
            together = concurrent_rates(base, orders, bearer)

    print(
        f"\n[{database}] requests per view: {ROUNDS} (after {WARMUP} warm-up), one gunicorn worker"
    )
    print(f"{'view':<40} {'median ms':>10} {'p95 ms':>10}")
    print(f"{'bare Django view (/bench/bare)':<40} {med['bare']:>10.2f} {p95['bare']:>10.2f}")
    print(f"{'person record (signed in, audited)':<40} {med['page']:>10.2f} {p95['page']:>10.2f}")
    ratio = med["page"] / med["bare"]
    print(
        f"\n[{database}] ratio authenticated/bare: median {ratio:.2f}x, "
        f"p95 {p95['page'] / p95['bare']:.2f}x (goal: at most 3x)"
    )
    print(f"\nwrites: {WRITES} of each, alternating, same server")
    print(f"{'bare Django POST inserting one row':<40} {rates['bare']:>10.1f} req/s")
    print(f"{'POST /api/v1/orders/{id}/checks':<40} {rates['check']:>10.1f} req/s")
    print(
        f"\n[{database}] ratio check API/bare insert: {rates['check'] / rates['bare']:.2f} "
        "of the bare request rate (goal: at least 0.20)"
    )
    print(
        f"\n{CLIENTS} clients at once, {len(orders)} orders, {CLIENTS} gunicorn workers: "
        f"bare insert {together['bare']:.1f} req/s, check API {together['check']:.1f} req/s"
    )
    print(
        f"[{database}] ratio check API/bare insert with {CLIENTS} clients: "
        f"{together['check'] / together['bare']:.2f} (goal: at least 0.20)"
    )


def _post(url: str, body: dict[str, str], headers: dict[str, str]) -> None:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", **headers},
        method="POST",
    )
    with urllib.request.urlopen(request) as response:
        response.read()
        assert response.status == 201, response.status


def _check_body() -> dict[str, str]:
    return {
        "client_id": str(uuid.uuid4()),
        "observed_at": datetime.now(UTC).isoformat(),
        "location": "dayroom",
        "activity": "sitting",
        "safety_status": "safe",
    }


def write_rates(base: str, order_id: str, bearer: str) -> dict[str, float]:
    """Requests per second of a bare one-row insert and of recording a check via the API."""
    auth = {"Authorization": f"Bearer {bearer}"}
    targets = {
        "bare": (base + "/bench/bare-insert", {}),
        "check": (f"{base}/api/v1/orders/{order_id}/checks", auth),
    }
    spent = {"bare": 0.0, "check": 0.0}
    for i in range(WARMUP + WRITES):
        for name, (url, headers) in targets.items():
            started = time.perf_counter()
            _post(url, _check_body(), headers)
            if i >= WARMUP:
                spent[name] += time.perf_counter() - started
    return {name: WRITES / seconds for name, seconds in spent.items()}


def concurrent_rates(base: str, orders: list[str], bearer: str) -> dict[str, float]:
    """Requests per second with CLIENTS clients posting at once, each to its own order (as
    tablets on several units do), bare inserts and check API in alternating rounds."""
    auth = {"Authorization": f"Bearer {bearer}"}
    per_client = max(WRITES // CLIENTS, 10)

    def burst(name: str, count: int) -> float:
        def client(n: int) -> None:
            if name == "bare":
                url, headers = base + "/bench/bare-insert", {}
            else:
                url, headers = f"{base}/api/v1/orders/{orders[n % len(orders)]}/checks", auth
            for _ in range(count):
                _post(url, _check_body(), headers)

        started = time.perf_counter()
        with ThreadPoolExecutor(CLIENTS) as pool:
            list(pool.map(client, range(CLIENTS)))
        return time.perf_counter() - started

    burst("bare", 3)
    burst("check", 3)
    spent = {"bare": 0.0, "check": 0.0}
    for _ in range(3):
        for name in spent:
            spent[name] += burst(name, per_client)
    return {name: 3 * CLIENTS * per_client / seconds for name, seconds in spent.items()}


if __name__ == "__main__":
    main()
