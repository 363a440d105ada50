"""Demo workforce data: each employed staff member's required courses (assigned as on hire),
most completed within their renewal period, some overdue."""

from __future__ import annotations

from datetime import timedelta

from pillars.core import clock
from pillars.demo.incidents.context import DemoContext, with_demo_staff
from pillars.demo.workforce.credentials import employed
from pillars.people.models import Staff
from pillars.workforce.models.trainings import TrainingAssignment
from pillars.workforce.services.trainings import assign_required_courses, record_completion


@with_demo_staff("demo-admin")
def load(ctx: DemoContext, admin: Staff) -> None:
    rng = ctx.rng("workforce-trainings")
    today = clock.organization_today(ctx.now)
    for member in employed(ctx):
        assign_required_courses(member, actor=admin.user, reason="hire")
        for row in TrainingAssignment.objects.filter(staff=member).select_related("course"):
            months = row.course.renewal_months or 24
            if rng.random() < 0.12:
                continue  # not yet done: due or overdue
            lapsed = rng.random() < 0.08
            back = months * 30 + rng.randint(5, 60) if lapsed else rng.randint(5, months * 25)
            record_completion(
                member,
                actor=admin.user,
                course=row.course,
                completed_on=today - timedelta(days=back),
            )
