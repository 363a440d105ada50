"""``pillars demo``: load the demo organization (demo mode only, once)."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from pillars.demo import generator, steps
from pillars.insights import summaries


class Command(BaseCommand):
    help = (
        "Load a believable demo organization (two sites, four units, about 60 staff, about 70 "
        "persons served with six months of history) through the audited services, committed "
        "step by step. Demo mode only (PILLARS_DEMO); refuses to load twice, or over a load "
        "that did not finish."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--seed", type=int, default=2026, help="the same seed gives the same data (2026)"
        )
        parser.add_argument(
            "--scale",
            choices=sorted(generator.SCALES),
            default="small",
            help="small: 4 units, ~70 persons served; large: 20 units, 1,000 persons served",
        )
        parser.add_argument(
            "--rounds-days",
            type=int,
            default=None,
            help="days of observation rounds to replay (default 30 small, 1 large)",
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="do nothing (and succeed) when an organization already exists",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEMO_MODE:
            raise CommandError(
                "Demo data and demo passwords exist only in demo mode; this installation has "
                "PILLARS_DEMO off. Nothing was loaded."
            )
        if (stopped := steps.interrupted()) is not None:
            # Even with --if-empty: a half-loaded demo must not pass for a loaded one.
            raise CommandError(
                f"A demo load that started at {stopped.started_at:%Y-%m-%d %H:%M} UTC has not "
                f"finished (it stopped, or is still running) after step "
                f"'{stopped.step or 'none'}': this database holds part of a demo. Nothing was "
                "loaded. To start again, drop and recreate the database, run pillars migrate, "
                "then pillars demo."
            )
        if generator.is_loaded():
            if options["if_empty"]:
                self.stdout.write("demo data already loaded")
                return
            raise CommandError(
                "demo data already loaded (an organization exists); the demo loads only into "
                "an empty database. Use --if-empty to make this a no-op."
            )
        days = options["rounds_days"]
        if days is not None and not 0 <= days <= 90:
            raise CommandError("--rounds-days is 0 to 90 days. Nothing was loaded.")
        verbose = options["verbosity"] > 1
        try:
            summary = generator.generate(
                seed=options["seed"],
                scale=options["scale"],
                rounds_days=options["rounds_days"],
                progress=(lambda step: self.stdout.write(f"  ... {step} done"))
                if verbose
                else None,
            )
        except generator.AlreadyLoaded:
            # Another process loaded it between our check and our transaction.
            if options["if_empty"]:
                self.stdout.write("demo data already loaded")
                return
            raise CommandError("demo data already loaded") from None
        for line in summary.lines():
            self.stdout.write(line)
        # The insights summary tables from the history just loaded, so every dashboard shows
        # its trends at once (the live sweep takes only writes after this).
        started = time.monotonic()
        rows = summaries.rebuild()
        self.stdout.write(
            f"  Insights summary tables rebuilt: {rows:,} unit-hours in "
            f"{time.monotonic() - started:.1f} s"
        )
        if (seconds := update_statistics()) is not None:
            self.stdout.write(f"  Table statistics updated in {seconds:.1f} s")
        if not summary.chain_ok:
            raise CommandError(
                "The audit chain did not verify after loading; run pillars audit verify."
            )


def update_statistics() -> float | None:
    """On PostgreSQL, what autovacuum would do in the minutes after a load, done at once
    (``VACUUM ANALYZE``): the planner's statistics of every table, so the first pages are
    planned on the data loaded rather than on near-empty tables (the unit board's read of its
    orders took three times as long before), and the rows just written marked visible, so the
    first pages neither do that work nor wait on autovacuum doing it. The seconds it took;
    None on SQLite, which keeps no such statistics."""
    if connection.vendor != "postgresql":
        return None
    started = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    return time.monotonic() - started
