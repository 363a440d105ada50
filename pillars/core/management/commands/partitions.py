"""``pillars partitions list|detach MONTH``: the monthly partitions of the tables partitioned on
PostgreSQL (checks, ...), and detaching an old month for archive."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from pillars.audit import log as audit
from pillars.audit.choices import Action, Purpose
from pillars.core import clock, partitions


class Command(BaseCommand):
    help = (
        "List the monthly partitions of the partitioned tables (PostgreSQL), or detach one old "
        "month for archive: its rows stay in a plain table of the same name."
    )

    def add_arguments(self, parser: Any) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        actions.add_parser("list", help="each table's partitions, rows (estimated) and size")
        detach = actions.add_parser("detach", help="detach one month (YYYY-MM) for archive")
        detach.add_argument("month", help="the month, as YYYY-MM, before the current month")
        detach.add_argument(
            "--table",
            help="only this table (default: every partitioned one but the audit log, which is "
            "detached only when named, oldest month first)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("Tables are partitioned on PostgreSQL only; this one is not.")
        tables = partitions.partitioned_tables()
        if options["action"] == "list":
            self._list(tables)
        else:
            self._detach(tables, options["month"], options["table"])

    def _list(self, tables: dict[str, str]) -> None:
        if not tables:
            self.stdout.write("No partitioned tables.")
        for table, column in tables.items():
            self.stdout.write(f"{table} (by month of {column}, UTC):")
            for part in partitions.partitions_of(table):
                label = f"{part.month:%Y-%m}" if part.month else "default"
                rows = f"~{part.rows:,}" if part.rows is not None else "not analyzed"
                self.stdout.write(
                    f"  {label:8} {part.name:32} {rows:>14} rows "
                    f"{part.size_bytes / 1_048_576:>10.1f} MB"
                )

    def _detach(self, tables: dict[str, str], month_text: str, only: str | None) -> None:
        try:
            month = partitions.parse_month(month_text)
        except ValueError:
            raise CommandError(f"{month_text!r} is not a month (YYYY-MM).") from None
        if month >= partitions.month_of(clock.now()):
            raise CommandError("Detach only a month before the current one (checks still arrive).")
        if only is not None and only not in tables:
            raise CommandError(f"{only} is not a partitioned table ({', '.join(tables)}).")
        chosen = (
            [only] if only else [t for t in tables if t not in partitions.DETACH_ONLY_WHEN_NAMED]
        )
        named = [t for t in chosen if partitions.partition_name(t, month) in _attached(t)]
        if not named:
            raise CommandError(f"No partition of {month:%Y-%m} is attached.")
        for table in named:
            try:
                with transaction.atomic():
                    done = partitions.detach_month(table, month)
                    _audit(done, month)
            except partitions.DetachRefused as refused:
                raise CommandError(f"{table}: {refused}") from None
            self.stdout.write(_described(done))


def _attached(table: str) -> set[str]:
    return {p.name for p in partitions.partitions_of(table)}


def _described(done: partitions.Detached) -> str:
    lines = [
        f"Detached {done.name} from {done.table}: its {done.rows:,} rows stay in the plain "
        f"table {done.name}, which Pillars no longer reads. Archive it (for example "
        f"pg_dump --table={done.name}), then drop it when the retention period allows.",
        f"Their keys stay in {done.table}_key: their ids and client ids are never reused.",
    ]
    lines += [
        f"{count:,} rows of {referrer} still refer to rows of this month; they stay valid."
        for referrer, count in done.referring.items()
    ]
    return "\n".join(lines)


def _audit(done: partitions.Detached, month: Any) -> None:
    audit.record(
        actor=None,
        actor_label="pillars partitions",
        action=Action.UPDATE,
        object_type="partition",
        object_id=done.name,
        purpose=Purpose.OPERATIONS,
        detail={
            "event": "month detached for archive",
            "table": done.table,
            "month": f"{month:%Y-%m}",
            "rows": done.rows,
        },
    )
