"""The HSDS 3.0 tables as the directory stores them: the standard's descriptor (shipped in
``schema/``), and for each table the model, its typed columns and its foreign keys.

A column of the standard that is not typed here is kept verbatim in the row's ``extra``; a
table with no model is kept whole in ``HsdsOtherRow``. Import order follows the foreign keys.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from pillars.recovery.models import directory as m

SCHEMA_DIR = Path(__file__).parent / "schema"
DESCRIPTOR = SCHEMA_DIR / "datapackage.json"

# The documented extension columns (models/directory.py explains them). HSDS lets a publisher
# add columns; these are declared in every package the directory writes.
EXTENSIONS: dict[str, list[dict[str, Any]]] = {
    "location": [
        {
            "name": "x_timezone",
            "type": "string",
            "title": "Time zone (Pillars extension)",
            "description": "The location's IANA time zone, for opening hours across daylight "
            "saving changes (HSDS schedules carry only a numeric UTC offset).",
        },
        {
            "name": "x_confidential",
            "type": "boolean",
            "title": "Confidential (Pillars extension)",
            "description": "A confidential shelter: its address and coordinates are never "
            "shown or exported; people reach it through its hotline.",
        },
    ],
    "service": [
        {
            "name": "x_confidential",
            "type": "boolean",
            "title": "Confidential (Pillars extension)",
            "description": "A service at a confidential location, reached by hotline only.",
        }
    ],
}


@dataclass(frozen=True)
class Table:
    """One HSDS table: its model (None: kept as ``HsdsOtherRow``), the columns stored in typed
    fields (column name to model field name), and its foreign keys (column to target table)."""

    name: str
    model: Any
    typed: dict[str, str] = field(default_factory=dict)
    fks: dict[str, tuple[str, str]] = field(default_factory=dict)  # column -> (field, table)


def _same(*names: str) -> dict[str, str]:
    return {n: n for n in names}


def _parents(*tables: str) -> dict[str, tuple[str, str]]:
    """Foreign keys named after the table they point to: ``<table>_id`` -> (field, table)."""
    return {f"{t}_id": (t, t) for t in tables}


TABLES: list[Table] = [
    Table("taxonomy", m.Taxonomy, _same("name", "description", "uri", "version")),
    Table(
        "taxonomy_term",
        m.TaxonomyTerm,
        _same("code", "name", "description", "parent_id", "taxonomy", "language", "term_uri"),
        {"taxonomy_id": ("taxonomy_ref", "taxonomy")},
    ),
    Table(
        "organization",
        m.HsdsOrganization,
        _same("name", "alternate_name", "description", "email", "website"),
    ),
    Table(
        "location",
        m.Location,
        _same(
            "location_type",
            "url",
            "name",
            "alternate_name",
            "description",
            "transportation",
            "latitude",
            "longitude",
            "x_timezone",
            "x_confidential",
        ),
        _parents("organization"),
    ),
    Table(
        "address",
        m.Address,
        _same(
            "attention",
            "address_1",
            "address_2",
            "city",
            "region",
            "state_province",
            "postal_code",
            "country",
            "address_type",
        ),
        _parents("location"),
    ),
    Table(
        "service",
        m.HsdsService,
        _same(
            "name",
            "alternate_name",
            "description",
            "url",
            "email",
            "status",
            "interpretation_services",
            "application_process",
            "fees_description",
            "eligibility_description",
            "minimum_age",
            "maximum_age",
            "alert",
            "x_confidential",
        ),
        _parents("organization"),
    ),
    Table(
        "service_at_location",
        m.ServiceAtLocation,
        _same("description"),
        _parents("service", "location"),
    ),
    Table(
        "phone",
        m.Phone,
        _same("number", "type", "description"),
        _parents("location", "service", "organization", "service_at_location"),
    ),
    Table(
        "schedule",
        m.Schedule,
        _same(
            "valid_from",
            "valid_to",
            "dtstart",
            "timezone",
            "until",
            "freq",
            "interval",
            "byday",
            "description",
            "opens_at",
            "closes_at",
        ),
        _parents("service", "location", "service_at_location"),
    ),
    Table(
        "language",
        m.Language,
        _same("name", "code", "note"),
        _parents("service", "location", "phone"),
    ),
    Table(
        "cost_option",
        m.CostOption,
        _same("valid_from", "valid_to", "option", "currency", "amount", "amount_description"),
        _parents("service"),
    ),
    Table(
        "attribute",
        m.Attribute,
        _same("link_id", "link_type", "link_entity", "value"),
        _parents("taxonomy_term"),
    ),
]
BY_NAME = {t.name: t for t in TABLES}
# Foreign keys among the modelled tables must be written parents first (TABLES' order); the
# tables kept whole come after them.


@cache
def descriptor() -> dict[str, Any]:
    """The standard's tabular data package descriptor, with the extension columns declared."""
    data = json.loads(DESCRIPTOR.read_text(encoding="utf-8"))
    for resource in data["resources"]:
        resource["schema"]["fields"].extend(copy.deepcopy(EXTENSIONS.get(resource["name"], [])))
    return data


def resources() -> list[dict[str, Any]]:
    return copy.deepcopy(descriptor()["resources"])


@cache
def columns(table: str) -> tuple[str, ...]:
    for resource in descriptor()["resources"]:
        if resource["name"] == table:
            return tuple(f["name"] for f in resource["schema"]["fields"])
    raise KeyError(table)


@cache
def field_types(table: str) -> dict[str, str]:
    for resource in descriptor()["resources"]:
        if resource["name"] == table:
            return {f["name"]: f["type"] for f in resource["schema"]["fields"]}
    raise KeyError(table)


@cache
def file_names() -> dict[str, str]:
    """Table name to its file name in a package (``services.csv``...)."""
    return {r["name"]: r["path"] for r in descriptor()["resources"]}


def other_tables() -> list[str]:
    return [name for name in file_names() if name not in BY_NAME]
