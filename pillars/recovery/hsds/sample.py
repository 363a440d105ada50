"""A synthetic HSDS 3.0 tabular package, generated deterministically from a seed: the demo's
directory, the tests' valid packages and the benchmark's rows come from here. Services spread
over a few cities in different time zones, speak several languages, and two of them are
confidential domestic-violence shelters (their source rows carry an address and coordinates,
which the import withholds).
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Iterator
from pathlib import Path

from pillars.recovery.hsds import spec
from pillars.recovery.hsds.package import csv_file

TAXONOMY_ID = "5f0c2b8e-1b7a-4d8e-9a51-0d6c1f1a7e01"
NEEDS = (
    ("housing", "Housing"),
    ("food", "Food"),
    ("mental-health", "Mental health care"),
    ("substance-use", "Substance use treatment"),
    ("employment", "Employment"),
    ("legal", "Legal aid"),
    ("transport", "Transportation"),
    ("dv", "Domestic violence support"),
    ("medical", "Medical care"),
    ("peer", "Peer support"),
)
# City, state, IANA zone, standard UTC offset (what an HSDS schedule's ``timezone`` holds),
# latitude, longitude.
CITIES = (
    ("Portland", "OR", "America/Los_Angeles", -8, 45.5152, -122.6784),
    ("Denver", "CO", "America/Denver", -7, 39.7392, -104.9903),
    ("Phoenix", "AZ", "America/Phoenix", -7, 33.4484, -112.0740),
    ("Chicago", "IL", "America/Chicago", -6, 41.8781, -87.6298),
    ("Philadelphia", "PA", "America/New_York", -5, 39.9526, -75.1652),
)
# A downtown ZIP code of each city, so a sample address's ZIP code is near its coordinates.
ZIP_CODES = {
    "Portland": "97204",
    "Denver": "80202",
    "Phoenix": "85004",
    "Chicago": "60602",
    "Philadelphia": "19107",
}
LANGUAGES = (
    ("es", "Spanish"),
    ("vi", "Vietnamese"),
    ("zh", "Chinese"),
    ("ar", "Arabic"),
    ("so", "Somali"),
    ("ru", "Russian"),
)
KINDS = {
    "housing": ("Housing Help Desk", "Help finding and keeping a place to live."),
    "food": ("Community Pantry", "Groceries and hot meals for anyone who needs them."),
    "mental-health": ("Counseling Center", "Counseling and support for mental health."),
    "substance-use": ("Recovery Clinic", "Outpatient treatment and medication for recovery."),
    "employment": ("Job Connect", "Job search, resumes and interview practice."),
    "legal": ("Legal Aid Office", "Free legal advice on housing, benefits and records."),
    "transport": ("Ride Line", "Rides to appointments and reduced-fare passes."),
    "dv": ("Safe Harbor", "Safety planning, advocacy and emergency shelter."),
    "medical": ("Community Health Clinic", "Primary care on a sliding scale."),
    "peer": ("Recovery Community Center", "Peer support groups and recovery coaching."),
}
# Service numbers that are confidential domestic-violence shelters.
CONFIDENTIAL = (3, 17)
# A fixed namespace makes every id a function of the seed and the row.
NAMESPACE = uuid.UUID("9d8f3c1e-4a5b-4c6d-8e7f-0a1b2c3d4e5f")


def _id(seed: int, table: str, n: int | str) -> str:
    return str(uuid.uuid5(NAMESPACE, f"{seed}:{table}:{n}"))


def rows(n_services: int, seed: int = 1) -> dict[str, list[dict[str, str]]]:
    """The package's rows, table by table."""
    rng = random.Random(seed)
    t: dict[str, list[dict[str, str]]] = {name: [] for name in spec.file_names()}
    t["taxonomy"].append(
        {
            "id": TAXONOMY_ID,
            "name": "Pillars needs",
            "description": "The needs people search the directory by.",
        }
    )
    for code, name in NEEDS:
        t["taxonomy_term"].append(
            {
                "id": _id(0, "term", code),
                "code": code,
                "name": name,
                "description": f"Services that help with {name.lower()}.",
                "taxonomy_id": TAXONOMY_ID,
                "taxonomy": "Pillars needs",
                "language": "en",
            }
        )
    n_orgs = max(1, n_services // 5)
    for o in range(n_orgs):
        t["organization"].append(
            {
                "id": _id(seed, "org", o),
                "name": f"Neighbors Network {o + 1}",
                "description": "A community organization serving its neighborhood.",
                "website": f"https://example.org/org{o + 1}",
            }
        )
    for s in range(n_services):
        need = NEEDS[s % len(NEEDS)][0]
        confidential = s in CONFIDENTIAL
        if confidential:
            need = "dv"
        city, state, zone, offset, lat, lon = CITIES[s % len(CITIES)]
        org = _id(seed, "org", s % n_orgs)
        service_id, location_id, sal_id = (
            _id(seed, "service", s),
            _id(seed, "location", s),
            _id(seed, "sal", s),
        )
        title, blurb = KINDS[need]
        free = rng.random() < 0.6
        min_age = "18" if rng.random() < 0.3 else ""
        t["service"].append(
            {
                "id": service_id,
                "organization_id": org,
                "name": f"{title} {city} {s + 1}",
                "description": blurb,
                "status": "active",
                "eligibility_description": "Adults 18 and over." if min_age else "Anyone.",
                "minimum_age": min_age,
                "fees_description": "Free." if free else "Sliding scale fee.",
                "x_confidential": "true" if confidential else "false",
            }
        )
        t["location"].append(
            {
                "id": location_id,
                "location_type": "physical",
                "organization_id": org,
                "name": f"{title} {city}" if not confidential else "Safe Harbor shelter",
                "latitude": f"{lat + rng.uniform(-0.15, 0.15):.6f}",
                "longitude": f"{lon + rng.uniform(-0.15, 0.15):.6f}",
                "x_timezone": zone,
                "x_confidential": "true" if confidential else "false",
            }
        )
        t["address"].append(
            {
                "id": _id(seed, "address", s),
                "location_id": location_id,
                "address_1": f"{100 + s} Hidden Lane" if confidential else f"{100 + s} Main St",
                "city": city,
                "state_province": state,
                "postal_code": ZIP_CODES[city],
                "country": "US",
                "address_type": "physical",
            }
        )
        t["service_at_location"].append(
            {"id": sal_id, "service_id": service_id, "location_id": location_id}
        )
        t["phone"].append(
            {
                "id": _id(seed, "phone", s),
                "service_id": service_id,
                "number": f"555-01{s % 100:02d}",
                "type": "voice",
                "description": "24-hour hotline" if confidential else "Front desk",
            }
        )
        if confidential or s % 7 == 0:
            schedule = {
                "byday": "MO,TU,WE,TH,FR,SA,SU",
                "opens_at": "00:00:00",
                "closes_at": "23:59:59",
            }
        elif s % 3 == 0:
            schedule = {"byday": "MO,WE,FR", "opens_at": "10:00:00", "closes_at": "18:00:00"}
        else:
            schedule = {"byday": "MO,TU,WE,TH,FR", "opens_at": "09:00:00", "closes_at": "17:00:00"}
        t["schedule"].append(
            {
                "id": _id(seed, "schedule", s),
                "service_id": service_id,
                "freq": "WEEKLY",
                "wkst": "MO",
                "timezone": str(offset),
                "description": "Opening hours",
                **schedule,
            }
        )
        spoken = [("en", "English"), *rng.sample(LANGUAGES, rng.choice((0, 1, 1, 2)))]
        for code, name in spoken:
            t["language"].append(
                {
                    "id": _id(seed, f"language-{code}", s),
                    "service_id": service_id,
                    "code": code,
                    "name": name,
                }
            )
        t["cost_option"].append(
            {
                "id": _id(seed, "cost", s),
                "service_id": service_id,
                "option": "Free" if free else "Sliding scale",
                "currency": "USD",
                "amount": "0" if free else str(rng.choice((5, 10, 20))),
            }
        )
        t["attribute"].append(
            {
                "id": _id(seed, "attribute", s),
                "link_id": service_id,
                "taxonomy_term_id": _id(0, "term", need),
                "link_type": "need",
                "link_entity": "service",
            }
        )
    return t


def csv_files(tables: dict[str, list[dict[str, str]]]) -> dict[str, bytes]:
    """The rows as a package's files (only tables with rows, plus the descriptor), written as
    every package the directory writes (``package.csv_file``)."""
    files = {}
    for name, table_rows in tables.items():
        if not table_rows:
            continue
        files[spec.file_names()[name]] = csv_file(name, table_rows)
    files["datapackage.json"] = json.dumps(spec.descriptor()).encode()
    return files


def write(directory: Path, n_services: int, seed: int = 1) -> Path:
    """Write the package into ``directory``; returns it."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, data in csv_files(rows(n_services, seed)).items():
        (directory / name).write_bytes(data)
    return directory


def need_id(code: str) -> str:
    return _id(0, "term", code)


def ids(tables: dict[str, list[dict[str, str]]], table: str) -> Iterator[str]:
    return (r["id"] for r in tables[table])
