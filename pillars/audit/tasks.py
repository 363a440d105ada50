"""Background work of the audit app, run by ``pillars worker`` (Django Tasks)."""

from __future__ import annotations

from django.tasks import task

from pillars.audit.models import ChainCheck
from pillars.audit.verify import verify_all
from pillars.core import clock


@task()
def verify_chain(check_id: int) -> bool:
    """Run the verifier for a check asked for on the privacy officer's page and keep the
    verdict on it. A check already finished is left alone (a task run twice changes nothing)."""
    check = ChainCheck.objects.filter(pk=check_id, finished_at__isnull=True).first()
    if check is None:
        return False
    verdict = verify_all()
    ChainCheck.objects.filter(pk=check.pk, finished_at__isnull=True).update(
        finished_at=clock.now(),
        is_intact=verdict.is_intact,
        events_checked=verdict.events_checked,
        finding=verdict.finding,
    )
    return verdict.is_intact
