"""Run one export: choose its persons served, map every source, validate every resource with
``fhir.resources`` (R4B), write one NDJSON file per type and an OperationOutcome error file.

``write_export`` is the engine both the worker task and ``pillars fhir export`` call; it knows
nothing of jobs or HTTP. A resource that does not validate is not written: it is named in the
error file (by id) and the export goes on."""

from __future__ import annotations

import importlib
import logging
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from django.db.models import QuerySet
from pydantic import ValidationError

from pillars.core import policy, suppression
from pillars.core.files import open_private, private_dir, write_private
from pillars.core.policy import Actor
from pillars.insights.fhir import mappers
from pillars.insights.fhir.context import Context, clean
from pillars.people.models import PersonServed, Placement, Program, Unit

logger = logging.getLogger(__name__)

NDJSON = "application/fhir+ndjson"
OUTPUT_FORMATS = ("application/fhir+ndjson", "application/ndjson", "ndjson")
ERRORS = "OperationOutcome"
PATIENT_TYPES = tuple(t for t in mappers.SOURCES if t not in mappers.SUPPORTING)


@cache
def resource_class(kind: str) -> Any:
    """The R4B model class of a resource type (``fhir.resources`` has no plain R4 since 7.0;
    R4B matches R4 for every type exported here)."""
    module = importlib.import_module(f"fhir.resources.R4B.{kind.lower()}")
    return getattr(module, kind)


def to_json(resource: dict[str, Any]) -> str:
    """One resource validated and serialized by its R4B model (raises ValidationError)."""
    model = resource_class(resource["resourceType"]).model_validate(clean(resource))
    return str(model.model_dump_json(exclude_none=True))


@dataclass
class Written:
    """What an export wrote: per file, its type, name and count, and whether it holds Part 2
    records; the error file's issues; the consents Part 2 records left under."""

    output: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    consent_ids: list[str] = field(default_factory=list)
    withheld: dict[str, int] = field(default_factory=dict)
    cancelled: bool = False

    def counts(self) -> dict[str, int]:
        return {f["type"]: f["count"] for f in self.output}


def persons_for(
    actor: Actor, *, group: Unit | Program | None = None, alias: str = "default"
) -> tuple[QuerySet[PersonServed], int]:
    """The persons served an export holds: everyone the requester may see, or of them those
    who stayed on the group's unit (or one of the program's units) at any time.

    A stay on a substance-use program's unit is Part 2 information. Someone whose stays were
    all on such units (so that being in the export at all says they were in the program), or
    who is in a group only through such a stay, is held only under a consent from the person
    that names the requester and covers one of those programs. Answers the queryset and how
    many persons were left out for that reason."""
    persons = policy.restrict(PersonServed.objects.all(), actor, mappers.ACTION).using(alias)
    placements = Placement.objects.using(alias)
    opened = _opened_persons(actor)
    if group is None:
        part2_only = (
            placements.filter(unit__is_substance_use_program=True)
            .exclude(
                episode__person_id__in=placements.filter(
                    unit__is_substance_use_program=False
                ).values("episode__person_id")
            )
            .values_list("episode__person_id", flat=True)
        )
        closed = set(persons.filter(pk__in=part2_only).values_list("pk", flat=True)) - opened
        return persons.exclude(pk__in=sorted(closed)), len(closed)
    units = [group] if isinstance(group, Unit) else list(group.units.using(alias).all())
    plain = [u.pk for u in units if not u.is_substance_use_program]
    part2_units = [u.pk for u in units if u.is_substance_use_program]
    stayed = placements.filter(unit_id__in=plain).values("episode__person_id")
    in_part2 = set(
        persons.filter(
            pk__in=placements.filter(unit_id__in=part2_units).values("episode__person_id")
        ).values_list("pk", flat=True)
    )
    members = persons.filter(pk__in=stayed) | persons.filter(pk__in=sorted(in_part2 & opened))
    left_out = len(in_part2 - opened - set(members.values_list("pk", flat=True)))
    return members.distinct(), left_out


def _opened_persons(actor: Actor) -> set[int]:
    """The persons served whose substance-use program stays a consent opens to the actor."""
    from pillars.people.consents import grants_for

    return {grant.person_id for grant in grants_for(actor) if grant.unit_ids}


def write_export(
    actor: Actor,
    out_dir: Path,
    *,
    persons: QuerySet[PersonServed],
    types: Iterable[str] = (),
    since: datetime | None = None,
    supporting_all: bool = True,
    alias: str = "default",
    progress: Callable[[str], None] = lambda _: None,
    cancelled: Callable[[], bool] = lambda: False,
    withheld_members: int = 0,
) -> Written:
    """Write the export's files into ``out_dir`` (made if missing). ``types`` limits the
    resource types (``_type``; empty: all); ``supporting_all`` False keeps the supporting
    types to what the records referenced (patient and group levels)."""
    wanted = [t for t in mappers.SOURCES if not types or t in set(types)]
    private_dir(out_dir)
    ctx = Context(
        actor=actor,
        alias=alias,
        persons=persons,
        since=since,
        supporting_all=supporting_all,
    )
    if withheld_members:
        ctx.withheld["Patient"] += withheld_members
    written = Written()
    invalid: list[tuple[str, str, str]] = []
    for n, kind in enumerate(wanted, start=1):
        if cancelled():
            written.cancelled = True
            return written
        progress(f"Writing {kind} ({n} of {len(wanted)} resource types)")
        count = _write_type(ctx, kind, out_dir, invalid)
        if count:
            written.output.append(
                {
                    "type": kind,
                    "name": f"{kind}.ndjson",
                    "count": count,
                    "part2": kind in ctx.part2_types,
                    "records": sorted(set(ctx.part2_records.get(kind, []))),
                }
            )
    outcomes = _outcomes(ctx, invalid)
    if outcomes:
        path = out_dir / f"{ERRORS}.ndjson"
        write_private(path, "".join(to_json(o) + "\n" for o in outcomes))
        written.errors.append(
            {"type": ERRORS, "name": path.name, "count": len(outcomes), "part2": False}
        )
    written.consent_ids = sorted(ctx.consent_ids)
    written.withheld = dict(ctx.withheld)
    return written


def _write_type(ctx: Context, kind: str, out_dir: Path, invalid: list[tuple[str, str, str]]) -> int:
    path = out_dir / f"{kind}.ndjson"
    partial = path.with_suffix(".part")
    count = 0
    with open_private(partial, encoding="utf-8") as handle:
        for source in mappers.SOURCES[kind]:
            for resource in source(ctx):
                try:
                    line = to_json(resource)
                except ValidationError as error:
                    logger.warning(
                        "FHIR %s %s does not validate: %s", kind, resource.get("id"), error
                    )
                    invalid.append((kind, str(resource.get("id", "")), _first_error(error)))
                    continue
                handle.write(line)
                handle.write("\n")
                count += 1
    if count:
        os.replace(partial, path)
    else:
        partial.unlink()
    return count


def _first_error(error: ValidationError) -> str:
    details = error.errors()
    if not details:
        return "invalid"
    where = ".".join(str(p) for p in details[0]["loc"])
    return f"{where}: {details[0]['msg']}"[:300]


def _outcomes(ctx: Context, invalid: list[tuple[str, str, str]]) -> list[dict[str, Any]]:
    """The error file: one OperationOutcome per resource type with something to say. Counts of
    withheld Part 2 records are small-cell suppressed as in every export (under 11 is shown
    as "fewer than 11")."""
    hidden = suppression.suppressed(dict(ctx.withheld), "export", total_shown=False)
    minimum = suppression.threshold("export")
    outcomes = []
    for kind in mappers.SOURCES:
        issues = []
        if ctx.withheld.get(kind):
            many = f"fewer than {minimum}" if kind in hidden else f"{ctx.withheld[kind]}"
            issues.append(
                {
                    "severity": "information",
                    "code": "suppressed",
                    "details": {"text": "Withheld under 42 CFR Part 2"},
                    "diagnostics": (
                        f"{kind}: {many} records carrying the 42 CFR Part 2 label were not "
                        "exported. Substance-use records leave only under a consent from the "
                        "person that names the requester."
                    ),
                }
            )
        issues.extend(
            {
                "severity": "information",
                "code": "forbidden",
                "diagnostics": message,
            }
            for note_kind, message in ctx.notes
            if note_kind == kind
        )
        issues.extend(
            {
                "severity": "error",
                "code": "invalid",
                "diagnostics": f"{kind}/{rid} was not exported: it did not validate ({why}).",
            }
            for bad_kind, rid, why in invalid
            if bad_kind == kind
        )
        if issues:
            outcomes.append(
                {
                    "resourceType": "OperationOutcome",
                    "id": mappers.part_id(kind, "outcome"),
                    "issue": issues,
                }
            )
    return outcomes
