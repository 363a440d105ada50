"""Permission matrix for the resource directory: search and service pages for every staff
role, saving a resource (peers), and the administrator's import and export. Fixtures: a small
directory of three services."""

from __future__ import annotations

import base64
from typing import Any

from pillars.core.tests.matrix_support import Case
from pillars.people.testing import World
from pillars.recovery.hsds import sample
from pillars.recovery.models import HsdsService


def make_directory() -> HsdsService:
    """Three services written straight through the importer's writer (the matrix checks
    permissions, not validation, and stays fast)."""
    from pillars.recovery.hsds.importer import write
    from pillars.recovery.hsds.package import Package

    first = HsdsService.objects.order_by("pk").first()
    if first is not None:
        return first
    write(Package(tables=sample.rows(3)))
    service = HsdsService.objects.order_by("pk").first()
    assert service is not None
    return service


def service(w: World, extra: dict[str, Any]) -> dict[str, Any]:
    return {"public_id": extra["directory_service"].public_id}


def _import_body(w: World, who: str) -> dict[str, Any]:
    from pillars.recovery.services.directory import zip_files

    data = zip_files(sample.csv_files(sample.rows(2, seed=5)))
    return {"package_base64": base64.b64encode(data).decode(), "commit": False}


#                                                 bht nur cli pee sup dir pri adm out anon
PAGES: dict[str, Case] = {
    "recovery:directory-search": Case("GET", "A A A A A A A A A L"),
    "recovery:directory-service": Case("GET", "A A A A A A A A A L", service),
    "recovery:directory-save": Case("GET", "F F F A F F F F F L", service),
    "recovery:directory-confidentiality": Case("GET", "F F F F F F F A F L", service),
    "recovery:directory-import": Case("GET", "F F F F F F F A F L"),
    "recovery:directory-export": Case("GET", "F F F F F F F A F L"),
}

#                                                          bht nur cli pee sup dir pri adm out anon
API: dict[str, Case] = {
    "GET /api/v1/directory/services": Case("GET", "A A A A A A A A A U"),
    "GET /api/v1/directory/services/{public_id}": Case("GET", "A A A A A A A A A U", service),
    "POST /api/v1/directory/services/{public_id}/save": Case(
        "POST",
        "F F F A F F F F N U",
        service,
        body=lambda w, who: {"person": str(w.person_a.public_id), "note": "Call Monday"},
    ),
    "POST /api/v1/directory/import": Case("POST", "F F F F F F F A F U", body=_import_body),
    "GET /api/v1/directory/export": Case("GET", "F F F F F F F A F U"),
}


def fixtures(world: World, extra: dict[str, Any]) -> None:
    extra["directory_service"] = make_directory()


def fuzz_ids(world: World) -> dict[str, str]:
    return {"/api/v1/directory/services/": str(make_directory().public_id)}
