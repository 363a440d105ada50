"""The export runs on the worker: a kick-off queues a Django task once its transaction commits,
``pillars worker``'s task step runs it, and the worker's sweeps include the expiry sweep."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest

from pillars.core.management.commands.worker import registered_sweeps, run_queued_tasks
from pillars.insights.fhir.models import ExportJob
from pillars.insights.fhir.sweeps import sweep_expired_exports
from pillars.insights.tests.fhir_support import bearer
from pillars.people.testing import World


@pytest.fixture(autouse=True)
def export_dir(settings: Any, tmp_path: Path) -> Path:
    settings.FHIR_EXPORT_DIR = str(tmp_path / "fhir")
    return tmp_path / "fhir"


@pytest.mark.django_db(transaction=True)
def test_the_worker_runs_a_queued_export(world: World) -> None:
    client = bearer(world, "director")
    started = client.get("/fhir/Patient/$export")
    assert started.status_code == 202
    job = ExportJob.objects.get()
    assert job.status == ExportJob.Status.QUEUED
    run_queued_tasks(threading.Event())
    job.refresh_from_db()
    assert job.status == ExportJob.Status.DONE
    manifest = json.loads(client.get(started["Content-Location"]).content)
    assert {e["type"] for e in manifest["output"]} >= {"Patient", "Encounter"}


def test_the_expiry_sweep_is_registered() -> None:
    assert sweep_expired_exports in registered_sweeps()
