"""``pillars insights rebuild [--from DATE]``: recompute the summary tables from the raw
records (the sweep then keeps them current)."""

from __future__ import annotations

import time
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from pillars.insights.summaries import rebuild


class Command(BaseCommand):
    help = "Insights summary tables. 'rebuild' recomputes them from the raw records."

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        build = sub.add_parser(
            "rebuild",
            help="recompute the hourly and daily summary tables from the raw records",
            description="Recompute every unit's hourly and daily figures from the first "
            "record (or from --from, a date in the organization's zone) to now, and move the "
            "sweep's cursor to the newest audit event.",
        )
        build.add_argument("--from", dest="since", metavar="DATE", help="YYYY-MM-DD")

    def handle(self, *args: Any, **options: Any) -> None:
        since = None
        if options.get("since"):
            try:
                day = date.fromisoformat(options["since"])
            except ValueError as error:
                raise CommandError("--from takes a date as YYYY-MM-DD.") from error
            zone = ZoneInfo(settings.PILLARS_DEFAULT_TIME_ZONE)
            since = datetime.combine(day, datetime.min.time(), tzinfo=zone)
        started = time.monotonic()
        rows = rebuild(since=since)
        self.stdout.write(
            f"Summary tables rebuilt: {rows} unit-hours in {time.monotonic() - started:.1f} s."
        )
