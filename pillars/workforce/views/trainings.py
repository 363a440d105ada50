"""Workforce pages for trainings: recording a completion with its evidence (the assigned
courses and their status show on the staff member's credentials page)."""

from __future__ import annotations

from uuid import UUID

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path, reverse
from django.views.decorators.http import require_http_methods

from pillars.core import policy
from pillars.core.declare import audited
from pillars.core.formtools import form_write, posted, saved
from pillars.people import selectors as people_selectors
from pillars.workforce.forms.trainings import CompletionForm
from pillars.workforce.services import trainings as services


@audited("records a training completion; record_completion audits the write")
@login_required
@require_http_methods(["GET", "POST"])
def completion_new(request: HttpRequest, public_id: UUID) -> HttpResponse:
    staff = people_selectors.get_staff_for(request.user, public_id, "workforce.record_completion")
    if staff.pk == policy.actor_for(request.user).staff_id:
        back = reverse("workforce:my-credentials")
    else:
        back = reverse("workforce:staff-credentials", args=[staff.public_id])
    form = CompletionForm(posted(request), request.FILES or None)
    return form_write(
        request,
        form,
        "workforce/trainings/completion_form.html",
        {"member": staff, "form": form, "back": back},
        lambda data: services.record_completion(
            staff,
            actor=request.user,
            course=data["course"],
            completed_on=data["completed_on"],
            evidence=data.get("evidence") or None,
        ),
        lambda c: saved(request, f"{c.course.name} is recorded as completed.", back),
    )


urlpatterns: list[URLPattern] = [
    path("staff/<uuid:public_id>/trainings/new/", completion_new, name="completion-new"),
]
