"""The export's writes and guarded reads: kick-off, poll, cancel, and a file's release.

Each checks the policy layer first (``insights.bulk_export``), writes in one transaction with
its audit event, and answers 404 for a job that is not the caller's (or is cancelled or
expired), exactly as for a job that does not exist."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

from django.apps import apps
from django.db import transaction
from django.db.models import Q
from django.http import Http404

from pillars.audit import log as audit
from pillars.audit.choices import Action, Category, Purpose
from pillars.core import clock, exports, policy
from pillars.insights.fhir import reading
from pillars.insights.fhir.models import ExportJob
from pillars.insights.fhir.tasks import run_export
from pillars.people.models import Program, Unit

ACTION = "insights.bulk_export"
Status = ExportJob.Status


@dataclass(frozen=True)
class Request:
    """A parsed kick-off: level, group (kind and public id), ``_since``, ``_type`` and the
    request's own URL (the manifest's ``request``)."""

    level: str
    url: str
    group_kind: str = ""
    group_id: UUID | None = None
    since: datetime | None = None
    types: tuple[str, ...] = ()


class TooSoon(Exception):
    """The status was polled again before Retry-After allowed: answer 429."""

    def __init__(self, seconds: int) -> None:
        super().__init__(f"poll again in {seconds} seconds")
        self.seconds = seconds


def find_group(user: Any, kind: str, public_id: UUID) -> Unit | Program:
    """A unit or program by public id: 404 when it does not exist or the requester may not
    see it (a program is seen through its units), 403 when seen but not allowed."""
    actor = policy.actor_for(user)
    unit = Unit.objects.filter(public_id=public_id).first() if kind in ("", "unit") else None
    if unit is not None:
        policy.require(actor, ACTION, unit)
        return unit
    program = Program.objects.filter(public_id=public_id).first()
    seen = program is not None and (
        policy.restrict(Unit.objects.all(), actor, "people.view_unit")
        .filter(programs=program)
        .exists()
    )
    if program is None or not seen:
        raise Http404("Not found")
    policy.require(actor, ACTION)
    return program


def may_export(user: Any) -> None:
    """403 unless the policy layer lets the caller export (checked before the request's
    content, so a refusal never depends on how the request was written)."""
    policy.require(user, ACTION)


def kick_off(user: Any, request: Request) -> ExportJob:
    """Queue an export for the worker; audited as the start of an export."""
    actor = policy.require(user, ACTION)
    now = clock.now()
    with transaction.atomic():
        job = ExportJob.objects.create(
            requested_by_id=actor.staff_pk,
            level=request.level,
            group_kind=request.group_kind,
            group_id=request.group_id,
            since=request.since,
            types=list(request.types),
            request_url=request.url[:2000],
            requested_at=now,
            # A job the worker never finishes is swept as well.
            expires_at=now + reading.time_to_keep(),
        )
        audit.record(
            actor.user,
            Action.EXPORT,
            job,
            purpose=Purpose.OPERATIONS,
            detail={
                "event": "FHIR bulk export requested",
                "level": request.level,
                "group": str(request.group_id) if request.group_id else "",
                "group_kind": request.group_kind,
                "since": request.since.isoformat() if request.since else "",
                "types": list(request.types),
            },
        )
        transaction.on_commit(lambda: run_export.enqueue(job.pk))
    return job


def get_job_for(user: Any, public_id: UUID) -> ExportJob:
    """The caller's own job, while it lasts; 404 for anything else, then 403 for a caller
    who may no longer export."""
    actor = policy.actor_for(user)
    now = clock.now()
    job = (
        ExportJob.objects.filter(public_id=public_id, requested_by_id=actor.staff_id)
        .exclude(status=Status.CANCELLED)
        .first()
        if actor.staff_id is not None
        else None
    )
    if job is None or job.is_expired_at(now):
        raise Http404("Not found")
    policy.require(actor, ACTION)
    return job


def poll(user: Any, public_id: UUID) -> ExportJob:
    """The job's status. While it runs, a caller may poll once per Retry-After: a faster poll
    raises TooSoon (compare-and-set on ``polled_at``, so two polls at once cannot both pass)."""
    job = get_job_for(user, public_id)
    if job.status not in (Status.QUEUED, Status.RUNNING):
        return job
    wait = reading.retry_after_seconds()
    now = clock.now()
    moved = (
        ExportJob.objects.filter(pk=job.pk)
        .filter(Q(polled_at__isnull=True) | Q(polled_at__lte=now - timedelta(seconds=wait)))
        .update(polled_at=now)
    )
    if not moved:
        job.refresh_from_db(fields=["polled_at"])
        last = job.polled_at or now
        remaining = max(1, int((last + timedelta(seconds=wait) - now).total_seconds() + 0.999))
        raise TooSoon(remaining)
    return job


def cancel(user: Any, public_id: UUID) -> ExportJob:
    """Cancel a running export or delete a finished one's files (DELETE on the status URL);
    afterwards the status URL answers 404."""
    job = get_job_for(user, public_id)
    with transaction.atomic():
        ExportJob.objects.filter(pk=job.pk).exclude(status=Status.CANCELLED).update(
            status=Status.CANCELLED, progress=""
        )
        audit.record(
            user,
            Action.UPDATE,
            job,
            purpose=Purpose.OPERATIONS,
            detail={"event": "FHIR bulk export cancelled", "was": job.status},
        )
    shutil.rmtree(reading.job_dir(job), ignore_errors=True)
    job.status = Status.CANCELLED
    return job


@dataclass(frozen=True)
class File:
    path: Path
    release: exports.Release


def open_file(user: Any, public_id: UUID, name: str) -> File:
    """One file of a finished export, released through the one export door (its Part 2 rule,
    disclosure log and notice): every download is an audited export."""
    job = get_job_for(user, public_id)
    entry = job.files().get(name) if job.status == Status.DONE else None
    path = reading.job_dir(job) / name
    if entry is None or not path.is_file():
        raise Http404("Not found")
    release = exports.release(
        user,
        what=f"fhir.{entry['type']}",
        fmt="ndjson",
        records=_part2_records(entry.get("records", [])),
        part2=bool(entry.get("part2")),
        purpose=Purpose.OPERATIONS,
        detail={
            "job": str(job.public_id),
            "file": name,
            "count": entry["count"],
            **({"export_consents": job.consent_ids} if entry.get("part2") else {}),
        },
    )
    return File(path=path, release=release)


def _part2_records(keys: list[list[Any]]) -> list[Any]:
    """The Part 2 records a file holds, read again so that ``release`` checks each one's
    consent now (a consent revoked since the export makes the file answer 404)."""
    by_model: dict[str, list[int]] = {}
    for label, pk in keys:
        by_model.setdefault(label, []).append(pk)
    found: list[Any] = []
    for label, pks in by_model.items():
        rows = list(apps.get_model(label).objects.filter(pk__in=pks))
        if len(rows) != len(set(pks)):
            raise Http404("Not found")
        found.extend(rows)
    return found


def sweep_expired(now: datetime) -> list[ExportJob]:
    """The jobs whose time is up (finished ones past Expires, cancelled ones, never-finished
    ones): the sweep deletes their files and rows."""
    return list(
        ExportJob.objects.filter(Q(expires_at__lte=now) | Q(status=Status.CANCELLED)).order_by(
            "expires_at"
        )[:500]
    )


def delete_job(job: ExportJob) -> None:
    shutil.rmtree(reading.job_dir(job), ignore_errors=True)
    deleted, _ = ExportJob.objects.filter(pk=job.pk).delete()
    if deleted:
        audit.record(
            actor=None,
            actor_label="fhir export sweep",
            action=Action.VOID,
            target=job,
            category=Category.NONE,
            purpose=Purpose.OPERATIONS,
            detail={"event": "FHIR bulk export files deleted", "status": job.status},
        )
