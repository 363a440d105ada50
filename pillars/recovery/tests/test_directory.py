"""The resource directory: HSDS 3.0 import (dry run, commit, problems by file/row/field,
foreign keys, re-import by id, JSON), export round trip, open now across a daylight-saving
change, search filters and reasons, confidential locations, saved resources, the command and
the pages."""

from __future__ import annotations

import base64
import io
import json
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse

from pillars.audit.models import AuditEvent
from pillars.people.testing import World
from pillars.recovery.hsds import sample
from pillars.recovery.hsds.package import files_from_dir
from pillars.recovery.models import (
    Address,
    HsdsOtherRow,
    HsdsService,
    Location,
    SavedResource,
    Schedule,
)
from pillars.recovery.selectors import directory as selectors
from pillars.recovery.services import directory as services

DATA = Path(__file__).parent / "data"
N = 30
CONFIDENTIAL_STREET = "Hidden Lane"


def package(n: int = N) -> dict[str, bytes]:
    return sample.csv_files(sample.rows(n))


def edited(files: dict[str, bytes], name: str, edit: Any) -> dict[str, bytes]:
    """The package with ``edit(rows)`` applied to one CSV file's rows."""
    import csv

    rows = list(csv.DictReader(io.StringIO(files[name].decode())))
    header = list(rows[0].keys())
    edit(rows)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return {**files, name: out.getvalue().encode()}


def snapshot() -> dict[str, list[tuple[Any, ...]]]:
    """Every stored directory row, for comparing before and after."""
    from pillars.recovery.hsds import spec

    found: dict[str, list[tuple[Any, ...]]] = {}
    for table in spec.TABLES:
        fields = [f.attname for f in table.model._meta.concrete_fields]
        found[table.name] = sorted(
            tuple(str(v) for v in row) for row in table.model.objects.values_list(*fields)
        )
    found["other"] = sorted(
        (o.table, str(o.hsds_id), json.dumps(o.data, sort_keys=True))
        for o in HsdsOtherRow.objects.all()
    )
    return found


@pytest.fixture
def loaded(world: World) -> World:
    services.import_package(package(), actor=world.user("admin"), commit=True)
    return world


# --- Import ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_dry_run_stores_nothing_and_commit_stores_all(world: World) -> None:
    admin = world.user("admin")
    report = services.import_package(package(), actor=admin, source="test")
    assert report.ok
    assert not report.committed
    assert HsdsService.objects.count() == 0
    event = AuditEvent.objects.filter(action="import", object_type="recovery.directory").last()
    assert event is not None
    assert event.detail["dry_run"] is True

    report = services.import_package(package(), actor=admin, commit=True)
    assert report.committed
    assert HsdsService.objects.count() == N
    assert report.total("created") == report.rows - report.total("withheld")
    event = AuditEvent.objects.filter(action="import", object_type="recovery.directory").last()
    assert event is not None
    assert event.detail["dry_run"] is False
    assert event.detail["created"] == report.total("created")


@pytest.mark.django_db
def test_only_admins_import(world: World) -> None:
    for role in ("peer", "director", "bht"):
        with pytest.raises(PermissionDenied):
            services.import_package(package(), actor=world.user(role), commit=True)
    assert HsdsService.objects.count() == 0


@pytest.mark.django_db
def test_invalid_package_names_file_row_and_field_and_stores_nothing(world: World) -> None:
    def spoil(rows: list[dict[str, str]]) -> None:
        rows[1]["status"] = "open-ish"
        rows[2]["name"] = ""
        rows[3]["minimum_age"] = "eighteen"

    files = edited(package(), "services.csv", spoil)
    report = services.import_package(files, actor=world.user("admin"), commit=True)
    assert not report.committed
    found = {(p.file, p.row, p.field) for p in report.problems}
    assert ("services.csv", 3, "status") in found
    assert ("services.csv", 4, "name") in found
    assert ("services.csv", 5, "minimum_age") in found
    assert HsdsService.objects.count() == 0
    assert Location.objects.count() == 0
    assert "services.csv row 3, field status" in str(report.problems[0]) or any(
        str(p).startswith("services.csv row 3, field status") for p in report.problems
    )


@pytest.mark.django_db
def test_foreign_key_violations_are_reported(world: World) -> None:
    files = edited(
        package(),
        "service_at_location.csv",
        lambda rows: rows[0].update(location_id="00000000-0000-4000-8000-000000000000"),
    )
    report = services.import_package(files, actor=world.user("admin"), commit=True)
    assert [str(p) for p in report.problems] == [
        "service_at_location.csv row 2, field location_id: "
        "'00000000-0000-4000-8000-000000000000' is not an id in locations.csv"
    ]
    assert HsdsService.objects.count() == 0


@pytest.mark.django_db
def test_the_standards_example_package_has_dangling_keys(world: World) -> None:
    files = files_from_dir(DATA / "hsds_example")
    report = services.import_package(files, actor=world.user("admin"), commit=True)
    found = {(p.file, p.field) for p in report.problems}
    assert ("locations.csv", "organization_id") in found
    assert ("taxonomy_terms.csv", "taxonomy_id") in found
    assert ("locations.csv", "latitude") in found  # 100 is off the Earth
    assert HsdsService.objects.count() == 0


def test_each_cell_check_names_file_row_and_field() -> None:
    """The compiled per-field checks and the one-pass keys: a bad type, a missing required
    value, a malformed and a repeated id, a dangling foreign key."""
    from pillars.recovery.hsds.package import read

    files = package(5)
    files = edited(files, "locations.csv", lambda rows: rows[0].update(latitude="north"))
    files = edited(files, "organizations.csv", lambda rows: rows[0].update(name=""))

    def spoil(rows: list[dict[str, str]]) -> None:
        rows[0]["organization_id"] = "11111111-1111-4111-8111-111111111111"
        rows[1]["id"] = "not-a-uuid"
        rows[2]["id"] = rows[3]["id"]

    files = edited(files, "services.csv", spoil)
    found = {(p.file, p.row, p.field): p.message for p in read(files).problems}
    assert found[("locations.csv", 2, "latitude")].startswith("type error: 'north'")
    assert found[("organizations.csv", 2, "name")].startswith("constraint error")
    assert "required" in found[("organizations.csv", 2, "name")]
    assert found[("services.csv", 2, "organization_id")] == (
        "'11111111-1111-4111-8111-111111111111' is not an id in organizations.csv"
    )
    assert found[("services.csv", 3, "id")].startswith("type error: 'not-a-uuid'")
    assert found[("services.csv", 5, "id")].startswith("primary key error")


@pytest.mark.django_db
def test_reimport_updates_by_id(loaded: World) -> None:
    first = HsdsService.objects.order_by("public_id").first()
    assert first is not None

    def rename(rows: list[dict[str, str]]) -> None:
        for row in rows:
            if row["id"] == str(first.public_id):
                row["name"] = "Renamed Service"

    report = services.import_package(
        edited(package(), "services.csv", rename), actor=loaded.user("admin"), commit=True
    )
    assert report.counts["service"]["updated"] == 1
    assert report.counts["service"]["created"] == 0
    first.refresh_from_db()
    assert first.name == "Renamed Service"
    assert "renamed service" in first.search_text
    assert HsdsService.objects.count() == N


@pytest.mark.django_db
def test_export_then_import_changes_nothing(loaded: World) -> None:
    admin = loaded.user("admin")
    before = snapshot()
    files = services.export_package(actor=admin)
    assert "datapackage.json" in files
    assert "services.csv" in files
    assert AuditEvent.objects.filter(action="export", object_type="recovery.directory").exists()
    report = services.import_package(files, actor=admin, commit=True)
    assert report.ok, report.problems[:5]
    assert report.total("created") == 0
    assert report.total("updated") == 0
    assert snapshot() == before


@pytest.mark.django_db
def test_hsds_json_service_imports(world: World) -> None:
    doc = json.loads((DATA / "hsds_service_full.json").read_text())

    # The standard's example puts its location at latitude 100; a real one is on the Earth.
    def on_earth(obj: Any) -> None:
        if isinstance(obj, dict):
            if "latitude" in obj:
                obj["latitude"], obj["longitude"] = 51.5, -0.12
            for value in obj.values():
                on_earth(value)
        elif isinstance(obj, list):
            for value in obj:
                on_earth(value)

    on_earth(doc)
    report = services.import_package(
        {"service.json": json.dumps(doc).encode()}, actor=world.user("admin"), commit=True
    )
    assert report.ok, report.problems
    assert report.form == "json"
    service = HsdsService.objects.get(public_id=doc["id"])
    assert service.name == doc["name"]
    assert service.schedules.count() == len(doc["schedules"])
    assert HsdsOtherRow.objects.filter(table="program").exists()


# --- Open now -------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        # Winter (EST, UTC-5): 14:30 UTC is 09:30 in Philadelphia, open; 13:30 UTC is 08:30.
        (datetime(2026, 1, 12, 14, 30, tzinfo=UTC), "17:00"),
        (datetime(2026, 1, 12, 13, 30, tzinfo=UTC), None),
        # The Monday after daylight saving began (8 March 2026, EDT, UTC-4): 13:30 UTC is
        # 09:30, open, though the schedule's fixed offset of -5 would say 08:30.
        (datetime(2026, 3, 9, 13, 30, tzinfo=UTC), "17:00"),
        (datetime(2026, 3, 9, 21, 30, tzinfo=UTC), None),  # 17:30 EDT
    ],
)
def test_open_now_follows_the_locations_zone_across_daylight_saving(
    loaded: World, moment: datetime, expected: str | None
) -> None:
    service = (
        selectors._with_details(HsdsService.objects.all())
        .filter(service_at_locations__location__x_timezone="America/New_York")
        .filter(schedules__byday="MO,TU,WE,TH,FR")
        .first()
    )
    assert service is not None
    schedule = service.schedules.all()[0]
    assert schedule.timezone == -5
    assert selectors.open_until(service, moment) == expected


def test_overnight_schedule_runs_past_midnight() -> None:
    from datetime import time

    schedule = Schedule(byday="FR", opens_at=time(22), closes_at=time(6), freq="WEEKLY")
    assert schedule.open_until(datetime(2026, 1, 9, 23, 0)) == time(6)  # Friday 23:00
    assert schedule.open_until(datetime(2026, 1, 10, 5, 0)) == time(6)  # Saturday 05:00
    assert schedule.open_until(datetime(2026, 1, 10, 7, 0)) is None


# --- Search ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_search_filters_and_explains(loaded: World, time_machine: Any) -> None:
    time_machine.move_to(datetime(2026, 3, 9, 17, 0, tzinfo=UTC), tick=False)  # Monday
    peer = loaded.user("peer")
    lat, lon = sample.CITIES[4][4], sample.CITIES[4][5]  # Philadelphia
    everything = selectors.search(peer, selectors.DirectoryQuery())
    assert len(everything) == N

    q = selectors.DirectoryQuery(
        need=sample.need_id("peer"), latitude=lat, longitude=lon, within_km=40, open_now=True
    )
    results = selectors.search(peer, q)
    assert results
    for r in results:
        assert "Matches need: Peer support" in r.reasons
        assert any(reason.startswith("Open now until") for reason in r.reasons)
        assert r.distance_km is not None
        assert r.distance_km <= 40
        assert f"{r.distance_km:.1f} km away" in r.reasons
        assert r.service.service_at_locations.all()[0].location.x_timezone == "America/New_York"

    spanish = selectors.search(peer, selectors.DirectoryQuery(language="es"))
    assert spanish
    assert all("Speaks Spanish" in r.reasons for r in spanish)
    assert len(spanish) < N

    free = selectors.search(peer, selectors.DirectoryQuery(free=True))
    assert free
    assert all(any(c.amount == 0 for c in r.service.cost_options.all()) for r in free)
    assert all("Free" in r.reasons for r in free)

    young = selectors.search(peer, selectors.DirectoryQuery(age=16))
    assert all(r.service.minimum_age is None or r.service.minimum_age <= 16 for r in young)
    assert len(young) < N

    words = selectors.search(peer, selectors.DirectoryQuery(words="pantry"))
    assert words
    assert all("pantry" in r.service.search_text for r in words)

    event = AuditEvent.objects.filter(action="search", object_type="recovery.directory").last()
    assert event is not None
    assert event.person_id in (None, "")


@pytest.mark.django_db
def test_every_role_searches_but_outsiders_of_staff_do_not(loaded: World) -> None:
    for role in ("bht", "nurse", "clinician", "peer", "supervisor", "director", "privacy", "admin"):
        assert selectors.search(loaded.user(role), selectors.DirectoryQuery(words="clinic"))


# --- Distance from an address ---------------------------------------------------------------

ZIP_19107 = (39.9487, -75.1593)  # the zipcodes package's centre of ZIP code 19107


def _api(world: World, role: str = "peer") -> Client:
    from pillars.core.tokens import create_token

    _, secret = create_token(world.user(role), name="t", scopes=["read"], days=1)
    return Client(headers={"Authorization": f"Bearer {secret}"})


@pytest.mark.django_db
def test_search_from_an_address_measures_from_its_zip_centre(loaded: World) -> None:
    from pillars.recovery.models import haversine_km

    home = "1200 Walnut Street, Apt 4, Philadelphia, PA 19107-5503"
    q = selectors.DirectoryQuery.from_address(home, need="peer", within_km=40)
    assert q.origin is not None
    assert q.origin.kind == "zip"
    assert (q.latitude, q.longitude) == ZIP_19107
    results = selectors.search(loaded.user("peer"), q)
    assert results
    for r in results:
        location = r.service.service_at_locations.all()[0].location
        assert location.latitude is not None
        assert location.longitude is not None
        expected = haversine_km(*ZIP_19107, location.latitude, location.longitude)
        assert r.distance_km == pytest.approx(expected)
        assert f"{expected:.1f} km from the centre of ZIP code 19107" in r.reasons
    assert [r.distance_km for r in results] == sorted(r.distance_km or 0 for r in results)
    event = AuditEvent.objects.filter(action="search", object_type="recovery.directory").last()
    assert event is not None
    assert event.detail["origin"] == "zip"
    # The address typed may be the person's home: the audit trail keeps how, never where.
    assert "Walnut" not in json.dumps(event.detail)


@pytest.mark.django_db
def test_a_directory_locations_own_address_is_its_exact_origin(loaded: World) -> None:
    address = Address.objects.filter(location__x_confidential=False).select_related("location")[3]
    typed = "  " + address.one_line().upper().replace(", ", " ,  ") + " "
    origin = selectors.origin_of_address(typed)
    assert origin.kind == "location"
    assert origin.label == address.one_line()
    assert address.location is not None
    assert (origin.latitude, origin.longitude) == (
        address.location.latitude,
        address.location.longitude,
    )
    results = selectors.search(
        loaded.user("peer"), selectors.DirectoryQuery.from_address(typed, within_km=5)
    )
    first = results[0]
    assert first.distance_km == 0.0
    assert f"0.0 km from {address.one_line()}" in first.reasons
    # Not exactly the address (another street number): the ZIP code's centre instead.
    near = address.one_line().replace(address.address_1, "9999 Elm St")
    assert selectors.origin_of_address(near).kind == "zip"


@pytest.mark.django_db
def test_an_address_without_a_known_zip_code_is_refused(loaded: World, signed_in: Any) -> None:
    from django.core.exceptions import ValidationError

    for text, says in (
        ("12 Main Street, Springfield", "has no ZIP code"),
        ("12 Main Street, Nowhere, ZZ 00000", "ZIP code 00000 is not a US ZIP code we know"),
        ("   ", "Enter an address"),
    ):
        with pytest.raises(ValidationError) as caught:
            selectors.origin_of_address(text)
        assert says in caught.value.message_dict["address"][0]

    before = AuditEvent.objects.filter(action="search").count()
    page = signed_in("peer").get("/recovery/directory/", {"address": "12 Main Street"})
    assert page.status_code == 200
    assert "has no ZIP code" in page.content.decode()
    assert page.context["results"] is None
    both = signed_in("peer").get(
        "/recovery/directory/",
        {"address": "Philadelphia PA 19107", "latitude": "1", "longitude": "1"},
    )
    assert "Give an address or a point, not both." in both.content.decode()
    assert AuditEvent.objects.filter(action="search").count() == before

    api = _api(loaded)
    answer = api.get("/api/v1/directory/services", {"address": "Nowhere 00000"})
    assert answer.status_code == 422
    assert "address" in json.dumps(answer.json())
    answer = api.get(
        "/api/v1/directory/services", {"address": "PA 19107", "latitude": "1", "longitude": "1"}
    )
    assert answer.status_code == 422


@pytest.mark.django_db
def test_distance_from_an_address_on_the_page_and_in_the_api(loaded: World, signed_in: Any) -> None:
    page = signed_in("peer").get(
        "/recovery/directory/", {"address": "Philadelphia, PA 19107", "within_km": "40"}
    )
    text = page.content.decode()
    assert page.context["results"]
    assert "Distances are measured from the centre of ZIP code 19107, not from the street" in text
    assert "km from the centre of ZIP code 19107" in text

    answer = _api(loaded).get(
        "/api/v1/directory/services", {"address": "Philadelphia, PA 19107", "within_km": "40"}
    )
    assert answer.status_code == 200, answer.content
    found = answer.json()
    assert found
    assert all(r["distance_from"] == "the centre of ZIP code 19107" for r in found)
    assert all(r["distance_km"] <= 40 for r in found)
    by_point = _api(loaded).get(
        "/api/v1/directory/services",
        {"latitude": str(ZIP_19107[0]), "longitude": str(ZIP_19107[1]), "within_km": "40"},
    )
    assert [r["public_id"] for r in by_point.json()] == [r["public_id"] for r in found]
    assert all(r["distance_from"] is None for r in by_point.json())


@pytest.mark.django_db
def test_a_confidential_shelters_address_is_never_an_origin(loaded: World) -> None:
    """Its address is not stored, so typing it gives only its ZIP code's centre, and shelters
    take no part in distance (no coordinates), so ordering reveals nothing of where they are."""
    tables = sample.rows(N)
    secret = {r["id"] for r in tables["location"] if r["x_confidential"] == "true"}
    for row in (r for r in tables["address"] if r["location_id"] in secret):
        typed = f"{row['address_1']}, {row['city']}, {row['state_province']} {row['postal_code']}"
        origin = selectors.origin_of_address(typed)
        assert origin.kind == "zip"
        assert origin.label == f"the centre of ZIP code {row['postal_code']}"
        results = selectors.search(
            loaded.user("peer"), selectors.DirectoryQuery.from_address(typed, within_km=500)
        )
        assert results
        assert not any(selectors.is_confidential(r.service) for r in results)
        assert CONFIDENTIAL_STREET not in json.dumps([r.reasons for r in results])


# --- Confidential locations -----------------------------------------------------------------


def _secrets() -> tuple[list[str], list[str]]:
    """The confidential shelters' source coordinates and street addresses."""
    tables = sample.rows(N)
    secret = {r["id"] for r in tables["location"] if r["x_confidential"] == "true"}
    coords = [
        value
        for r in tables["location"]
        if r["id"] in secret
        for value in (r["latitude"], r["longitude"])
    ]
    streets = [r["address_1"] for r in tables["address"] if r["location_id"] in secret]
    return coords, streets


@pytest.mark.django_db
def test_confidential_locations_never_leak(loaded: World, signed_in: Any) -> None:
    coords, streets = _secrets()
    assert len(streets) == 2
    assert all(CONFIDENTIAL_STREET in s for s in streets)
    # Nothing of it is even stored.
    hidden = Location.objects.filter(x_confidential=True)
    assert hidden.count() == 2
    assert all(loc.latitude is None and loc.longitude is None for loc in hidden)
    assert not Address.objects.filter(location__in=hidden).exists()

    shelters = HsdsService.objects.filter(x_confidential=True)
    texts = []
    peer = signed_in("peer")
    for shelter in shelters:
        texts.append(
            peer.get(f"/recovery/directory/services/{shelter.public_id}/").content.decode()
        )
    lat, lon = sample.CITIES[3][4], sample.CITIES[3][5]
    texts.append(
        peer.get(
            "/recovery/directory/",
            {"need": sample.need_id("dv"), "latitude": lat, "longitude": lon, "within_km": 500},
        ).content.decode()
    )
    texts.append(peer.get("/recovery/directory/", {"words": "safe harbor"}).content.decode())
    from pillars.core.tokens import create_token

    _, secret = create_token(loaded.user("admin"), name="t", scopes=["read", "write"], days=1)
    api = Client(headers={"Authorization": f"Bearer {secret}"})
    for shelter in shelters:
        texts.append(api.get(f"/api/v1/directory/services/{shelter.public_id}").content.decode())
    texts.append(api.get("/api/v1/directory/services", {"words": "safe harbor"}).content.decode())
    texts.append(api.get("/api/v1/directory/export").content.decode())
    files = services.export_package(actor=loaded.user("admin"))
    texts.extend(data.decode() for data in files.values())
    assert any("Safe Harbor" in t for t in texts)  # the shelters are there, their places not
    for text in texts:
        for street in streets:
            assert street not in text
        for value in coords:
            assert value not in text
        assert CONFIDENTIAL_STREET not in text
    confidential_rows = [
        line for line in files["locations.csv"].decode().splitlines() if ",true" in line
    ]
    assert len(confidential_rows) == 2
    dv = selectors.search(
        loaded.user("peer"),
        selectors.DirectoryQuery(need="dv", latitude=lat, longitude=lon, within_km=500),
    )
    assert all(not selectors.is_confidential(r.service) for r in dv)


# --- Saved resources ------------------------------------------------------------------------


@pytest.mark.django_db
def test_peer_saves_a_resource_for_a_person(loaded: World) -> None:
    service = HsdsService.objects.first()
    assert service is not None
    saved = services.save_resource(
        loaded.person_a, service, actor=loaded.user("peer"), note="Call Monday"
    )
    assert saved.saved_by == loaded.staff["peer"]
    event = AuditEvent.objects.filter(action="create", object_id=str(saved.public_id)).get()
    assert event.person_id == loaded.person_a.public_id
    with pytest.raises(PermissionDenied):
        services.save_resource(loaded.person_a, service, actor=loaded.user("bht"))
    assert list(selectors.saved_for(loaded.person_a, loaded.user("nurse"))) == [saved]
    assert list(selectors.saved_for(loaded.person_a, loaded.user("outsider"))) == []
    assert SavedResource.objects.count() == 1


@pytest.mark.django_db
def test_a_save_form_sent_twice_saves_once(loaded: World, signed_in: Any) -> None:
    """The save form carries a replay key: a double tap saves the service once for the person."""
    service = HsdsService.objects.first()
    assert service is not None
    client = signed_in("peer")
    url = reverse("recovery:directory-save", args=[service.public_id])
    assert 'name="client_id"' in client.get(url).content.decode()
    form = {
        "person": str(loaded.person_a.public_id),
        "note": "Call Monday",
        "client_id": "6f1c2f0e-3d4b-4c55-9a51-0d6f3b7e9a10",
    }
    first = client.post(url, form)
    second = client.post(url, form)
    assert first.status_code == second.status_code == 302
    assert SavedResource.objects.filter(person=loaded.person_a).count() == 1
    client.post(url, {**form, "note": "Other words"})
    assert [r.note for r in SavedResource.objects.all()] == ["Call Monday"]


# --- Command and pages ----------------------------------------------------------------------


@pytest.mark.django_db
def test_hsds_command_imports_and_exports(world: World, tmp_path: Path) -> None:
    folder = sample.write(tmp_path / "pkg", 10)
    out = io.StringIO()
    call_command("hsds", "import", str(folder), "--as", "t-admin", stdout=out)
    assert "ready to import" in out.getvalue()
    assert HsdsService.objects.count() == 0
    call_command("hsds", "import", str(folder), "--as", "t-admin", "--commit", stdout=out)
    assert HsdsService.objects.count() == 10
    call_command("hsds", "export", str(tmp_path / "out"), "--as", "t-admin", stdout=out)
    assert (tmp_path / "out" / "services.csv").exists()
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("hsds", "import", str(DATA / "hsds_example"), "--as", "t-admin", stderr=err)
    assert "locations.csv row 2, field organization_id" in err.getvalue()


@pytest.mark.django_db
def test_import_page_previews_then_commits(world: World, signed_in: Any) -> None:
    admin = signed_in("admin")
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        for name, data in package(10).items():
            z.writestr(f"pkg/{name}", data)
    archive.seek(0)
    archive.name = "pkg.zip"
    response = admin.post("/recovery/directory/import/", {"package": archive})
    assert response.status_code == 200
    assert b"Ready to import" in response.content
    assert HsdsService.objects.count() == 0
    pending = response.context["confirm"].initial["pending"]
    response = admin.post("/recovery/directory/import/", {"pending": str(pending)})
    assert response.status_code == 302
    assert HsdsService.objects.count() == 10

    bad = io.BytesIO()
    with zipfile.ZipFile(bad, "w") as z:
        for path in (DATA / "hsds_example").iterdir():
            z.writestr(path.name, path.read_bytes())
    bad.seek(0)
    bad.name = "bad.zip"
    response = admin.post("/recovery/directory/import/", {"package": bad})
    assert b"Problems found" in response.content
    assert b"organization_id" in response.content


@pytest.mark.django_db
def test_api_import_dry_run_and_commit(world: World) -> None:
    from pillars.core.tokens import create_token

    _, secret = create_token(world.user("admin"), name="t", scopes=["read", "write"], days=1)
    api = Client(headers={"Authorization": f"Bearer {secret}"})
    body: dict[str, Any] = {
        "package_base64": base64.b64encode(services.zip_files(package(10))).decode()
    }
    response = api.post("/api/v1/directory/import", body, content_type="application/json")
    assert response.status_code == 200, response.content
    assert response.json()["committed"] is False
    assert HsdsService.objects.count() == 0
    body["commit"] = True
    response = api.post("/api/v1/directory/import", body, content_type="application/json")
    assert response.json()["committed"] is True
    assert HsdsService.objects.count() == 10
