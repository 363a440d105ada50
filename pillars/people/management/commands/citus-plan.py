"""``pillars citus-plan``: the SQL that distributes this database by organization on Citus."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from pillars.people.distribution import plan


class Command(BaseCommand):
    help = (
        "Print the statements that key every tenant table by its organization and distribute "
        "the database on Citus (docs/SCALE.md). Prints only; run them with the distribution."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("Citus distributes PostgreSQL databases; this one is not.")
        made = plan(connection)
        self.stdout.write("-- Keys: each tenant table's organization in every key and link.")
        self.stdout.write("BEGIN;")
        for statement in made.keys:
            self.stdout.write(f"{statement};")
        self.stdout.write("COMMIT;")
        self.stdout.write("-- Distribution (Citus).")
        for statement in made.citus:
            self.stdout.write(f"{statement};")
        self.stdout.write(f"-- Kept on the coordinator as they are: {', '.join(made.local)}.")
