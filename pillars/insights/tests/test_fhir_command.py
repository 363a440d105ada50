"""``pillars fhir export`` writes the same files from the command line, as a named director or
privacy officer, audited; and every read of an export goes through one database alias."""

from __future__ import annotations

import json
import os
import stat
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from pillars.audit.models import AuditEvent
from pillars.core import policy, replica
from pillars.insights.fhir import mappers, reading
from pillars.insights.fhir.context import Context
from pillars.insights.fhir.export import persons_for, write_export
from pillars.insights.tests.fhir_support import build_records, resource_class
from pillars.people.testing import World

pytestmark = pytest.mark.django_db


def test_the_command_writes_valid_files_and_is_audited(world: World, tmp_path: Path) -> None:
    records = build_records(world)
    out = StringIO()
    call_command("fhir", "export", "--out", str(tmp_path), "--as", "t-director", stdout=out)
    written = {p.stem: p for p in tmp_path.glob("*.ndjson")}
    assert {"Patient", "Observation", "Flag", "CarePlan", "Goal", "Task"} <= set(written)
    for kind, path in written.items():
        for line in path.read_text().splitlines():
            resource_class(kind).model_validate(json.loads(line))
    assert str(records.check.public_id) in written["Observation"].read_text()
    assert "Patient.ndjson" in out.getvalue()
    event = AuditEvent.objects.filter(object_type="fhir.bulk").latest("seq")
    assert event.actor == world.user("director")
    assert event.detail["counts"]["Patient"] == 2


def test_the_files_are_owner_only(world: World, tmp_path: Path) -> None:
    """The files name persons served: under the usual umask (022) they would be readable by
    every account on the host; the folder the command makes is owner-only too."""
    build_records(world)
    previous = os.umask(0o022)
    try:
        call_command(
            "fhir",
            "export",
            "--out",
            str(tmp_path / "out"),
            "--as",
            "t-director",
            stdout=StringIO(),
        )
    finally:
        os.umask(previous)
    written = list((tmp_path / "out").iterdir())
    assert written
    assert stat.S_IMODE((tmp_path / "out").stat().st_mode) == 0o700
    assert {p.name: stat.S_IMODE(p.stat().st_mode) for p in written} == {
        p.name: 0o600 for p in written
    }


def test_the_command_refuses_others_and_bad_input(world: World, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="Not allowed"):
        call_command("fhir", "export", "--out", str(tmp_path), "--as", "t-nurse")
    with pytest.raises(CommandError, match="zoned"):
        call_command(
            "fhir", "export", "--out", str(tmp_path), "--as", "t-director", "--since", "2026-01-01"
        )
    with pytest.raises(CommandError, match="Unknown"):
        call_command(
            "fhir", "export", "--out", str(tmp_path), "--as", "t-director", "--type", "Drug"
        )
    assert not list(tmp_path.iterdir())


def test_a_deactivated_account_exports_nothing(world: World, tmp_path: Path) -> None:
    """A director who has left keeps no right to the records: the command names no user."""
    director = world.user("director")
    director.is_active = False
    director.save(update_fields=["is_active"])
    with pytest.raises(CommandError, match="No active user named 't-director'"):
        call_command("fhir", "export", "--out", str(tmp_path), "--as", "t-director")
    with pytest.raises(CommandError, match="No active user named 'nobody'"):
        call_command("fhir", "export", "--out", str(tmp_path), "--as", "nobody")
    assert not list(tmp_path.iterdir())
    assert not AuditEvent.objects.filter(object_type="fhir.bulk").exists()


def test_reads_go_through_the_replica_when_one_is_configured(
    world: World, monkeypatch: Any
) -> None:
    assert reading.read_alias() == "default"
    # A replica that answers, caught up (core.replica decides; its own tests cover the rest).
    monkeypatch.setattr(replica, "configured", lambda: True)
    monkeypatch.setattr(replica, "_replica_position", lambda: (0.0, None))
    assert reading.read_alias(world.user("director")) == "replica"
    monkeypatch.setattr(replica, "_replica_position", lambda: None)
    assert reading.read_alias(world.user("director")) == "default"


def test_every_export_query_uses_the_context_alias(
    world: World, tmp_path: Path, monkeypatch: Any
) -> None:
    """Each mapper reads through ``Context.read``/``of_persons``: with an alias that does not
    exist, the first read of every source fails instead of quietly using the primary."""
    build_records(world)
    # The privacy officer: the only one whose export reads the audit log.
    actor = policy.actor_for(world.user("privacy"))
    persons, _ = persons_for(actor)

    for kind, sources in mappers.SOURCES.items():
        for source in sources:
            ctx = Context(actor=actor, alias="nowhere", persons=persons)
            with pytest.raises(Exception, match="nowhere"):
                for _ in source(ctx):
                    pass
            assert kind, source.__name__
    written = write_export(actor, tmp_path, persons=persons)
    assert written.counts()["Patient"] == 2


def test_the_export_reads_in_batches_not_per_record(world: World, tmp_path: Path) -> None:
    """The number of queries does not grow with the records: the same export with three more
    persons served (each with an episode and a stay) costs the same queries."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from pillars.people.testing import make_person, place

    build_records(world)
    actor = policy.actor_for(world.user("privacy"))

    def queries(out: Path) -> tuple[int, int]:
        persons, _ = persons_for(actor)
        with CaptureQueriesContext(connection) as captured:
            written = write_export(actor, out, persons=persons)
        return len(captured), sum(written.counts().values())

    before, resources_before = queries(tmp_path / "one")
    for n in range(3):
        person = make_person(f"MRN-Q{n}", f"Queries{n}")
        place(person, world.unit_a, world.beds_a[n + 1], world.staff["nurse"])
    after, resources_after = queries(tmp_path / "two")
    assert resources_after > resources_before
    # Audit events of the three admissions add rows, never queries.
    assert after == before, (before, after)
