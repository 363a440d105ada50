"""Demo workforce data for the floor gate: the demo BHT's nonviolent crisis intervention
certification lapsed two months ago (it lasts 12 months), so putting them on a 1:1 on the demo
board is blocked with the reason; their CPR/BLS and observation training are in force, so the
lapsed credential is the one reason given."""

from __future__ import annotations

from datetime import timedelta

from pillars.core import clock
from pillars.demo.incidents.context import DemoContext
from pillars.people.hooks import FloorTask
from pillars.workforce.models.credentials import Credential, CredentialType
from pillars.workforce.models.trainings import Course, TrainingCompletion
from pillars.workforce.services import credentials as services
from pillars.workforce.services.gating import check
from pillars.workforce.services.trainings import record_completion


def load(ctx: DemoContext) -> None:
    admin, bht = ctx.demo_staff.get("demo-admin"), ctx.demo_staff.get("demo-bht")
    if admin is None or bht is None:
        return
    today = clock.organization_today(ctx.now)
    nci = CredentialType.objects.get(code="nci", is_current=True)
    lapsed = services.record_credential(
        bht,
        actor=admin.user,
        credential_type=nci,
        issued_on=today - timedelta(days=425),
        number="NCI-20417",
    )
    services.verify_credential(lapsed, actor=admin.user, method="original seen")
    for kind in CredentialType.objects.filter(code="cpr-bls", is_current=True):
        if not any(
            c.is_current_on(today)
            for c in Credential.objects.filter(staff=bht, credential_type__code=kind.code)
        ):
            services.record_credential(
                bht, actor=admin.user, credential_type=kind, issued_on=today - timedelta(days=200)
            )
    observation = Course.objects.get(code="observation")
    if not any(
        t.is_current_on(today)
        for t in TrainingCompletion.objects.filter(staff=bht, course=observation)
    ):
        record_completion(
            bht, actor=admin.user, course=observation, completed_on=today - timedelta(days=40)
        )
    problems = check(bht, FloorTask.ONE_TO_ONE, today=today)
    if not any(p.blocks for p in problems):
        raise RuntimeError("the demo BHT's lapsed credential does not block a 1:1")
