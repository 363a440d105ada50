"""The resource directory on SQLite, two ratios.

1. Search over 50,000 services (``BENCH_DIRECTORY_SERVICES``): need + language + distance + open
   now through ``recovery.selectors.directory.search`` (policy, SQL prefilter, haversine and
   opening hours in Python, reasons, the SEARCH audit event) against the same query written by
   hand in SQL with the same Python distance and hours check, median of each (goal: at most 2x).
2. HSDS import: rows per second of ``import_package`` (frictionless validation of every type and
   foreign key, then the bulk upsert, one transaction, audited) against a bare CSV read and
   ``executemany`` insert of the same rows into a scratch table (goal: at least 0.3). One
   dry run of a small package comes first, as a server process would have done long before:
   it loads the validation library (frictionless, seconds of module imports), which is not a
   cost of the rows.

The directory is the deterministic sample package (``recovery.hsds.sample``); the 50,000
services are written straight through the importer's writer so the set-up stays short.
"""

from __future__ import annotations

import csv
import io
import json
import os
import statistics
import time
from datetime import UTC, datetime
from typing import Any

from bench.common import measure_migrated, setup_django

SERVICES = int(os.environ.get("BENCH_DIRECTORY_SERVICES", "50000"))
IMPORT_SERVICES = int(os.environ.get("BENCH_DIRECTORY_IMPORT_SERVICES", "2000"))
ROUNDS = int(os.environ.get("BENCH_DIRECTORY_ROUNDS", "15"))
# A Monday afternoon in Philadelphia, when most weekday services are open.
MOMENT = datetime(2026, 3, 9, 18, 0, tzinfo=UTC)


def main() -> None:
    measure_migrated("pillars-bench-directory-", f"bench directory: {SERVICES} services", measure)


def hand_written(q: Any, now: datetime) -> list[int]:
    """The same search in one SQL statement, distance and hours checked in Python."""
    import math
    from zoneinfo import ZoneInfo

    from django.db import connection

    from pillars.recovery.models import haversine_km

    dlat = q.within_km / 111.32
    dlon = q.within_km / (111.32 * math.cos(math.radians(q.latitude)))
    sql = """
        SELECT s.id, s.name, l.latitude, l.longitude, l.x_timezone, sc.byday, sc.opens_at,
               sc.closes_at
        FROM recovery_hsdsservice s
        JOIN recovery_attribute a ON a.link_id = s.public_id AND a.link_entity = 'service'
        JOIN recovery_taxonomyterm t ON t.id = a.taxonomy_term_id AND t.code = %s
        JOIN recovery_serviceatlocation sal ON sal.service_id = s.id
        JOIN recovery_location l ON l.id = sal.location_id AND NOT l.x_confidential
             AND l.latitude BETWEEN %s AND %s AND l.longitude BETWEEN %s AND %s
        JOIN recovery_schedule sc ON sc.service_id = s.id
        WHERE s.status = 'active'
          AND EXISTS (SELECT 1 FROM recovery_language g WHERE g.service_id = s.id AND g.code = %s)
        ORDER BY s.name
    """
    params = [
        q.need,
        q.latitude - dlat,
        q.latitude + dlat,
        q.longitude - dlon,
        q.longitude + dlon,
        q.language,
    ]
    days = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
    found: dict[int, float] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for pk, _, lat, lon, zone, byday, opens, closes in cursor.fetchall():
            km = haversine_km(q.latitude, q.longitude, lat, lon)
            if km > q.within_km:
                continue
            local = now.astimezone(ZoneInfo(zone))
            if days[local.weekday()] not in byday.split(","):
                continue
            if not str(opens) <= local.strftime("%H:%M:%S") < str(closes):
                continue
            found[pk] = min(km, found.get(pk, km))
    return sorted(found, key=lambda pk: found[pk])[:50]


def bare_import(files: dict[str, bytes]) -> int:
    """Read every CSV file and insert its rows, as JSON text, into a scratch table."""
    from django.db import connection, transaction

    rows = 0
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE IF NOT EXISTS bench_hsds (tbl TEXT, id TEXT PRIMARY KEY, body TEXT)"
        )
        for name, data in files.items():
            if not name.endswith(".csv"):
                continue
            batch = [
                (name, row["id"], json.dumps(row))
                for row in csv.DictReader(io.StringIO(data.decode("utf-8")))
            ]
            cursor.executemany("INSERT INTO bench_hsds (tbl, id, body) VALUES (%s, %s, %s)", batch)
            rows += len(batch)
    return rows


def measure(env: dict[str, str]) -> None:
    setup_django(env)
    import time_machine

    from pillars.people.testing import build_world
    from pillars.recovery.hsds import sample
    from pillars.recovery.hsds.importer import write
    from pillars.recovery.hsds.package import Package
    from pillars.recovery.selectors import directory as selectors
    from pillars.recovery.services.directory import import_package

    world = build_world()
    admin, peer = world.user("admin"), world.user("peer")

    # --- Import -------------------------------------------------------------------------------
    import_package(sample.csv_files(sample.rows(5, seed=3)), actor=admin)  # warm-up, dry run
    files = sample.csv_files(sample.rows(IMPORT_SERVICES, seed=2))
    started = time.perf_counter()
    bare_rows = bare_import(files)
    bare = bare_rows / (time.perf_counter() - started)
    started = time.perf_counter()
    report = import_package(files, actor=admin, commit=True, source="bench")
    ours = report.rows / (time.perf_counter() - started)
    assert report.committed, report.problems[:5]
    print(
        f"bench directory import ({report.rows} rows): import_package {ours:,.0f} rows/s, "
        f"bare CSV read + insert {bare:,.0f} rows/s, ratio {ours / bare:.2f} (goal >= 0.30)"
    )

    # --- Search -------------------------------------------------------------------------------
    started = time.perf_counter()
    write(Package(tables=sample.rows(SERVICES, seed=1)))
    print(f"  ({SERVICES} services written in {time.perf_counter() - started:.0f} s)")
    city = sample.CITIES[4]
    q = selectors.DirectoryQuery(
        need="peer",
        language="es",
        latitude=city[4],
        longitude=city[5],
        within_km=25,
        open_now=True,
    )
    with time_machine.travel(MOMENT, tick=False):
        ours_ids = [r.service.pk for r in selectors.search(peer, q)]
        theirs_ids = hand_written(q, MOMENT)
        assert sorted(ours_ids) == sorted(theirs_ids), (len(ours_ids), len(theirs_ids))
        timings: dict[str, list[float]] = {"sql": [], "search": []}
        for _ in range(ROUNDS):
            started = time.perf_counter()
            hand_written(q, MOMENT)
            timings["sql"].append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            selectors.search(peer, q)
            timings["search"].append((time.perf_counter() - started) * 1000)
    sql, search = statistics.median(timings["sql"]), statistics.median(timings["search"])
    print(
        f"bench directory search ({SERVICES} services, {len(ours_ids)} results): search "
        f"{search:.1f} ms, hand-written SQL {sql:.1f} ms, ratio {search / sql:.2f} (goal <= 2)"
    )


if __name__ == "__main__":
    main()
