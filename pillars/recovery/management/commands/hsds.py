"""``pillars hsds import DIR --as USERNAME [--commit]`` and ``pillars hsds export DIR --as
USERNAME``: the resource directory's HSDS 3.0 packages from the command line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError

from pillars.core.commands import acting_user, add_acting_user, add_commit
from pillars.recovery.hsds.package import PackageRefused, files_from_dir
from pillars.recovery.services import directory as services


class Command(BaseCommand):
    help = (
        "Import or export the resource directory as an Open Referral HSDS 3.0 package. import "
        "reads a folder of CSV files (or HSDS JSON, or a .zip), checks it against the standard's "
        "schemas and every foreign key, and prints each problem as 'file row N, field F: "
        "reason'. Without --commit nothing is written; with --commit all of it is imported in "
        "one transaction, or nothing when any row is bad. export writes the whole directory "
        "into a folder. Exit status 1 when the package has problems."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("action", choices=["import", "export"])
        parser.add_argument("path", help="the package's folder (or a .zip / .json to import)")
        add_acting_user(parser)
        add_commit(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        user = acting_user(options)
        path = Path(options["path"])
        try:
            if options["action"] == "export":
                self._export(user, path)
            else:
                self._import(user, path, commit=options["commit"])
        except PermissionDenied:
            raise CommandError(
                f"{user.get_username()} may not manage the directory (administrators only; "
                "where the installation serves several organizations, its operator imports)."
            ) from None
        except PackageRefused as exc:
            raise CommandError(exc.message) from None

    def _import(self, user: Any, path: Path, *, commit: bool) -> None:
        if path.is_dir():
            files = files_from_dir(path)
        elif path.is_file():
            files = services.files_of_upload(path.read_bytes(), path.name)
        else:
            raise CommandError(f"No such folder or file: {path}")
        report = services.import_package(files, actor=user, commit=commit, source=path.name)
        for problem in report.problems:
            self.stderr.write(str(problem))
        if not report.ok:
            raise CommandError(report.summary())
        self.stdout.write(report.summary())
        if report.committed:
            for table, counts in report.counts.items():
                if counts:
                    self.stdout.write(
                        f"  {table}: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
                    )

    def _export(self, user: Any, path: Path) -> None:
        files = services.export_package(actor=user)
        path.mkdir(parents=True, exist_ok=True)
        for name, data in files.items():
            (path / name).write_bytes(data)
        self.stdout.write(f"Wrote {len(files)} files to {path}.")
