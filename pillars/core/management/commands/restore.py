"""``pillars restore DIR``: put the newest backup in DIR (or a given manifest) back in place."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from pillars.audit.verify import verify_database
from pillars.core import backups


class Command(BaseCommand):
    help = (
        "Replace the SQLite database and uploaded files with a backup made by 'pillars backup': "
        "the newest in DIR, or the manifest named. The backup's checksum and integrity are "
        "checked first and the audit chain after. Stop the web server and workers first."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("location", type=Path, help="backup folder or pillars-<stamp>.json")
        parser.add_argument(
            "--yes",
            action="store_true",
            help="confirm that the current database is to be replaced",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            manifest = backups.newest(options["location"])
            current = backups.sqlite_path()
        except backups.BackupError as exc:
            raise CommandError(str(exc)) from None
        if not options["yes"]:
            raise CommandError(
                f"This replaces {current} and the uploaded files with {manifest.name}. "
                "Stop the web server and workers, then run again with --yes. Nothing was changed."
            )
        try:
            restored = backups.restore(manifest)
        except backups.BackupError as exc:
            raise CommandError(str(exc)) from None
        broken, count = verify_database()
        if broken is not None:
            raise CommandError(
                f"Restored {restored.database.name}, but its audit chain is BROKEN after "
                f"{count} events: {broken}"
            )
        if count != restored.audit_events:
            raise CommandError(
                f"Restored {restored.database.name}, but it holds {count} audit events where "
                f"the backup recorded {restored.audit_events}."
            )
        self.stdout.write(
            f"Restored {restored.database.name} into {current}; audit chain intact "
            f"({count} events checked)."
        )
