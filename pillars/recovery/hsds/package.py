"""Reading and validating an HSDS 3.0 package: a folder or zip of CSV files (the tabular
form), or HSDS JSON (the nested service objects, the canonical form since 3.0).

Validation is the standard's: each file is checked with ``frictionless`` against the shipped
``datapackage.json`` (types, formats, required columns, enumerations, unique ids) and every
foreign key between the files, then a few rules the descriptor cannot state (coordinates in
range, the extension columns). Each problem names the file, the row (the line in the file, the
header being row 1) and the field.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, time
from pathlib import Path, PurePosixPath
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo, available_timezones

from pillars.core import exports
from pillars.core.errors import MessageError
from pillars.recovery.hsds import spec

MAX_BYTES = 50 * 1024 * 1024
MAX_FILES = 100


class PackageRefused(MessageError):
    """The package as a whole cannot be read (not a zip, too large, no HSDS file in it)."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a package: in which file, on which row and in which field."""

    file: str
    row: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f" row {self.row}"
        if self.field:
            where += f", field {self.field}"
        return f"{where}: {self.message}"


@dataclass
class Package:
    """The rows of each table read from a package (column name to the text read)."""

    tables: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    form: str = "csv"

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def rows(self) -> int:
        return sum(len(rows) for rows in self.tables.values())


# --- Getting the files -------------------------------------------------------------------------


def files_from_dir(path: Path) -> dict[str, bytes]:
    """The package's files in a folder: its CSV files, or its JSON files."""
    if not path.is_dir():
        raise PackageRefused(f"{path} is not a folder.")
    found = {
        p.name: p.read_bytes()
        for p in sorted(path.iterdir())
        if p.is_file() and p.suffix.lower() in (".csv", ".json")
    }
    if not found:
        raise PackageRefused(f"{path} holds no CSV or JSON file.")
    return found


def files_from_zip(data: bytes) -> dict[str, bytes]:
    """The package's files in a zip archive (in its root or one folder)."""
    if len(data) > MAX_BYTES:
        raise PackageRefused(f"The archive is larger than {MAX_BYTES // 1024 // 1024} MB.")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise PackageRefused("The file is not a zip archive.") from None
    found: dict[str, bytes] = {}
    total = 0
    with archive:
        for info in archive.infolist():
            name = PurePosixPath(info.filename).name
            if (
                info.is_dir()
                or name.startswith(".")
                or not name.lower().endswith((".csv", ".json"))
            ):
                continue
            total += info.file_size
            if total > MAX_BYTES or len(found) >= MAX_FILES:
                raise PackageRefused("The archive holds too much to import at once.")
            if name in found:
                raise PackageRefused(f"The archive holds two files named {name}.")
            found[name] = archive.read(info)
    if not found:
        raise PackageRefused("The archive holds no CSV or JSON file.")
    return found


def read(files: dict[str, bytes]) -> Package:
    """Read and validate a package's files: CSV files when there are any, else HSDS JSON."""
    names = spec.file_names()
    known = set(names.values())
    csvs = {n: d for n, d in files.items() if n.lower().endswith(".csv")}
    if csvs:
        package = Package(form="csv")
        texts: dict[str, str] = {}
        for name, data in sorted(csvs.items()):
            if name not in known:
                package.problems.append(
                    Problem(name, None, "", "is not a file of an HSDS 3.0 package")
                )
                continue
            try:
                texts[name] = data.decode("utf-8-sig")
            except UnicodeDecodeError:
                package.problems.append(Problem(name, None, "", "is not UTF-8 text"))
        _validate(texts, package)
        return package
    jsons = [d for n, d in sorted(files.items()) if n != "datapackage.json"]
    if not jsons:
        raise PackageRefused("The package holds no HSDS CSV file and no HSDS JSON file.")
    return read_json(jsons)


# --- HSDS JSON -----------------------------------------------------------------------------------

# A nested key and the table its objects belong to.
NESTED = {
    "organization": "organization",
    "organizations": "organization",
    "locations": "location",
    "location": "location",
    "addresses": "address",
    "phones": "phone",
    "schedules": "schedule",
    "languages": "language",
    "service_at_locations": "service_at_location",
    "services": "service",
    "cost_options": "cost_option",
    "attributes": "attribute",
    "taxonomy_term": "taxonomy_term",
    "taxonomy_detail": "taxonomy",
    "contacts": "contact",
    "funding": "funding",
    "program": "program",
    "programs": "program",
    "required_documents": "required_document",
    "service_areas": "service_area",
    "accessibility": "accessibility",
    "organization_identifiers": "organization_identifier",
    "metadata": "metadata",
}


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def read_json(documents: list[bytes]) -> Package:
    """Flatten HSDS JSON (a service object, a list of them, or a paginated list with
    ``contents``) into the tabular form, then validate it like a CSV package, so both forms
    obey the same rules and foreign keys."""
    package = Package(form="json")
    tables: dict[str, dict[str, dict[str, str]]] = {}
    for index, data in enumerate(documents, start=1):
        name = f"document {index}"
        try:
            doc = json.loads(data.decode("utf-8-sig"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            package.problems.append(Problem(name, None, "", f"is not JSON ({exc})"))
            continue
        if isinstance(doc, dict) and isinstance(doc.get("contents"), list):
            doc = doc["contents"]
        services = doc if isinstance(doc, list) else [doc]
        for number, service in enumerate(services, start=1):
            if not isinstance(service, dict):
                package.problems.append(Problem(name, number, "", "is not a service object"))
                continue
            _flatten("service", service, None, tables)
    texts = {}
    for table, rows in tables.items():
        out = io.StringIO()
        columns = list(spec.columns(table))
        extra = sorted({k for row in rows.values() for k in row} - set(columns))
        writer = csv.DictWriter(out, fieldnames=columns + extra, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows.values())
        texts[spec.file_names()[table]] = out.getvalue()
    _validate(texts, package)
    return package


def _flatten(
    table: str,
    obj: dict[str, Any],
    parent: tuple[str, dict[str, Any]] | None,
    tables: dict[str, dict[str, dict[str, str]]],
) -> None:
    columns = set(spec.columns(table))
    row: dict[str, str] = {}
    for key, value in obj.items():
        if isinstance(value, (dict, list)):
            continue
        row[key] = _text(value)
    if parent is not None:
        parent_table, parent_row = parent
        link = f"{parent_table}_id"
        if link in columns and not row.get(link):
            row[link] = _text(parent_row.get("id"))
        if table == "attribute":
            row.setdefault("link_id", _text(parent_row.get("id")))
            row.setdefault("link_entity", parent_table)
        if table == "metadata":
            row.setdefault("resource_id", _text(parent_row.get("id")))
            row.setdefault("resource_type", parent_table)
    for key, value in obj.items():
        child_table = NESTED.get(key)
        if child_table is None:
            continue
        if isinstance(value, dict):
            # A single nested object is what this row points at (service.organization).
            link = f"{child_table}_id" if key != "taxonomy_detail" else "taxonomy_id"
            if link in columns:
                row.setdefault(link, _text(value.get("id")))
            _flatten(child_table, value, None, tables)
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, dict):
                    _flatten(child_table, item, (table, obj), tables)
    row_id = row.get("id", "")
    existing = tables.setdefault(table, {}).get(row_id)
    if existing is not None:
        existing.update({k: v for k, v in row.items() if v})
    else:
        tables[table][row_id or f"_{len(tables[table])}"] = row


# --- Validation ----------------------------------------------------------------------------------


def _validate(texts: dict[str, str], package: Package) -> None:
    """Check the CSV texts with frictionless against the standard's descriptor, then the rules
    it cannot state; fill ``package.tables`` with the rows read."""
    by_file = {r["path"]: r for r in spec.resources()}
    headers: dict[str, list[str]] = {}
    for name, text in texts.items():
        reader = csv.reader(io.StringIO(text, newline=""))
        header = next(reader, None)
        if header is None:
            package.problems.append(Problem(name, None, "", "is empty"))
            continue
        headers[name] = [h.strip() for h in header]
        table = by_file[name]["name"]
        known = set(spec.columns(table))
        for column in headers[name]:
            if column not in known and not column.startswith("x_"):
                package.problems.append(
                    Problem(name, 1, column, "is not a column of this HSDS table")
                )
        for f in by_file[name]["schema"]["fields"]:
            if f.get("constraints", {}).get("required") and f["name"] not in headers[name]:
                package.problems.append(Problem(name, 1, f["name"], "required column missing"))
    if package.problems:
        return
    _check_rows(texts, headers, by_file, package)
    for name in texts:
        _extra_rules(by_file[name]["name"], name, package)
    package.problems.sort(key=lambda p: (p.file, p.row or 0, p.field))


def _list(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


UUID_TEXT = re.compile(r"[0-9a-fA-F]{8}-?([0-9a-fA-F]{4}-?){3}[0-9a-fA-F]{12}")


def _is_plain(f: Any) -> bool:
    """A string field that accepts any text (no format, no constraint): its cells need no
    check, and frictionless' reader would only turn "" into None."""
    constraints = {k: v for k, v in f.constraints.items() if v not in (None, False)}
    return (
        f.type == "string"
        and f.format in (None, "default")
        and not constraints
        and list(f.missing_values) == [""]
    )


def _cell_reader(f: Any) -> Any:
    """A field's compiled check: frictionless' own cell reader, except for the identifier
    columns (a string in ``uuid`` format, most of the cells of a package), whose format is
    checked here with one regular expression instead of frictionless' general validators."""
    constraints = {k: v for k, v in f.constraints.items() if v not in (None, False)}
    if f.type != "string" or f.format != "uuid" or set(constraints) - {"required", "unique"}:
        return f.create_cell_reader()
    required = bool(constraints.get("required"))
    note = {"type": 'type is "string/uuid"'}
    missing = {"required": 'constraint "required" is "True"'}
    match = UUID_TEXT.fullmatch

    def read(cell: Any) -> tuple[Any, dict[str, str] | None]:
        if cell is None or cell == "":
            return None, (missing if required else None)
        return (cell, None) if match(cell) else (None, note)

    return read


def _check_rows(
    texts: dict[str, str],
    headers: dict[str, list[str]],
    by_file: dict[str, dict[str, Any]],
    package: Package,
) -> None:
    """Every cell against its field in the descriptor, then keys, in one pass per file.

    Each field's checks are compiled once by frictionless (``Field.create_cell_reader``: the
    type, its format and the constraints, exactly as its row-by-row validation reads a cell);
    the primary key, ``unique`` and the foreign keys are checked here with one set of values
    per column, which is what makes a large package cheap to validate. The cells of CSV files
    are read as they were before an export made them inert for spreadsheets (``unquote``)."""
    from frictionless import Schema

    problems = package.problems
    quoted = package.form == "csv"
    # The values read per (table, column) that some foreign key or uniqueness check needs.
    keys: dict[tuple[str, str], set[Any]] = {}
    pending: list[tuple[str, int, str, Any, str]] = []  # file, row, column, value, target
    for resource in spec.resources():
        path, table = resource["path"], resource["name"]
        text = texts.get(path)
        if text is None:
            continue
        header = headers[path]
        fields = {f["name"]: f for f in resource["schema"]["fields"]}
        schema = Schema.from_descriptor(
            {"fields": [fields.get(c, {"name": c, "type": "string"}) for c in header]}
        )
        readers = [_cell_reader(f) for f in schema.fields]
        primary = _list(resource["schema"].get("primaryKey") or [])
        unique = {
            c for c in header if fields.get(c, {}).get("constraints", {}).get("unique")
        } | set(primary)
        references = {
            fk["fields"]: fk["reference"]["resource"]
            for fk in resource["schema"].get("foreignKeys", [])
            if isinstance(fk["fields"], str) and fk["fields"] in header
        }
        seen: dict[str, dict[Any, int]] = {c: {} for c in unique}
        width = len(header)
        # The columns that need a look at each row: a check of the cell, a key to remember or
        # a reference to follow. A plain text column that is neither is skipped outright.
        plan = [
            (index, column, readers[index], _is_plain(f), seen.get(column), references.get(column))
            for index, (column, f) in enumerate(zip(header, schema.fields, strict=True))
            if not _is_plain(f) or column in seen or column in references
        ]
        for position, label in enumerate(header, start=1):
            if not label:
                problems.append(Problem(path, 1, f"column {position}", "blank label"))
            elif header.index(label) != position - 1:
                problems.append(Problem(path, 1, label, "duplicate label"))
        reader = csv.reader(io.StringIO(text, newline=""))
        next(reader, None)
        rows = package.tables[table] = []
        for number, cells in enumerate(reader, start=2):
            joined = "".join(cells)
            if quoted and "'" in joined:
                cells = [unquote(cell) for cell in cells]
            rows.append(dict(zip(header, cells, strict=False)))
            if not joined.strip():
                problems.append(Problem(path, number, "", "blank row: the row is empty"))
                continue
            if len(cells) > width:
                problems.append(
                    Problem(
                        path, number, "", f"extra cell: {len(cells) - width} more than the header"
                    )
                )
            elif len(cells) < width:
                cells += [""] * (width - len(cells))  # a short row: its missing cells are empty
            for index, column, read, plain, first_rows, target in plan:
                cell = cells[index]
                if plain:
                    value, notes = (cell or None), None
                else:
                    value, notes = read(cell)
                if notes:
                    said = f"'{cell}': " if cell not in (None, "") else ""
                    kind = "type error" if "type" in notes else "constraint error"
                    problems.append(
                        Problem(path, number, column, f"{kind}: {said}{'; '.join(notes.values())}")
                    )
                    continue
                if value is None:
                    continue
                if first_rows is not None:
                    first = first_rows.setdefault(value, number)
                    if first != number:
                        kind = "primary key error" if column in primary else "unique error"
                        problems.append(
                            Problem(
                                path,
                                number,
                                column,
                                f"{kind}: '{cell}' is the same as in row {first}",
                            )
                        )
                if target is not None:
                    pending.append((path, number, column, value, target))
        for column, values in seen.items():
            keys[(table, column)] = set(values)
    files = spec.file_names()
    for path, number, column, value, target in pending:
        if value not in keys.get((target, "id"), ()):
            problems.append(
                Problem(
                    path, number, column, f"'{value}' is not an id in {files.get(target, target)}"
                )
            )


def _extra_rules(table: str, file: str, package: Package) -> None:
    """What the descriptor cannot say: coordinates on Earth, a real time zone, a boolean."""
    rows = package.tables.get(table, [])
    zones = available_timezones() if table == "location" else set()
    for number, row in enumerate(rows, start=2):
        if table == "location":
            for name, limit in (("latitude", 90.0), ("longitude", 180.0)):
                value = parse_number(row.get(name, ""))
                if value is not None and not -limit <= value <= limit:
                    package.problems.append(
                        Problem(
                            file, number, name, f"{value:g} is not between {-limit:g} and {limit:g}"
                        )
                    )
            zone = row.get("x_timezone", "")
            if zone and zone not in zones:
                package.problems.append(
                    Problem(file, number, "x_timezone", f"'{zone}' is not an IANA time zone")
                )


# --- Converting values ---------------------------------------------------------------------------


def parse_number(value: str) -> float | None:
    try:
        return float(value) if value.strip() else None
    except ValueError:
        return None


def parse_bool(value: str) -> bool:
    return value.strip().lower() in ("true", "1", "yes")


def convert(kind: str, value: str) -> Any:
    """A validated text value as the typed field stores it."""
    value = value.strip()
    if kind == "number":
        return parse_number(value)
    if kind == "boolean":
        return parse_bool(value)
    if not value:
        return None if kind in ("date", "time", "uuid") else ""
    if kind == "date":
        return date.fromisoformat(value)
    if kind == "time":
        return time.fromisoformat(value.removesuffix("Z")).replace(tzinfo=None)
    if kind == "uuid":
        return UUID(value)
    return value


def render(value: Any) -> str:
    """A stored value as text in an exported file; converting it back gives the same value."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, (date, time)):
        return value.isoformat()
    return str(value)


# --- Writing CSV files ---------------------------------------------------------------------------


def csv_file(table: str, rows: list[dict[str, str]]) -> bytes:
    """A table's rows as a package's CSV file: every column of the standard, then the extension
    columns the rows hold. Every CSV the directory writes goes through here, so every text cell
    passes ``core.exports.neutralize``: text that starts like a spreadsheet formula (``=``,
    ``+``, ``-``, ``@``, a tab or a carriage return) gets a leading quote, which reading a
    package takes off again (``unquote``). The columns HSDS types as numbers keep their values:
    a negative coordinate is not a formula, and a quoted one would not be a valid number."""
    columns = list(spec.columns(table))
    extra = sorted({k for r in rows for k in r} - set(columns))
    numbers = {c for c, kind in spec.field_types(table).items() if kind in ("number", "integer")}
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns + extra, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: v if k in numbers else exports.neutralize(v) for k, v in row.items()})
    return out.getvalue().encode("utf-8")


def unquote(cell: str) -> str:
    """A cell as it was before ``core.exports.neutralize`` made it inert: the leading quote
    before text that starts like a formula is taken off (so importing an export changes
    nothing). A publisher's own text that starts with a quote and then such a character loses
    that quote too, the one case the two cannot be told apart."""
    if cell[:1] == "'" and cell[1:].startswith(exports.FORMULA_STARTS):
        return cell[1:]
    return cell


def zone_or_none(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name) if name else None
    except (KeyError, ValueError):
        return None
