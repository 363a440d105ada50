"""The export's background work, run by ``pillars worker`` (Django Tasks, database backend)."""

from __future__ import annotations

import logging
import shutil
from typing import Any

from django.db import transaction
from django.tasks import task

from pillars.audit import log as audit
from pillars.audit.choices import Action, Outcome, Purpose
from pillars.core import clock, policy
from pillars.insights.fhir import reading
from pillars.insights.fhir.export import persons_for, write_export
from pillars.insights.fhir.models import ExportJob
from pillars.people.models import Program, Unit

logger = logging.getLogger(__name__)
Status = ExportJob.Status


def _group(job: ExportJob, alias: str) -> Unit | Program | None:
    if job.level != ExportJob.Level.GROUP or job.group_id is None:
        return None
    model = Unit if job.group_kind == "unit" else Program
    return model.objects.using(alias).get(public_id=job.group_id)


def _finish(
    job: ExportJob,
    status: str,
    fields: dict[str, Any],
    *,
    action: str,
    detail: dict[str, Any],
    outcome: str = Outcome.SUCCESS,
) -> bool:
    """End a running job with ``status`` and ``fields`` and audit how it ended, in one
    transaction; False (and no event) when it no longer runs (cancelled meanwhile)."""
    ended = clock.now()
    with transaction.atomic():
        ended_job = ExportJob.objects.filter(pk=job.pk, status=Status.RUNNING).update(
            status=status, finished_at=ended, expires_at=ended + reading.time_to_keep(), **fields
        )
        if ended_job:
            audit.record(
                job.requested_by.user,
                action,
                job,
                outcome=outcome,
                purpose=Purpose.OPERATIONS,
                detail=detail,
            )
    return bool(ended_job)


@task()
def run_export(job_id: int) -> str:
    """Run a queued export once: claim it (a task run twice writes nothing twice), write its
    files from the read database, then mark it done with its manifest's lists. A job cancelled
    meanwhile stops between resource types and its files are removed."""
    now = clock.now()
    claimed = ExportJob.objects.filter(pk=job_id, status=Status.QUEUED).update(
        status=Status.RUNNING, started_at=now, transaction_time=now, progress="Starting"
    )
    if not claimed:
        return "not queued"
    job = ExportJob.objects.select_related("requested_by__user").get(pk=job_id)
    folder = reading.job_dir(job)
    alias = reading.read_alias(job.requested_by.user)

    def progress(text: str) -> None:
        ExportJob.objects.filter(pk=job_id, status=Status.RUNNING).update(progress=text)

    def cancelled() -> bool:
        return not ExportJob.objects.filter(pk=job_id, status=Status.RUNNING).exists()

    try:
        actor = policy.actor_for(job.requested_by.user)
        if not policy.can(actor, "insights.bulk_export"):
            raise PermissionError("the requester may no longer run the bulk export")
        persons, left_out = persons_for(actor, group=_group(job, alias), alias=alias)
        written = write_export(
            actor,
            folder,
            persons=persons,
            types=job.types,
            since=job.since,
            supporting_all=job.level == ExportJob.Level.SYSTEM,
            alias=alias,
            progress=progress,
            cancelled=cancelled,
            withheld_members=left_out,
        )
    except Exception as error:
        logger.exception("FHIR export %s failed", job.public_id)
        shutil.rmtree(folder, ignore_errors=True)
        _finish(
            job,
            Status.FAILED,
            {"failure": f"{type(error).__name__}"[:300], "progress": ""},
            action=Action.EXPORT,
            outcome=Outcome.FAILED,
            detail={"event": "FHIR bulk export failed", "error": type(error).__name__},
        )
        return "failed"
    if written.cancelled:
        shutil.rmtree(folder, ignore_errors=True)
        return "cancelled"
    # What the files hold, for the accounting of disclosures; each download is audited again
    # when it happens.
    done = _finish(
        job,
        Status.DONE,
        {
            "output": written.output,
            "errors": written.errors,
            "consent_ids": written.consent_ids,
            "progress": "Done",
        },
        action=Action.CREATE,
        detail={
            "event": "FHIR bulk export written",
            "counts": written.counts(),
            "part2_withheld": sum(written.withheld.values()),
            "consent_ids": written.consent_ids,
        },
    )
    if not done:  # cancelled after the last type was written
        shutil.rmtree(folder, ignore_errors=True)
        return "cancelled"
    return "done"
