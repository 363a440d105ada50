"""``pillars audit verify``: check the whole audit chain; ``pillars audit checkpoint``: vouch
for its head outside the database."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand

from pillars.audit import checkpoint
from pillars.audit.verify import verify_all
from pillars.core import clock


class Command(BaseCommand):
    help = (
        "Audit log tools. 'verify' checks the hash chain and the newest checkpoint; "
        "'checkpoint' appends a signed checkpoint of the chain head."
    )

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        sub.add_parser(
            "verify",
            help="check every event's HMAC and link; exit 1 at the first broken link",
            description="Walk the audit log in order, recomputing each event's HMAC with the "
            "key from PILLARS_AUDIT_KEY, and stop at the first edited, deleted, inserted or "
            "reordered event, then check that the newest checkpoint's event is still there. "
            "Exit status 0 when the chain holds, 1 when it is broken.",
        )
        sub.add_parser(
            "checkpoint",
            help="append a signed checkpoint of the chain head to the checkpoint file",
            description="Append the chain head (sequence, HMAC, time), signed with the audit "
            "key, to PILLARS_AUDIT_CHECKPOINT_DIR/checkpoints.jsonl (the worker does this "
            "every minute).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] == "checkpoint":
            point = checkpoint.write(clock.now())
            if point is None:
                self.stderr.write("Checkpoints are off: set PILLARS_AUDIT_CHECKPOINT_DIR.")
                sys.exit(1)
            self.stdout.write(f"Checkpoint written: event #{point.seq} at {point.at}.")
            return
        verdict = verify_all()
        if not verdict.is_intact:
            self.stderr.write(verdict.finding)
            sys.exit(1)
        self.stdout.write(self.style.SUCCESS(verdict.finding))
