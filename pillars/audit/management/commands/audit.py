"""``pillars audit verify``: check the whole audit chain."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand

from pillars.audit.verify import verify_database


class Command(BaseCommand):
    help = "Audit log tools. 'verify' checks the hash chain and reports the first broken link."

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        sub.add_parser(
            "verify",
            help="check every event's HMAC and link; exit 1 at the first broken link",
            description="Walk the audit log in order, recomputing each event's HMAC with the "
            "key from PILLARS_AUDIT_KEY, and stop at the first edited, deleted, inserted or "
            "reordered event. Exit status 0 when the chain holds, 1 when it is broken.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        broken, count = verify_database()
        if broken is None:
            self.stdout.write(self.style.SUCCESS(f"Audit chain intact: {count} events checked."))
            return
        self.stderr.write(f"Audit chain BROKEN after {count} events: {broken}")
        sys.exit(1)
