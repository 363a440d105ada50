"""Writing a validated HSDS package into the directory's tables, and reading them back out.

``write`` is called only by ``services.directory.import_package`` inside its transaction: it
creates the rows whose HSDS id is new, updates those whose values changed and leaves the rest
untouched, table by table in foreign-key order, in bulk. Rows missing from a package stay (an
import adds and updates; it is not a deletion list).

Confidential locations (``x_confidential`` on the location or on a service delivered there)
are stored without coordinates, addresses, directions or other location columns: what Pillars
never holds it can never show, send or export.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from typing import Any
from uuid import UUID

from django.db.models import Max, Q

from pillars.core.bulk import insert_rows, preparers
from pillars.recovery.hsds import spec
from pillars.recovery.hsds.package import Package, convert, parse_bool, render
from pillars.recovery.models import directory as m

BATCH = 500
# The tables other rows point at: only their new rows' keys are read back after inserting.
TARGETS = {target for t in spec.TABLES for _, target in t.fks.values()}
# Location columns withheld for a confidential location (directions reveal the place too).
WITHHELD = ("latitude", "longitude", "transportation")


def confidential_locations(package: Package) -> set[str]:
    """The ids of locations to treat as confidential: flagged themselves, or the place of a
    flagged service (flagged in the package, or stored flagged and not in it)."""
    flagged = {
        r["id"]
        for r in package.tables.get("location", [])
        if parse_bool(r.get("x_confidential", ""))
    }
    services = {
        r["id"]
        for r in package.tables.get("service", [])
        if parse_bool(r.get("x_confidential", ""))
    }
    # A partial update (a package's keys all point inside it) may bring places without the
    # services delivered at them: a stored link to a service flagged in the package, or stored
    # flagged and not in it (its flag stands), keeps the place confidential.
    carried = {r["id"] for r in package.tables.get("service", [])}
    places = {r["id"] for r in package.tables.get("location", [])}
    flagged |= {
        str(public_id)
        for public_id in m.ServiceAtLocation.objects.filter(
            Q(service__x_confidential=True) & ~Q(service__public_id__in=carried)
            | Q(service__public_id__in=services),
            location__public_id__in=places,
        ).values_list("location__public_id", flat=True)
    }
    sals = package.tables.get("service_at_location", [])
    for sal in sals:
        if sal.get("service_id") in services:
            flagged.add(sal.get("location_id", ""))
    return flagged


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


def write(package: Package) -> dict[str, Counter[str]]:
    """Create or update every row of the package; the counts of created, updated and
    unchanged rows per table."""
    counts: dict[str, Counter[str]] = {}
    ids: dict[str, dict[str, int]] = {}
    secret = confidential_locations(package)
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
            if table.name == "address" and row.get("location_id", "").strip() in secret:
                count["withheld"] += 1
                continue
            values = read(row, ids)
            if table.name == "location" and row["id"] in secret:
                values["x_confidential"] = True
                for name in WITHHELD:
                    values[name] = None if name in ("latitude", "longitude") else ""
                values["extra"] = {}
            if table.name == "service":
                values["search_text"] = _search_text(values)
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
        files[spec.file_names()[table.name]] = _csv(
            table.name, [_row(table, o, keys) for o in objects]
        )
    for name in spec.other_tables():
        rows = [
            {"id": str(o.hsds_id), **o.data}
            for o in m.HsdsOtherRow.objects.filter(table=name).order_by("hsds_id")
        ]
        files[spec.file_names()[name]] = _csv(name, rows)
    files["datapackage.json"] = json.dumps(spec.descriptor(), indent=2).encode()
    return files


def _csv(table: str, rows: list[dict[str, str]]) -> bytes:
    columns = list(spec.columns(table))
    extra = sorted({k for r in rows for k in r} - set(columns))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns + extra, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")
