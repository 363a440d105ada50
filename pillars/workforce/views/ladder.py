"""Workforce pages: the career ladder. The ladders of every role; one's own progress; a
supervisee's progress (supervisor, director, administrators) with recording a step."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern
from django.views.decorators.http import require_GET, require_POST

from pillars.core import policy
from pillars.core.declare import audit_exempt
from pillars.core.errors import ValidationError
from pillars.core.routes import Routes
from pillars.people.models import Staff
from pillars.workforce.models.ladder import LadderStep
from pillars.workforce.selectors import ladder as selectors
from pillars.workforce.services import ladder as services

route = Routes()


@route("ladder/", name="ladder-list")
@audit_exempt("the ladders of each role: reference data about no one")
@login_required
@require_GET
def ladder_list(request: HttpRequest) -> HttpResponse:
    policy.require(request.user, "workforce.view_ladders")
    return render(request, "workforce/ladder/ladders.html", {"ladders": selectors.ladders()})


def _progress_page(request: HttpRequest, staff: Staff, own: bool) -> HttpResponse:
    progress = selectors.progress_for(request.user, staff)
    can_place = not own and policy.allows(request.user, "workforce.place_on_ladder", staff)
    return render(
        request,
        "workforce/ladder/progress.html",
        {
            "staff": staff,
            "own": own,
            "progress": progress,
            "can_place": can_place,
            "steps": [p.next_step for p in progress if p.next_step] if can_place else [],
        },
    )


@route("ladder/mine/", name="ladder-mine")
@audit_exempt("one's own career progress: tenure and recognitions, no protected information")
@login_required
@require_GET
def mine(request: HttpRequest) -> HttpResponse:
    actor = policy.require(request.user, "workforce.view_ladder_progress")
    return _progress_page(request, Staff.objects.get(pk=actor.staff_pk), own=True)


@route("ladder/staff/<uuid:public_id>/", name="ladder-progress")
@audit_exempt("a supervisee's career progress: tenure and recognitions, no protected information")
@login_required
@require_GET
def progress(request: HttpRequest, public_id: UUID) -> HttpResponse:
    staff = selectors.get_staff_for(request.user, public_id, "workforce.view_ladder_progress")
    return _progress_page(request, staff, own=False)


@route("ladder/staff/<uuid:public_id>/place/", name="ladder-place")
@audit_exempt("place_on_ladder audits the write")
@login_required
@require_POST
def place(request: HttpRequest, public_id: UUID) -> HttpResponse:
    staff = selectors.get_staff_for(request.user, public_id, "workforce.place_on_ladder")
    try:
        step = LadderStep.objects.filter(public_id=UUID(request.POST.get("step", ""))).first()
    except ValueError:
        step = None
    if step is None:
        messages.error(request, "Choose a step. Nothing was saved.")
    else:
        try:
            services.place_on_ladder(staff, actor=request.user, step=step)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages) + " Nothing was saved.")
        else:
            messages.success(request, f"{staff.display_name} is now {step.title}.")
    return redirect("workforce:ladder-progress", public_id=staff.public_id)


urlpatterns: list[URLPattern] = route.patterns
