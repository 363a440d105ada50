"""Reads of wellness plans and recovery goals, scoped by the policy layer; reads of one record
are audited (a person's page audits the person read through ``get_person_for``)."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet

from pillars.core import policy
from pillars.core.plan_versions import PlanReads
from pillars.people.models import PersonServed
from pillars.recovery.models.plans import (
    ATTAINMENT,
    Goal,
    GoalProgress,
    GoalStatus,
    GoalStep,
    WellnessPlanStatus,
    WellnessPlanVersion,
)
from pillars.recovery.selectors.charts import LineChart, line_chart
from pillars.recovery.selectors.person_reads import audit_person_read, get_person_record_for

# --- Wellness plans ----------------------------------------------------------------------------


# A person's versions, the current plan, the draft, and one version with its read audited
# (core.plan_versions.PlanReads).
PLANS = PlanReads(
    WellnessPlanVersion, WellnessPlanStatus, "recovery.view_wellness_plan", audit_person_read
)
versions_of = PLANS.versions_of
current_plan = PLANS.current_plan
draft_of = PLANS.draft_of
get_version_for = PLANS.get_version_for


# --- Goals -------------------------------------------------------------------------------------


def _with_steps_and_notes(goals: QuerySet[Goal], user: Any) -> QuerySet[Goal]:
    """Goals with their steps in order and their progress notes oldest first. A note carries
    its own label (written while the person was in a Part 2 program, on a goal set elsewhere):
    only the notes ``user`` may read are fetched (``None``: the system, or the person's own
    page, reads them all)."""
    notes = GoalProgress.objects.select_related("recorded_by").order_by(
        "noted_on", "recorded_at", "id"
    )
    return goals.select_related("created_by").prefetch_related(
        Prefetch("steps", queryset=GoalStep.objects.order_by("sort_order", "id")),
        Prefetch("progress_notes", queryset=policy.readable(notes, user)),
    )


def goals_of(person: PersonServed, user: Any = None) -> QuerySet[Goal]:
    """The person's goals the user may read, active first, with steps and progress notes."""
    return _with_steps_and_notes(
        policy.readable(Goal.objects.filter(person=person), user), user
    ).order_by("status", "created_at", "id")


def active_goals_of(person: PersonServed, user: Any = None) -> QuerySet[Goal]:
    return goals_of(person, user).filter(status=GoalStatus.ACTIVE)


def get_goal_for(
    user: Any, public_id: Any, action: str = "recovery.view_goals", *, what: str
) -> Goal:
    """One goal with its steps and notes; 404 out of scope, 403 not allowed; audited."""
    goals = _with_steps_and_notes(Goal.objects.select_related("person"), user)
    return get_person_record_for(goals, user, public_id, action, what=what)


def get_step_for(user: Any, public_id: Any, action: str, *, what: str) -> GoalStep:
    return get_person_record_for(
        GoalStep.objects.select_related("goal", "goal__person"),
        user,
        public_id,
        action,
        what=what,
        person_of=lambda step: step.goal.person,
    )


def attainment_chart(goal: Goal) -> LineChart:
    """Attainment (1-5) per progress note over time, from the prefetched notes."""
    points = [
        (p.noted_on, float(p.attainment))
        for p in goal.progress_notes.all()
        if p.attainment is not None
    ]
    return line_chart(
        points,
        low=1,
        high=5,
        title="Attainment over time",
        ticks=[(float(k), f"{k} {v}") for k, v in ATTAINMENT.items() if k in (1, 3, 5)],
    )
