"""``pillars import staff|persons FILE --as USERNAME [--commit]``: the CSV import."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError

from pillars.core.commands import acting_user, add_acting_user, add_commit
from pillars.people.importing import KINDS, MAX_BYTES, FileRefused, run


def _columns_help() -> str:
    parts = []
    for name, kind in KINDS.items():
        parts.append(f"{name}: {kind.label}, columns (header row, any order):\n{kind.describe()}")
    return "\n\n".join(parts)


class Command(BaseCommand):
    help = (
        "Import staff or persons served from a UTF-8 CSV file (at most 5 MB). Checks every row "
        "and prints 'line N: reason' for each bad one (the header is line 1). Without --commit "
        "nothing is written; with --commit the whole file is imported in one transaction, or "
        "nothing at all when any row is bad."
    )

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> Any:
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.formatter_class = argparse.RawDescriptionHelpFormatter
        parser.epilog = (
            _columns_help() + "\n\nLists inside a value are separated by ';'.\n"
            "Exit status: 0 when the file is good (and imported with --commit), 1 when any row "
            "is bad or the file cannot be read."
        )
        return parser

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("kind", choices=sorted(KINDS), help="what the file holds")
        parser.add_argument("file", help="path to the CSV file")
        add_acting_user(
            parser, "the administrator the import acts as (policy and audit apply to them)"
        )
        add_commit(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        user = acting_user(options)
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        if path.stat().st_size > MAX_BYTES:
            raise CommandError(
                f"{path} is {path.stat().st_size / 1024 / 1024:.1f} MB; the limit is 5 MB."
            )
        try:
            report = run(
                options["kind"],
                path.read_bytes(),
                actor=user,
                commit=options["commit"],
                source=path.name,
            )
        except FileRefused as exc:
            raise CommandError(exc.message) from None
        except PermissionDenied:
            raise CommandError(
                f"{user.get_username()} may not import (administrators only)."
            ) from None
        for problem in report.problems:
            self.stdout.write(str(problem))
        if report.ok:
            self.stdout.write(self.style.SUCCESS(report.summary()))
            if not options["commit"]:
                self.stdout.write("Run again with --commit to import.")
        else:
            self.stderr.write(report.summary())
            raise CommandError("The file has problems; nothing was imported.", returncode=1)
