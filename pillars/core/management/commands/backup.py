"""``pillars backup DIR``: a consistent copy of the SQLite database, taken while serving."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from pillars.core import backups


class Command(BaseCommand):
    help = (
        "Copy the SQLite database (with SQLite's online backup API, safe while Pillars serves) "
        "and the uploaded files into DIR, with a manifest holding the copy's checksum. "
        "PostgreSQL installations use base backups plus WAL archiving instead (README)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("directory", type=Path, help="folder to write the backup into")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            taken = backups.backup(options["directory"])
        except backups.BackupError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            f"Backup written: {taken.database} ({taken.audit_events} audit events, "
            f"sha256 {taken.sha256[:16]}...), uploaded files in {taken.media.name}/, "
            f"manifest {taken.manifest.name}."
        )
