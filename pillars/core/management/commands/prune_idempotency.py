"""``pillars prune_idempotency``: drop stored API replies past the replay window."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from pillars.core import idempotency
from pillars.core.errors import ValidationError


class Command(BaseCommand):
    help = (
        "Delete stored first answers of idempotent API writes older than --days (default "
        f"{idempotency.KEEP_DAYS}). Run it daily, e.g. from cron or a scheduler."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--days",
            type=int,
            default=idempotency.KEEP_DAYS,
            help="keep replies younger than this many days",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            deleted = idempotency.prune(older_than_days=options["days"])
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        self.stdout.write(f"Deleted {deleted} stored replies older than {options['days']} days.")
