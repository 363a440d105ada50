"""CSV import: every bad row reported by line, nothing imported when any row is bad."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from pillars.audit.models import AuditEvent
from pillars.core import clock
from pillars.core.management.commands.worker import registered_sweeps
from pillars.people import importing
from pillars.people.importing import sweep_expired
from pillars.people.models import PendingImport, PersonServed, Placement, Staff
from pillars.people.testing import World

STAFF_GOOD = (
    "username,display_name,hired_on,roles,home_units,email,badge_number,supervisor,languages\n"
    "kim.lead,Kim Lead,2024-02-01,supervisor,a,kim@example.org,B900,,English\n"
    "pat.peer,Pat Peer,2024-03-01,peer,a;b,,B901,kim.lead,English;Spanish\n"
    "lee.tech,Lee Tech,2024-04-01,bht,b,,,t-supervisor,\n"
)

PERSONS_GOOD = (
    "record_number,legal_given_name,legal_family_name,date_of_birth,preferred_name,unit,bed\n"
    "MRN-100,Robin,Hale,1985-07-04,Rob,a,A100-B\n"
    "MRN-101,Casey,Moss,2002-12-31,,b,\n"
    "MRN-102,Dana,Frost,1970-01-01,,,\n"
)


def run(world: World, kind: str, text: str | bytes, commit: bool = False) -> importing.Report:
    data = text.encode() if isinstance(text, str) else text
    return importing.run(kind, data, actor=world.user("admin"), commit=commit, source="t.csv")


def lines(report: importing.Report) -> list[str]:
    return [str(p) for p in report.problems]


def test_staff_dry_run_writes_nothing_but_the_audit_event(world: World) -> None:
    before = Staff.objects.count()
    report = run(world, "staff", STAFF_GOOD)
    assert report.ok
    assert report.rows == 3
    assert not report.committed
    assert Staff.objects.count() == before
    event = AuditEvent.objects.order_by("-seq").first()
    assert event is not None
    assert event.action == "import"
    assert event.detail["dry_run"] is True
    assert event.detail["rows"] == 3


def test_staff_commit_imports_every_row_through_the_service(world: World) -> None:
    report = run(world, "staff", STAFF_GOOD, commit=True)
    assert report.committed
    assert report.imported == 3
    pat = Staff.objects.get(user__username="pat.peer")
    assert pat.supervisor == Staff.objects.get(user__username="kim.lead")  # from an earlier line
    assert pat.languages == ["English", "Spanish"]
    assert sorted(u.code for u in pat.home_units.all()) == ["a", "b"]
    lee = Staff.objects.get(user__username="lee.tech")
    assert lee.supervisor == world.staff["supervisor"]  # already in Pillars
    creates = AuditEvent.objects.filter(action="create", object_type="people.staff")
    assert creates.count() == 3
    summary = AuditEvent.objects.filter(action="import").order_by("-seq").first()
    assert summary is not None
    assert summary.detail["dry_run"] is False
    assert summary.detail["imported"] == 3


def test_any_bad_staff_row_imports_nothing_and_each_is_named_by_line(world: World) -> None:
    text = (
        "username,display_name,hired_on,roles,home_units,badge_number,supervisor\n"
        "ok.one,Ok One,2024-01-01,bht,a,,\n"  # line 2: good
        "bad.date,Bad Date,01/02/2024,bht,a,,\n"  # line 3
        "bad.role,Bad Role,2024-01-01,wizard,a,,\n"  # line 4
        "ok.one,Dup,2024-01-01,bht,a,,\n"  # line 5: duplicate of line 2
        "t-bht,Taken,2024-01-01,bht,a,,\n"  # line 6: exists
        "bad.unit,Bad Unit,2024-01-01,bht,zz,B100,\n"  # line 7: unit and a badge in use
        "late.boss,Late Boss,2024-01-01,bht,a,,later.sup\n"  # line 8: supervisor comes later
        "later.sup,Later Sup,2024-01-01,supervisor,a,,\n"  # line 9: good
    )
    before = Staff.objects.count()
    report = run(world, "staff", text, commit=True)
    assert not report.committed
    assert Staff.objects.count() == before
    assert lines(report) == [
        "line 3: hired_on '01/02/2024' is not a date in the form YYYY-MM-DD",
        "line 4: unknown role 'wizard' (roles: admin, bht, clinician, director, nurse, peer, "
        "privacy, supervisor)",
        "line 5: username 'ok.one' is already on line 2",
        "line 6: username 't-bht' is already taken in Pillars",
        "line 7: unit code 'zz' does not exist",
        "line 7: badge_number 'B100' is already in use",
        "line 8: supervisor 'later.sup' is not a staff member (put them on an earlier line, or "
        "import them first)",
    ]


def test_header_problems_are_on_line_one(world: World) -> None:
    report = run(world, "staff", "username,name,roles,roles\nx,y,z,z\n")
    assert lines(report) == [
        "line 1: unknown column 'name' (columns: username, display_name, hired_on, roles, "
        "home_units, email, job_title, badge_number, supervisor, languages)",
        "line 1: column 'roles' appears twice",
        "line 1: missing required column 'display_name'",
        "line 1: missing required column 'hired_on'",
    ]


def test_line_numbers_count_blank_and_multi_line_rows(world: World) -> None:
    text = (
        "record_number,legal_given_name,legal_family_name,date_of_birth,pronouns\n"
        '"MRN-1",Ann,"Two\nLines",1990-01-01,\n'  # lines 2-3
        "\n"  # line 4, blank: skipped
        "MRN-2,Bo,Ray,2999-01-01,\n"  # line 5
        "MRN-3,Cy,Ray\n"  # line 6: too few values
    )
    report = run(world, "persons", text)
    assert lines(report) == [
        "line 5: date_of_birth is in the future",
        "line 6: has 3 values; the header has 5",
    ]


def test_persons_commit_admits_by_unit_and_bed(world: World) -> None:
    report = run(world, "persons", PERSONS_GOOD, commit=True)
    assert report.committed
    robin = PersonServed.objects.get(record_number="MRN-100")
    placement = Placement.objects.current().get(episode__person=robin)
    assert placement.unit == world.unit_a
    assert placement.bed == world.beds_a[1]
    casey = PersonServed.objects.get(record_number="MRN-101")
    assert Placement.objects.current().get(episode__person=casey).unit == world.unit_b
    dana = PersonServed.objects.get(record_number="MRN-102")
    assert not Placement.objects.filter(episode__person=dana).exists()
    assert AuditEvent.objects.filter(action="create", object_type="people.episode").count() == 2


def test_bad_person_rows(world: World) -> None:
    text = (
        "record_number,legal_given_name,legal_family_name,date_of_birth,unit,bed\n"
        "MRN-A1,Al,Ray,1990-01-01,,\n"  # line 2: exists
        "MRN-5,,Ray,1990-02-30,,\n"  # line 3: empty name, impossible date
        "MRN-6,Al,Ray,1990-01-01,a,A100-A\n"  # line 4: occupied bed
        "MRN-7,Al,Ray,1990-01-01,a,B100-A\n"  # line 5: bed on another unit
        "MRN-8,Al,Ray,1990-01-01,,A100-B\n"  # line 6: bed without unit
        "MRN-9,Al,Ray,1990-01-01,a,A100-B\n"  # line 7: good
        "MRN-10,Al,Ray,1990-01-01,a,A100-B\n"  # line 8: same bed as line 7
        "MRN-9,Al,Ray,1990-01-01,,\n"  # line 9: duplicate record number
    )
    report = run(world, "persons", text, commit=True)
    assert not report.committed
    assert not PersonServed.objects.filter(record_number="MRN-9").exists()
    assert lines(report) == [
        "line 2: record_number 'MRN-A1' already exists in Pillars",
        "line 3: legal_given_name is empty",
        "line 3: date_of_birth '1990-02-30' is not a date in the form YYYY-MM-DD",
        "line 4: bed 'A100-A' is occupied",
        "line 5: bed 'B100-A' is not on unit 'a'",
        "line 6: bed is given without a unit",
        "line 8: bed 'A100-B' is already used on line 7",
        "line 9: record_number 'MRN-9' is already on line 7",
    ]


def test_non_utf8_and_oversized_files_are_refused(world: World) -> None:
    with pytest.raises(importing.FileRefused, match="not UTF-8"):
        run(world, "persons", "record_number\nJos\xe9\n".encode("latin-1"))
    big = b"record_number\n" + b"x" * (importing.MAX_BYTES + 1)
    with pytest.raises(importing.FileRefused, match="limit is 5 MB"):
        run(world, "persons", big)
    # A byte-order mark (spreadsheet "CSV UTF-8") is fine.
    assert run(world, "persons", b"\xef\xbb\xbf" + PERSONS_GOOD.encode()).ok


def test_only_administrators_may_import(world: World) -> None:
    with pytest.raises(PermissionDenied):
        importing.run("persons", PERSONS_GOOD.encode(), actor=world.user("nurse"))


# --- The command ------------------------------------------------------------------------------


def test_command_dry_run_then_commit(world: World, tmp_path: Path, capsys: Any) -> None:
    path = tmp_path / "staff.csv"
    path.write_text(STAFF_GOOD)
    call_command("import", "staff", str(path), "--as", "t-admin")
    out = capsys.readouterr().out
    assert "3 rows of staff are ready to import" in out
    assert not Staff.objects.filter(user__username="kim.lead").exists()
    call_command("import", "staff", str(path), "--as", "t-admin", "--commit")
    assert "Imported 3 rows of staff." in capsys.readouterr().out
    assert Staff.objects.filter(user__username="kim.lead").exists()


def test_command_reports_bad_lines_and_fails(world: World, tmp_path: Path, capsys: Any) -> None:
    path = tmp_path / "persons.csv"
    path.write_text(PERSONS_GOOD + "MRN-103,Eve,Oak,tomorrow,,,\n")
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import", "persons", str(path), "--as", "t-admin", "--commit")
    out = capsys.readouterr().out
    assert "line 5: date_of_birth 'tomorrow' is not a date in the form YYYY-MM-DD" in out
    assert not PersonServed.objects.filter(record_number="MRN-100").exists()


def test_command_needs_an_administrator(world: World, tmp_path: Path) -> None:
    path = tmp_path / "persons.csv"
    path.write_text(PERSONS_GOOD)
    with pytest.raises(CommandError, match="may not import"):
        call_command("import", "persons", str(path), "--as", "t-nurse")
    with pytest.raises(CommandError, match="No active user"):
        call_command("import", "persons", str(path), "--as", "nobody")


def test_command_help_describes_the_columns(capsys: Any) -> None:
    with pytest.raises(SystemExit):
        call_command("import", "--help")
    out = capsys.readouterr().out
    for column in ("record_number", "date_of_birth", "username", "hired_on", "--commit", "--as"):
        assert column in out


# --- The page ---------------------------------------------------------------------------------


def check(client: Any, kind: str, name: str, data: bytes, content_type: str = "text/csv") -> Any:
    upload = SimpleUploadedFile(name, data, content_type=content_type)
    return client.post(reverse("people:import"), {"kind": kind, "file": upload})


def confirm(client: Any, pending: Any) -> Any:
    return client.post(reverse("people:import"), {"pending": str(pending)})


def test_import_page_dry_run_then_confirm(world: World, signed_in: Any) -> None:
    client = signed_in("admin")
    response = check(client, "persons", "persons.csv", PERSONS_GOOD.encode())
    body = response.content.decode()
    assert response.status_code == 200
    assert "Import 3 rows" in body
    assert "waits for your confirmation until" in body
    assert not PersonServed.objects.filter(record_number="MRN-100").exists()
    # The checked bytes wait in their own table, not in the session.
    pending = PendingImport.objects.get()
    assert bytes(pending.data) == PERSONS_GOOD.encode()
    assert pending.uploaded_by == world.user("admin")
    assert pending.expires_at == pending.created_at + timedelta(minutes=importing.PENDING_MINUTES)
    assert str(pending.public_id) in body
    assert not [key for key, _ in client.session.items() if "import" in key]
    dry_run = AuditEvent.objects.filter(action="import").last()
    assert dry_run is not None
    assert dry_run.detail["pending"] == str(pending.public_id)
    response = confirm(client, pending.public_id)
    assert response.status_code == 302
    assert PersonServed.objects.filter(record_number__in=["MRN-100", "MRN-101"]).count() == 2
    assert not PendingImport.objects.exists()
    # The commit names the same file (its checksum) as the dry run.
    committed = AuditEvent.objects.filter(action="import").last()
    assert committed is not None
    assert committed.object_id == dry_run.object_id
    assert committed.detail["dry_run"] is False
    # The same confirmation cannot be replayed.
    response = confirm(client, pending.public_id)
    assert response.status_code == 302
    assert PersonServed.objects.filter(record_number="MRN-100").count() == 1


def test_a_checked_file_expires_and_is_swept(world: World, signed_in: Any) -> None:
    client = signed_in("admin")
    start = clock.now()
    with time_machine.travel(start, tick=False) as traveller:
        check(client, "persons", "persons.csv", PERSONS_GOOD.encode())
        pending = PendingImport.objects.get()
        traveller.shift(timedelta(minutes=importing.PENDING_MINUTES, seconds=1))
        client = signed_in("admin")
        response = confirm(client, pending.public_id)
        assert response.status_code == 302
        assert "expired" in client.get(reverse("people:import")).content.decode()
        assert not PersonServed.objects.filter(record_number="MRN-100").exists()
        assert sweep_expired(clock.now()) == 1
    assert not PendingImport.objects.exists()
    assert sweep_expired in registered_sweeps()


def test_only_the_administrator_who_checked_a_file_confirms_it(
    world: World, signed_in: Any
) -> None:
    from pillars.people.testing import make_staff

    check(signed_in("admin"), "persons", "persons.csv", PERSONS_GOOD.encode())
    pending = PendingImport.objects.get()
    other = make_staff("t-admin-two", ["admin"], [world.unit_a])
    assert importing.commit_pending(pending.public_id, actor=other.user) is None
    assert not PersonServed.objects.filter(record_number="MRN-100").exists()
    assert PendingImport.objects.filter(pk=pending.pk).exists()
    with pytest.raises(PermissionDenied):
        importing.commit_pending(pending.public_id, actor=world.user("nurse"))


def test_checking_another_file_replaces_the_waiting_one(world: World, signed_in: Any) -> None:
    client = signed_in("admin")
    check(client, "persons", "persons.csv", PERSONS_GOOD.encode())
    first = PendingImport.objects.get()
    check(client, "staff", "staff.csv", STAFF_GOOD.encode())
    second = PendingImport.objects.get()
    assert second.pk != first.pk
    assert second.kind == "staff"
    assert confirm(client, first.public_id).status_code == 302
    assert not PersonServed.objects.filter(record_number="MRN-100").exists()


def test_import_page_reports_bad_rows_and_offers_no_import(world: World, signed_in: Any) -> None:
    client = signed_in("admin")
    text = PERSONS_GOOD + "MRN-100,Dup,Row,1990-01-01,,,\n"
    response = check(client, "persons", "persons.csv", text.encode())
    body = response.content.decode()
    assert response.status_code == 200
    assert "record_number &#x27;MRN-100&#x27; is already on line 2" in body
    assert "Import 4 rows" not in body
    assert not PendingImport.objects.exists()


def test_import_page_refuses_non_utf8(world: World, signed_in: Any) -> None:
    response = check(
        signed_in("admin"), "staff", "staff.csv", "username\nJos\xe9\n".encode("utf-16")
    )
    assert response.status_code == 200
    assert "not UTF-8" in response.content.decode()


@pytest.mark.parametrize(
    ("name", "content_type", "data", "message"),
    [
        ("staff.xlsx", "text/csv", b"username\n", "the name must end in .csv"),
        (
            "staff.csv",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            b"username\n",
            "not text/csv",
        ),
        ("staff.csv", "image/png", b"username\n", "sent as image/png"),
        ("staff.csv", "text/csv", b"PK\x03\x04rest-of-a-zip", "spreadsheet workbook (.xlsx)"),
        ("staff.csv", "text/csv", b"%PDF-1.7 ...", "a PDF document"),
    ],
)
def test_import_page_refuses_files_that_are_not_csv(
    world: World, signed_in: Any, name: str, content_type: str, data: bytes, message: str
) -> None:
    response = check(signed_in("admin"), "staff", name, data, content_type)
    body = response.content.decode()
    assert response.status_code == 200
    assert message in body
    assert "CSV UTF-8" in body
    assert 'id="id_file_error"' in body
    assert not PendingImport.objects.exists()


@pytest.mark.parametrize("content_type", ["application/vnd.ms-excel", "text/plain", ""])
def test_csv_files_as_browsers_label_them_are_accepted(
    world: World, signed_in: Any, content_type: str
) -> None:
    response = check(
        signed_in("admin"), "persons", "persons.CSV", PERSONS_GOOD.encode(), content_type
    )
    assert "Import 3 rows" in response.content.decode()


def test_an_upload_over_the_limit_is_refused_naming_it(world: World, signed_in: Any) -> None:
    big = b"record_number\n" + b"x" * (importing.MAX_BYTES + 1)
    response = check(signed_in("admin"), "persons", "big.csv", big)
    body = response.content.decode()
    assert response.status_code == 200
    assert f"the limit is 5 MB ({importing.MAX_BYTES} bytes)" in body
    assert not AuditEvent.objects.filter(action="import").exists()
