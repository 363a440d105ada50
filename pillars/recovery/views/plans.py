"""Pages for a person's recovery: the recovery page (current wellness plan, goals, capital
trend), writing and signing the wellness plan with the person, its printed copy, and goals with
their steps and progress.

Views stay thin: a form parses, a selector fetches (scoped, audited), one service writes.
"""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern

from pillars.core import clock, policy
from pillars.core.errors import Conflict, ValidationError
from pillars.core.formtools import form_write, posted, refusal_text, saved_to
from pillars.core.pages import GET, GET_POST, POST, page
from pillars.core.plan_pages import PlanViews
from pillars.core.routes import Routes
from pillars.people import selectors as people_selectors
from pillars.people.models import PersonServed
from pillars.people.selectors import person_zone
from pillars.recovery import plans_pdf
from pillars.recovery.forms.plans import (
    GoalForm,
    GoalStatusForm,
    ProgressForm,
    StepForm,
    WellnessPlanForm,
    WellnessSignForm,
)
from pillars.recovery.models.plans import ATTAINMENT
from pillars.recovery.selectors import capital as capital_selectors
from pillars.recovery.selectors import plans as selectors
from pillars.recovery.services import plans as services

route = Routes()

# A new plan is looked at again in three months unless the person and peer choose otherwise.
DEFAULT_REVIEW_DAYS = 90


def _writable(request: HttpRequest, person: PersonServed) -> bool:
    return not people_selectors.is_emergency_read(request.user, person)


@route("persons/<uuid:public_id>/", name="person")
@page("a person's recovery page; get_person_for audits the read", GET)
def person_recovery(request: HttpRequest, public_id: UUID) -> HttpResponse:
    person = people_selectors.get_person_for(
        request.user, public_id, "recovery.view_goals", what="recovery page"
    )
    zone = person_zone(person)
    versions = list(selectors.versions_of(person, request.user)[:10])
    current = next((v for v in versions if v.is_signed), None)
    draft = next((v for v in versions if not v.is_signed), None)
    writable = _writable(request, person)
    can_capital = policy.allows(request.user, "recovery.view_capital", person)
    return render(
        request,
        "recovery/plans/person.html",
        {
            "person": person,
            "zone_name": str(zone),
            "current": current,
            "draft": draft,
            "overdue": current is not None and current.is_review_overdue(clock.today_in(zone)),
            "goals": list(selectors.goals_of(person, request.user)),
            "trends": capital_selectors.trends_for(person, request.user) if can_capital else [],
            "can_capital": can_capital,
            "can_write": writable and policy.allows(request.user, "recovery.write_goals", person),
            "can_assess": writable
            and policy.allows(request.user, "recovery.record_assessment", person),
            "instruments": list(capital_selectors.instruments()),
        },
    )


plan, plan_edit, version_detail, version_sign, version_pdf = PlanViews(
    plan_name="wellness plan",
    urls="recovery:wellness-plan",
    templates="recovery/plans",
    view_action="recovery.view_wellness_plan",
    versions=services.PLANS,
    get_person=people_selectors.get_person_for,
    selectors=selectors,
    services=services,
    save=services.save_wellness_draft,
    sign=services.sign_wellness_plan,
    plan_form=WellnessPlanForm,
    sign_form=WellnessSignForm,
    export=plans_pdf.export,
    writable=_writable,
    review_days=DEFAULT_REVIEW_DAYS,
    module=__name__,
).views(route)


# --- Goals -------------------------------------------------------------------------------------


@route("persons/<uuid:public_id>/goals/new/", name="goal-create")
@page("sets a recovery goal with the person; get_person_for and create_goal audit", GET_POST)
def goal_create(request: HttpRequest, public_id: UUID) -> HttpResponse:
    person = people_selectors.get_person_for(
        request.user, public_id, "recovery.write_goals", what="new recovery goal"
    )
    form = GoalForm(posted(request))
    return form_write(
        request,
        form,
        "recovery/plans/goal_form.html",
        {"person": person, "form": form},
        lambda data: services.create_goal(
            person,
            actor=request.user,
            domain=data["domain"],
            statement=data["statement"],
            target_on=data["target_on"],
            steps=form.step_list(),
            client_id=data["client_id"],
        ),
        saved_to(request, "The goal is saved.", "recovery:goal-detail"),
    )


@route("goals/<uuid:public_id>/", name="goal-detail")
@page("one recovery goal with its steps and progress; get_goal_for audits the read", GET)
def goal_detail(request: HttpRequest, public_id: UUID) -> HttpResponse:
    goal = selectors.get_goal_for(request.user, public_id, what="recovery goal")
    person = goal.person
    writable = _writable(request, person) and policy.allows(
        request.user, "recovery.write_goals", goal
    )
    return render(
        request,
        "recovery/plans/goal.html",
        {
            "goal": goal,
            "person": person,
            "chart": selectors.attainment_chart(goal),
            "notes": list(goal.progress_notes.all()),
            "steps": list(goal.steps.all()),
            "can_write": writable,
            "can_progress": _writable(request, person)
            and policy.allows(request.user, "recovery.record_goal_progress", goal),
            "step_form": StepForm(),
            "status_form": GoalStatusForm(initial={"status": goal.status}),
            "zone_name": str(person_zone(person)),
            "scale": ATTAINMENT.items(),
        },
    )


@route("goals/<uuid:public_id>/steps/", name="goal-step-add")
@page("adds a step to a goal; get_goal_for and add_goal_step audit", POST)
def goal_step_add(request: HttpRequest, public_id: UUID) -> HttpResponse:
    goal = selectors.get_goal_for(request.user, public_id, "recovery.write_goals", what="goal step")
    form = StepForm(request.POST)
    if form.is_valid():
        try:
            services.add_goal_step(
                goal,
                actor=request.user,
                text=form.cleaned_data["text"],
                target_on=form.cleaned_data["target_on"],
                client_id=form.cleaned_data["client_id"],
            )
            messages.success(request, "The step is added.")
        except (ValidationError, Conflict) as exc:
            messages.error(request, f"{refusal_text(exc)} Nothing was saved.")
    else:
        messages.error(request, "Write the step before adding it. Nothing was saved.")
    return redirect("recovery:goal-detail", public_id=goal.public_id)


@route("goal-steps/<uuid:public_id>/done/", name="goal-step-done")
@page("ticks a goal step off or back; get_step_for and set_step_done audit", POST)
def goal_step_toggle(request: HttpRequest, public_id: UUID) -> HttpResponse:
    step = selectors.get_step_for(request.user, public_id, "recovery.write_goals", what="goal step")
    done = request.POST.get("is_done") == "1"
    services.set_step_done(step, actor=request.user, is_done=done)
    messages.success(request, "Step marked done." if done else "Step marked not done yet.")
    return redirect("recovery:goal-detail", public_id=step.goal.public_id)


@route("goals/<uuid:public_id>/status/", name="goal-status")
@page("changes a goal's status; get_goal_for and set_goal_status audit", POST)
def goal_status(request: HttpRequest, public_id: UUID) -> HttpResponse:
    goal = selectors.get_goal_for(
        request.user, public_id, "recovery.write_goals", what="goal status"
    )
    form = GoalStatusForm(request.POST)
    if form.is_valid():
        services.set_goal_status(goal, actor=request.user, status=form.cleaned_data["status"])
        messages.success(request, "The goal's status is saved.")
    else:
        messages.error(request, "Choose a status. Nothing was saved.")
    return redirect("recovery:goal-detail", public_id=goal.public_id)


@route("goals/<uuid:public_id>/progress/", name="goal-progress")
@page("records progress on a goal; get_goal_for and record_goal_progress audit", GET_POST)
def goal_progress(request: HttpRequest, public_id: UUID) -> HttpResponse:
    goal = selectors.get_goal_for(
        request.user, public_id, "recovery.record_goal_progress", what="goal progress"
    )
    person = goal.person
    form = ProgressForm(posted(request), initial={"noted_on": clock.today_in(person_zone(person))})
    return form_write(
        request,
        form,
        "recovery/plans/progress_form.html",
        {"goal": goal, "person": person, "form": form},
        lambda data: services.record_goal_progress(goal, actor=request.user, **data),
        saved_to(request, "The progress note is saved.", "recovery:goal-detail", goal),
    )


urlpatterns: list[URLPattern] = route.patterns
