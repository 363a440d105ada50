"""Writes of the resource directory: importing an HSDS package (dry run, held for
confirmation, or committed all at once), exporting one, flagging a place confidential or
lowering the flag, and saving a resource for a person.

An import is checked whole before anything is written; a package with any problem writes
nothing but its audit event. A good package is written in one transaction with one IMPORT
event that sums it up (the pattern of people.importing, whose ``PendingImport`` also holds a
checked upload until the same administrator confirms it).
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from django.db import transaction

from pillars.audit import log as audit
from pillars.audit.choices import Action, Category, Outcome, Purpose
from pillars.core import clock, exports, policy
from pillars.core.errors import invalid
from pillars.core.writes import replayed
from pillars.people import pending_imports
from pillars.people import services as people_services
from pillars.people.models import PendingImport, PersonServed
from pillars.recovery.hsds import importer
from pillars.recovery.hsds import package as hsds
from pillars.recovery.models import Address, HsdsService, Location, SavedResource
from pillars.recovery.services.replays import written_once

PENDING_KIND = "hsds"
PENDING_MINUTES = 30
MAX_NOTE = 1000


@dataclass
class ImportReport:
    """What an import found and did."""

    source: str = ""
    sha256: str = ""
    form: str = "csv"
    rows: int = 0
    problems: list[hsds.Problem] = field(default_factory=list)
    counts: dict[str, Counter[str]] = field(default_factory=dict)
    committed: bool = False
    pending: PendingImport | None = None
    # Rows that say a place or service Pillars holds as confidential is not: they stay so.
    kept: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def total(self, what: str) -> int:
        return sum(c[what] for c in self.counts.values())

    def problems_by_file(self) -> dict[str, list[hsds.Problem]]:
        grouped: dict[str, list[hsds.Problem]] = {}
        for problem in self.problems:
            grouped.setdefault(problem.file, []).append(problem)
        return grouped

    def summary(self) -> str:
        if self.committed:
            return (
                f"Imported {self.rows} rows: {self.total('created')} new, "
                f"{self.total('updated')} changed, {self.total('unchanged')} unchanged."
                + self._kept()
            )
        if self.problems:
            return (
                f"The package has {len(self.problems)} problem"
                f"{'' if len(self.problems) == 1 else 's'}; nothing was imported."
            )
        return (
            f"{self.rows} rows are valid and ready to import. Nothing is imported yet."
            + self._kept()
        )

    def _kept(self) -> str:
        if not self.kept:
            return ""
        n = len(self.kept)
        return (
            f" The package says {n} row{' is' if n == 1 else 's are'} not confidential that "
            "Pillars holds as confidential; an import never lowers confidentiality (an "
            "administrator changes it in Pillars): " + "; ".join(self.kept) + "."
        )


def files_of_upload(data: bytes, name: str = "") -> dict[str, bytes]:
    """The files of an uploaded package: a zip archive, or one HSDS JSON document."""
    if data[:4] == b"PK\x03\x04":
        return hsds.files_from_zip(data)
    if name.lower().endswith(".json") or data.lstrip()[:1] in (b"{", b"["):
        if len(data) > hsds.MAX_BYTES:
            raise hsds.PackageRefused("The document is too large to import at once.")
        return {"services.json": data}
    raise hsds.PackageRefused(
        "Upload the package as a zip archive of its CSV files, or as an HSDS JSON document."
    )


def zip_files(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in sorted(files.items()):
            archive.writestr(name, data)
    return out.getvalue()


def import_package(
    files: dict[str, bytes],
    *,
    actor: Any,
    commit: bool = False,
    source: str = "",
    hold: bool = False,
) -> ImportReport:
    """Validate an HSDS package and, with ``commit`` and no problem at all, write every row of
    it in one transaction (new ids created, known ids updated). A dry run writes only its audit
    event; with ``hold``, a valid package waits for ``commit_pending_import`` (the upload page's
    preview). Raises PermissionDenied unless the actor manages the directory, and for a write
    (or a hold) unless the actor may change what every organization shares: the directory is
    one for the whole installation (people.tenancy.REFERENCE)."""
    policy.require(actor, "recovery.manage_directory")
    if commit or hold:
        people_services.refuse_shared_change(actor, HsdsService)
    digest = hashlib.sha256()
    for name, data in sorted(files.items()):
        digest.update(name.encode() + b"\0" + data)
    package = hsds.read(files)
    report = ImportReport(
        source=source[:200],
        sha256=digest.hexdigest(),
        form=package.form,
        rows=package.rows,
        problems=list(package.problems),
    )
    with transaction.atomic():
        confidential = importer.confidentiality(package) if report.ok else None
        if confidential is not None:
            report.kept = [k.line for k in confidential.kept]
        if commit and confidential is not None:
            report.counts = importer.write(package, confidential)
            report.committed = True
        elif hold and report.ok:
            report.pending = _hold(actor, report, files)
        _audit(actor, report, dry_run=not commit)
    return report


def _hold(actor: Any, report: ImportReport, files: dict[str, bytes]) -> PendingImport:
    return pending_imports.hold(
        policy.actor_for(actor).user,
        minutes=PENDING_MINUTES,
        replacing={"kind": PENDING_KIND},
        kind=PENDING_KIND,
        source=report.source,
        sha256=report.sha256,
        data=zip_files(files),
        rows=report.rows,
    )


def commit_pending_import(public_id: Any, *, actor: Any) -> ImportReport | None:
    """Import a package held by a dry run: exactly the checked files, once, by the
    administrator who checked them, before it expires; None when there is no such package."""
    policy.require(actor, "recovery.manage_directory")
    with transaction.atomic():
        pending = pending_imports.claim(public_id, policy.actor_for(actor).user, kind=PENDING_KIND)
        if pending is None:
            return None
        return import_package(
            hsds.files_from_zip(bytes(pending.data)),
            actor=actor,
            commit=True,
            source=pending.source,
        )


def _audit(actor: Any, report: ImportReport, *, dry_run: bool) -> None:
    audit.record(
        actor=policy.actor_for(actor).user,
        action=Action.IMPORT,
        object_type="recovery.directory",
        object_id=report.sha256[:64],
        outcome=Outcome.SUCCESS if report.ok else Outcome.FAILED,
        category=Category.NONE,
        purpose=Purpose.ADMINISTRATION,
        detail={
            "source": report.source,
            "form": report.form,
            "dry_run": dry_run,
            "rows": report.rows,
            "problems": len(report.problems),
            "created": report.total("created"),
            "updated": report.total("updated"),
            "unchanged": report.total("unchanged"),
            "withheld": report.total("withheld"),
            "kept_confidential": len(report.kept),
            **({"pending": str(report.pending.public_id)} if report.pending else {}),
        },
    )


def export_package(*, actor: Any) -> dict[str, bytes]:
    """The whole directory as an HSDS 3.0 tabular package (file name to bytes), through the one
    export door (it holds no person's information, so no Part 2 notice is due)."""
    policy.require(actor, "recovery.manage_directory")
    files = importer.export_files()
    exports.release(
        actor,
        what="recovery.directory",
        fmt="hsds-csv",
        purpose=Purpose.ADMINISTRATION,
        detail={"files": sorted(files), "services": HsdsService.objects.count()},
    )
    return files


def set_confidential(
    record: Location | HsdsService, *, actor: Any, confidential: bool, reason: str
) -> Location | HsdsService:
    """Flag a directory location or service as confidential, or lower the flag: the one way
    a confidential place stops being one (an import never lowers it, hsds.importer). Raises
    PermissionDenied unless the actor manages the directory and may change what every
    organization shares; the reason is required and audited with the old and new flag.

    Flagging withholds at once what an import would not have stored: the location's
    coordinates, directions, extension columns and addresses (for a service, those of every
    place it is delivered at, which are flagged too). Lowering the flag stores nothing new: the
    place's address comes with the next package that gives it."""
    acting = policy.require(actor, "recovery.manage_directory")
    people_services.refuse_shared_change(actor, type(record))
    reason = reason.strip()
    if not reason:
        raise invalid("reason", "Say why this place's confidentiality changes.")
    if len(reason) > MAX_NOTE:
        raise invalid("reason", f"Keep the reason under {MAX_NOTE} characters.")
    with transaction.atomic():
        record = type(record).objects.select_for_update().get(pk=record.pk)
        before = record.x_confidential
        record.x_confidential = confidential
        record.save(update_fields=["x_confidential"])
        places: list[Location] = []
        if confidential:
            if isinstance(record, Location):
                places = [record]
            else:
                places = list(
                    Location.objects.select_for_update().filter(
                        service_at_locations__service=record
                    )
                )
        withheld = sum(_withhold(place) for place in places)
        audit.record(
            acting.user,
            Action.UPDATE,
            record,
            category=Category.NONE,
            purpose=Purpose.ADMINISTRATION,
            detail={
                **audit.changes({"x_confidential": before}, {"x_confidential": confidential}),
                "reason": reason,
                "places_withheld": [str(p.public_id) for p in places],
                "addresses_withheld": withheld,
            },
        )
    return record


def _withhold(place: Location) -> int:
    """Flag a place confidential and drop what Pillars must not hold of it (importer.WITHHELD,
    its extension columns and its addresses); the number of addresses dropped."""
    place.x_confidential = True
    place.latitude = place.longitude = None
    place.transportation = ""
    place.extra = {}
    place.save(update_fields=["x_confidential", "latitude", "longitude", "transportation", "extra"])
    deleted, _ = Address.objects.filter(location=place).delete()
    return deleted


def save_resource(
    person: PersonServed,
    service: HsdsService,
    *,
    actor: Any,
    note: str = "",
    client_id: UUID | None = None,
) -> SavedResource:
    """Save a directory service for a person served, with an optional note. A replayed
    ``client_id`` returns the first save (DESIGN.md rule 7)."""
    acting = policy.require(actor, "recovery.save_resource", person)
    note = note.strip()

    def replay() -> SavedResource | None:
        return replayed(
            SavedResource,
            client_id,
            {
                "person_id": person.pk,
                "service_id": service.pk,
                "saved_by_id": acting.staff_pk,
                "note": note,
            },
            "This client id was used for another saved resource.",
        )

    if existing := replay():
        return existing
    if len(note) > MAX_NOTE:
        raise invalid("note", f"Keep the note under {MAX_NOTE} characters.")

    def write() -> SavedResource:
        saved = SavedResource.objects.create(
            person=person,
            service=service,
            saved_by_id=acting.staff_pk,
            saved_at=clock.now(),
            note=note,
            client_id=client_id,
        )
        audit.record(
            acting.user,
            Action.CREATE,
            saved,
            person_id=person.public_id,
            category=Category.SUBSTANCE_USE if saved.is_part2 else Category.GENERAL,
            purpose=Purpose.TREATMENT,
            detail={"service": str(service.public_id)},
        )
        return saved

    return written_once(write, replay)
