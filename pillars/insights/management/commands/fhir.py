"""``pillars fhir export --out DIR --as USERNAME [--since ...] [--type ...] [--group ID]``: the
FHIR bulk export from the command line, into a folder, as the named director or privacy
officer (the policy layer decides what they may take, exactly as for ``GET /fhir/$export``;
Part 2 records leave only under a consent naming them). Audited as an export."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from uuid import UUID

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.http import Http404
from django.utils.dateparse import parse_datetime

from pillars.audit import log as audit
from pillars.audit.choices import Action, Category, Purpose
from pillars.core import policy
from pillars.core.commands import acting_user, add_acting_user
from pillars.insights.fhir import mappers, reading, services
from pillars.insights.fhir.export import persons_for, write_export


class Command(BaseCommand):
    help = "FHIR R4 bulk export. 'export' writes one NDJSON file per resource type into a folder."

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        run = sub.add_parser(
            "export",
            help="write the export into --out",
            description="Write Patient, Encounter, Observation ... NDJSON files (FHIR R4, "
            "validated with fhir.resources' R4B models) and OperationOutcome.ndjson into "
            "--out, as the staff member --as (a director or the privacy officer).",
        )
        run.add_argument("--out", required=True, help="folder to write into (made if missing)")
        add_acting_user(run, "the director or privacy officer the export acts as")
        run.add_argument("--since", default="", help="only records changed since (ISO, zoned)")
        run.add_argument("--type", default="", help="resource types, comma-separated")
        run.add_argument("--group", default="", help="a unit's or program's public id")

    def handle(self, *args: Any, **options: Any) -> None:
        user = acting_user(options)
        since = None
        if options["since"]:
            since = parse_datetime(options["since"])
            if since is None or since.tzinfo is None:
                raise CommandError("--since needs a zoned moment, such as 2026-01-31T08:00:00Z.")
        types = [t.strip() for t in options["type"].split(",") if t.strip()]
        unknown = sorted(set(types) - set(mappers.SOURCES))
        if unknown:
            raise CommandError(f"Unknown resource types: {', '.join(unknown)}.")
        try:
            actor = policy.require(user, "insights.bulk_export")
            group = (
                services.find_group(user, "", UUID(options["group"])) if options["group"] else None
            )
        except (PermissionDenied, Http404, ValueError) as error:
            raise CommandError(f"Not allowed: {error or 'not found'}") from None
        alias = reading.read_alias(user)
        persons, left_out = persons_for(actor, group=group, alias=alias)
        written = write_export(
            actor,
            Path(options["out"]),
            persons=persons,
            types=types,
            since=since,
            supporting_all=group is None,
            alias=alias,
            withheld_members=left_out,
        )
        with transaction.atomic():
            audit.record(
                actor=actor.user,
                action=Action.EXPORT,
                object_type="fhir.bulk",
                object_id="ndjson",
                category=Category.SUBSTANCE_USE if written.consent_ids else Category.GENERAL,
                purpose=Purpose.OPERATIONS,
                detail={
                    "event": "FHIR bulk export written from the command line",
                    "out": str(options["out"])[:300],
                    "counts": written.counts(),
                    "consent_ids": written.consent_ids,
                    "group": options["group"],
                    "since": options["since"],
                },
            )
        for entry in [*written.output, *written.errors]:
            self.stdout.write(f"{entry['count']:8d}  {Path(options['out']) / entry['name']}")
