"""The export's sweep: delete expired (and cancelled) jobs and their files, each row guarded by
the one failure policy of ``core.sweeps`` and the pass bounded by its time budget."""

from __future__ import annotations

from datetime import datetime

from pillars.core.sweeps import SweepResult, guarded, within_budget
from pillars.insights.fhir import services
from pillars.insights.fhir.models import ExportJob


def sweep_expired_exports(now: datetime) -> SweepResult:
    result = SweepResult("fhir_export_expiry")
    for job in within_budget(result, services.sweep_expired(now)):

        def work(job: ExportJob = job) -> bool:
            services.delete_job(job)
            return True

        done = guarded(
            result,
            work,
            label="fhir export sweep",
            object_type="insights.exportjob",
            object_id=str(job.public_id),
        )
        if done:
            result.claimed += 1
    return result


SWEEPS = [sweep_expired_exports]
