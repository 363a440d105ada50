"""What one export run knows while it maps records: who asked (the policy actor), which
database it reads, which persons served are in it, and what it has referenced and withheld.

Every read of the export goes through ``Context.read`` (the alias chosen once, by
``reading.read_alias``) and every Part 2 decision through ``Context.part2_open``."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from django.db import models
from django.db.models import Q

from pillars.core.policy import Actor
from pillars.people.consents import grants_for
from pillars.people.models import PersonServed

# Local code systems and identifier systems: the project's own codes, named by URN so nothing
# pretends to be a published terminology.
CODES = "urn:pillars:codesystem:"
IDS = "urn:pillars:identifier:"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
PART2_LABEL = {"system": ACT_CODE, "code": "42CFRPart2", "display": "42 CFR Part2"}


@dataclass
class Context:
    """One run's state. ``persons`` is the queryset of persons served in the export (already
    restricted to what the requester may see); ``supporting_all`` says whether the supporting
    resources (staff, places, organizations, the directory) are exported whole (system level)
    or only as far as the exported records reference them (patient and group levels)."""

    actor: Actor
    alias: str
    persons: models.QuerySet[PersonServed]
    since: datetime | None = None
    supporting_all: bool = True
    refs: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    withheld: Counter[str] = field(default_factory=Counter)
    notes: list[tuple[str, str]] = field(default_factory=list)  # (resource type, message)
    consent_ids: set[str] = field(default_factory=set)
    part2_types: set[str] = field(default_factory=set)
    # The Part 2 records each type let out, as (model label, key): a download releases them
    # again through core.exports, so a consent revoked since the export closes the file.
    part2_records: dict[str, list[tuple[str, int]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    _open: dict[tuple[type, int], bool] = field(default_factory=dict)
    _patients: set[str] | None = None
    _grants: dict[int, Any] | None = None

    # --- reading ---------------------------------------------------------------------------

    def read[M: models.Model](self, qs: models.QuerySet[M]) -> models.QuerySet[M]:
        return qs.using(self.alias)

    def of_persons[M: models.Model](
        self, qs: models.QuerySet[M], path: str = "person"
    ) -> models.QuerySet[M]:
        """The rows of ``qs`` that belong to the export's persons served."""
        return self.read(qs.filter(**{f"{path}__in": self.persons.values("pk")}))

    def changed[M: models.Model](self, qs: models.QuerySet[M], *fields: str) -> models.QuerySet[M]:
        """``_since``: the rows written or changed at or after it (by any of ``fields``)."""
        if self.since is None or not fields:
            return qs
        cond = Q()
        for name in fields:
            cond |= Q(**{f"{name}__gte": self.since})
        return qs.filter(cond)

    def patient_ids(self) -> set[str]:
        """The public ids of the persons served in the export."""
        if self._patients is None:
            self._patients = {
                str(p) for p in self.persons.using(self.alias).values_list("public_id", flat=True)
            }
        return self._patients

    def rows[M: models.Model](self, qs: models.QuerySet[M]) -> Iterator[M]:
        return qs.iterator(chunk_size=2000)

    # --- Part 2 ----------------------------------------------------------------------------

    def part2_open(self, record: Any, person_id: int | None = None) -> bool:
        """Whether a labelled record may leave in this export: only under a consent in force
        that names the requester and covers the record's program and kind (``people.consents
        .grants_for``, for every role alike). Its program's own team, the privacy officer's
        administrative control or an emergency grant let a record be read inside Pillars, not
        copied out in bulk."""
        if not getattr(record, "is_part2", False):
            return True
        key = (type(record), record.pk)
        if key not in self._open:
            person = person_id if person_id is not None else getattr(record, "person_id", None)
            kind = getattr(type(record), "PART2_KIND", "")
            grant = next(
                (
                    g
                    for g in self.consent_grants().values()
                    if g.person_id == person
                    and record.made_in_unit_id in g.unit_ids
                    and kind in g.kinds
                ),
                None,
            )
            if grant is not None:
                self.consent_ids.add(str(grant.public_id))
            self._open[key] = grant is not None
        return self._open[key]

    def labelled[M: models.Model](
        self, kind: str, rows: Iterable[M], person: Callable[[M], int] | None = None
    ) -> Iterator[tuple[M, bool]]:
        """The rows that may leave, each with whether it carries the Part 2 label; the others
        are counted as withheld under ``kind`` (a resource type). ``person`` finds a row's
        person served (default: its ``person_id``)."""
        for row in rows:
            if not getattr(row, "is_part2", False):
                yield row, False
            elif self.part2_open(row, person(row) if person is not None else None):
                self.part2_types.add(kind)
                self.part2_records[kind].append((row._meta.label_lower, row.pk))
                yield row, True
            else:
                self.withheld[kind] += 1

    def consent_grants(self) -> dict[int, Any]:
        """The consents in force that name the requester, by consent key."""
        if self._grants is None:
            self._grants = {g.consent_id: g for g in grants_for(self.actor)}
        return self._grants

    def unit_open(self, person_id: int, unit: Any) -> bool:
        """Whether a stay on a substance-use program's unit may be named (a consent from the
        person that names the requester and covers that program)."""
        if not unit.is_substance_use_program:
            return True
        return any(
            g.person_id == person_id and unit.pk in g.unit_ids
            for g in self.consent_grants().values()
        )

    # --- references ------------------------------------------------------------------------

    def refer(self, kind: str, public_id: Any, display: str = "") -> dict[str, Any]:
        """A literal reference to a resource the export will hold; supporting resources that
        are referenced are exported at the patient and group levels too."""
        self.refs[kind].add(str(public_id))
        ref: dict[str, Any] = {"reference": f"{kind}/{public_id}"}
        if display:
            ref["display"] = display
        return ref

    def wants(self, kind: str) -> set[str] | None:
        """The ids of a supporting type to export: None for all of them (system level)."""
        return None if self.supporting_all else set(self.refs.get(kind, set()))


def instant(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def day(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def concept(system: str, code: str, display: str = "", text: str = "") -> dict[str, Any]:
    coding: dict[str, Any] = {"system": CODES + system, "code": code}
    if display:
        coding["display"] = display
    return {"coding": [coding], "text": text or display or code}


def clean(value: Any) -> Any:
    """Drop empty values (FHIR allows no empty strings, lists or objects)."""
    if isinstance(value, dict):
        out = {k: clean(v) for k, v in value.items()}
        return {k: v for k, v in out.items() if v not in (None, "", [], {})}
    if isinstance(value, list):
        items = [clean(v) for v in value]
        return [v for v in items if v not in (None, "", [], {})]
    if isinstance(value, str):
        return value.strip()
    return value


def meta(part2: bool) -> dict[str, Any] | None:
    return {"security": [PART2_LABEL]} if part2 else None
