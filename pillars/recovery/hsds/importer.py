"""Writing a validated HSDS package into the directory's tables, and reading them back out.

``write`` is called only by ``services.directory.import_package`` inside its transaction: it
creates the rows whose HSDS id is new, updates those whose values changed and leaves the rest
untouched, table by table in foreign-key order, in bulk. Rows missing from a package stay (an
import adds and updates; it is not a deletion list).

Confidential locations (``x_confidential`` on the location or on a service delivered there)
are stored without coordinates, addresses, directions or other location columns: what Pillars
never holds it can never show, send or export. An import never lowers confidentiality: a
location or service Pillars holds as confidential stays so whatever a package says
(``confidentiality``).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.db.models import Max, Q

from pillars.core.bulk import insert_rows, preparers
from pillars.recovery.hsds import spec
from pillars.recovery.hsds.package import Package, convert, csv_file, parse_bool, render
from pillars.recovery.models import directory as m

BATCH = 500
# The tables other rows point at: only their new rows' keys are read back after inserting.
TARGETS = {target for t in spec.TABLES for _, target in t.fks.values()}
# Location columns withheld for a confidential location (directions reveal the place too).
WITHHELD = ("latitude", "longitude", "transportation")


@dataclass(frozen=True)
class Kept:
    """A row of a package that says a location or service is not confidential while Pillars
    holds it as confidential: it stays confidential (``line`` is what the import report says)."""

    table: str
    file: str
    row: int
    id: str
    name: str

    @property
    def line(self) -> str:
        return f"kept confidential: {self.name} ({self.file} row {self.row})"


@dataclass(frozen=True)
class Confidentiality:
    """What an import treats as confidential: the ids of the locations stored confidential
    (without coordinates, addresses or directions), and the rows the package would have
    lowered, which keep their flag."""

    locations: frozenset[str]
    kept: tuple[Kept, ...]


def confidentiality(package: Package) -> Confidentiality:
    """The locations to treat as confidential: flagged in the package themselves, or the place
    of a service flagged in the package; and, because an import never lowers confidentiality
    (a package that wrongly says a domestic-violence shelter is not confidential must not get
    its address stored), every location or service Pillars already holds as confidential, and
    every place of such a service. Only an administrator lowers it, in Pillars
    (``services.directory.set_confidential``). The rows of the package that say otherwise are
    named in ``kept`` (a location only when nothing in the package flags it anyway)."""
    locations = package.tables.get("location", [])
    services = package.tables.get("service", [])
    sals = package.tables.get("service_at_location", [])
    flagged_services = {_key(r["id"]) for r in services if parse_bool(r.get("x_confidential", ""))}
    # The places this package says something about: its locations and the ones its addresses
    # belong to.
    places = {_key(r["id"]) for r in locations} | {
        _key(r.get("location_id", "")) for r in package.tables.get("address", [])
    }
    # Confidential rows are few (shelters): read them all rather than look up every row of a
    # large package.
    stored_services = {
        str(i)
        for i in m.HsdsService.objects.filter(x_confidential=True).values_list(
            "public_id", flat=True
        )
    }
    stored_places = places & {
        str(i)
        for i in m.Location.objects.filter(x_confidential=True).values_list("public_id", flat=True)
    }
    # Stored links to a service flagged in the package or in Pillars (a partial update may
    # bring places without the links to their services).
    links = m.ServiceAtLocation.objects.filter(
        Q(service__x_confidential=True) | Q(service__public_id__in=flagged_services)
    ).values_list("location__public_id", "service__public_id")
    linked = [(str(place), str(service)) for place, service in links if str(place) in places]
    linked += [(_key(sal.get("location_id", "")), _key(sal.get("service_id", ""))) for sal in sals]
    # What the package itself flags: its own flags, and the places of its flagged services.
    own = {_key(r["id"]) for r in locations if parse_bool(r.get("x_confidential", ""))}
    own |= {place for place, service in linked if service in flagged_services}
    # What Pillars holds: its confidential places, and the places of its confidential services.
    held = stored_places | {place for place, service in linked if service in stored_services}
    files = spec.file_names()
    kept = [
        Kept("service", files["service"], number, key, r.get("name") or key)
        for number, r in enumerate(services, start=2)
        if (key := _key(r["id"])) in stored_services and key not in flagged_services
    ]
    kept += [
        Kept("location", files["location"], number, key, r.get("name") or key)
        for number, r in enumerate(locations, start=2)
        if (key := _key(r["id"])) in stored_places and key not in own
    ]
    return Confidentiality(locations=frozenset(own | held), kept=tuple(kept))


def _key(text: str) -> str:
    """A validated HSDS id as Pillars writes it (HSDS also accepts capitals and no hyphens)."""
    text = text.strip()
    return str(UUID(text)) if text else ""


class RowReader:
    """Turns a package's row of one table into the model's field values: foreign keys as the
    stored keys of their targets, typed columns converted, the other columns kept in
    ``extra``. What each column is is worked out once per table, not once per cell."""

    def __init__(self, table: spec.Table) -> None:
        types = spec.field_types(table.name)
        self.fks = {column: (f"{name}_id", target) for column, (name, target) in table.fks.items()}
        self.typed = {
            column: (name, "uuid" if column in ("parent_id", "link_id") else types.get(column))
            for column, name in table.typed.items()
        }
        self.defaults = {name: convert(kind or "string", "") for name, kind in self.typed.values()}

    def __call__(self, row: dict[str, str], ids: dict[str, dict[str, int]]) -> dict[str, Any]:
        values = dict(self.defaults)
        extra: dict[str, str] = {}
        fks, typed = self.fks, self.typed
        for column, text in row.items():
            if column is None or column == "id":
                continue
            text = text or ""
            if column in typed:
                name, kind = typed[column]
                values[name] = convert(kind or "string", text)
            elif column in fks:
                name, target = fks[column]
                key = text.strip()
                values[name] = ids[target].get(key) if key else None
            elif text.strip():
                extra[column] = text
        values["extra"] = extra
        return values


def _search_text(values: dict[str, Any]) -> str:
    parts = (
        values.get("name"),
        values.get("alternate_name"),
        values.get("description"),
        values.get("eligibility_description"),
    )
    return " ".join(p for p in parts if p).lower()


def write(package: Package, confidential: Confidentiality | None = None) -> dict[str, Counter[str]]:
    """Create or update every row of the package; the counts of created, updated and
    unchanged rows per table. ``confidential`` is ``confidentiality(package)`` when the caller
    has it already."""
    counts: dict[str, Counter[str]] = {}
    ids: dict[str, dict[str, int]] = {}
    confidential = confidential or confidentiality(package)
    secret = confidential.locations
    kept_services = {k.id for k in confidential.kept if k.table == "service"}
    for table in spec.TABLES:
        model = table.model
        assert model is not None
        rows = package.tables.get(table.name, [])
        count: Counter[str] = Counter()
        wanted = [UUID(r["id"]) for r in rows]
        # The first import into an empty table (the common case) has nothing to look up.
        stored = bool(wanted) and model.objects.exists()
        existing = model.objects.in_bulk(wanted, field_name="public_id") if stored else {}
        ids[table.name] = {str(k): v.pk for k, v in existing.items()}
        # Parents already stored but not in this package (a partial update) stay reachable.
        for column, (_, target) in table.fks.items():
            missing = {
                r[column].strip() for r in rows if r.get(column, "").strip()
            } - ids.setdefault(target, {}).keys()
            if missing:
                target_model = spec.BY_NAME[target].model
                assert target_model is not None
                for pk, public_id in target_model.objects.filter(
                    public_id__in=[UUID(x) for x in missing]
                ).values_list("pk", "public_id"):
                    ids[target][str(public_id)] = pk
        concrete = [f for f in model._meta.concrete_fields if f.attname not in ("id", "public_id")]
        fields = [f.attname for f in concrete]
        defaults = {f.attname: f.get_default() for f in concrete}
        field_defaults = list(defaults.items())
        # A new row goes in as its database values straight from the file (no model instance
        # per row); ``names`` and ``prepare`` say which value is which and how it is stored.
        names = ["public_id", *fields]
        prepare = list(enumerate(preparers(model, names)))
        read = RowReader(table)
        create: list[list[Any]] = []
        update: list[Any] = []
        for row, public_id in zip(rows, wanted, strict=True):
            if table.name == "address" and secret and _key(row.get("location_id", "")) in secret:
                count["withheld"] += 1
                continue
            values = read(row, ids)
            if table.name == "location" and str(public_id) in secret:
                values["x_confidential"] = True
                for name in WITHHELD:
                    values[name] = None if name in ("latitude", "longitude") else ""
                values["extra"] = {}
            if table.name == "service":
                values["search_text"] = _search_text(values)
                if str(public_id) in kept_services:
                    values["x_confidential"] = True
            obj = existing.get(public_id)
            if obj is None:
                get = values.get
                new = [public_id, *[get(n, d) for n, d in field_defaults]]
                for index, prep in prepare:
                    if prep is not None:
                        new[index] = prep(new[index])
                create.append(new)
                count["created"] += 1
            elif any(getattr(obj, k) != v for k, v in values.items()):
                for k, v in values.items():
                    setattr(obj, k, v)
                update.append(obj)
                count["updated"] += 1
            else:
                count["unchanged"] += 1
        if create:
            # One prepared INSERT for every row (COPY on PostgreSQL), then the new keys read
            # back for the tables later rows point at: every row keyed above the largest key
            # before the insert (one read, not a long list of ids).
            before = model.objects.aggregate(last=Max("pk"))["last"] or 0
            insert_rows(model, names, create)
            if table.name in TARGETS:
                mine = ids[table.name]
                for public_id, pk in model.objects.filter(pk__gt=before).values_list(
                    "public_id", "pk"
                ):
                    mine[str(public_id)] = pk
        if update:
            model.objects.bulk_update(update, fields, batch_size=BATCH)
        counts[table.name] = count
    for name in spec.other_tables():
        rows = package.tables.get(name, [])
        if not rows:
            continue
        count = Counter()
        stored = {
            str(o.hsds_id): o
            for o in m.HsdsOtherRow.objects.filter(
                table=name, hsds_id__in=[UUID(r["id"]) for r in rows]
            )
        }
        create_other, update_other = [], []
        for row in rows:
            data = {k: v for k, v in row.items() if k and k != "id" and v}
            obj = stored.get(row["id"])
            if obj is None:
                create_other.append(m.HsdsOtherRow(table=name, hsds_id=UUID(row["id"]), data=data))
                count["created"] += 1
            elif obj.data != data:
                obj.data = data
                update_other.append(obj)
                count["updated"] += 1
            else:
                count["unchanged"] += 1
        m.HsdsOtherRow.objects.bulk_create(create_other, batch_size=BATCH)
        m.HsdsOtherRow.objects.bulk_update(update_other, ["data"], batch_size=BATCH)
        counts[name] = count
    return counts


# --- Export ----------------------------------------------------------------------------------


def _row(table: spec.Table, obj: Any, keys: dict[str, dict[int, str]]) -> dict[str, str]:
    row: dict[str, str] = {"id": str(obj.public_id)}
    for column, (field_name, target) in table.fks.items():
        pk = getattr(obj, f"{field_name}_id")
        row[column] = keys[target].get(pk, "") if pk is not None else ""
    for column, name in table.typed.items():
        row[column] = render(getattr(obj, name))
    for column, text in obj.extra.items():
        row.setdefault(column, text)
    return row


def export_files() -> dict[str, bytes]:
    """The whole directory as an HSDS 3.0 tabular package: one CSV file per table (every
    column of the standard, plus the extension columns) and the descriptor. A confidential
    location's withheld columns are empty (they are not stored), and it has no address rows."""
    files: dict[str, bytes] = {}
    keys: dict[str, dict[int, str]] = {}
    for table in spec.TABLES:
        model = table.model
        assert model is not None
        objects = list(model.objects.order_by("public_id"))
        keys[table.name] = {o.pk: str(o.public_id) for o in objects}
        files[spec.file_names()[table.name]] = csv_file(
            table.name, [_row(table, o, keys) for o in objects]
        )
    for name in spec.other_tables():
        rows = [
            {"id": str(o.hsds_id), **o.data}
            for o in m.HsdsOtherRow.objects.filter(table=name).order_by("hsds_id")
        ]
        files[spec.file_names()[name]] = csv_file(name, rows)
    files["datapackage.json"] = json.dumps(spec.descriptor(), indent=2).encode()
    return files
