"""Workforce pages for trainings: recording a completion with its evidence (the assigned
courses and their status show on the staff member's credentials page)."""

from __future__ import annotations

from django.urls import URLPattern

from pillars.core.routes import Routes
from pillars.workforce.forms.trainings import CompletionForm
from pillars.workforce.services import trainings as services
from pillars.workforce.views.credentials import evidence_form

route = Routes()

completion_new = route("staff/<uuid:public_id>/trainings/new/", name="completion-new")(
    evidence_form(
        "records a training completion; record_completion audits the write",
        "workforce.record_completion",
        CompletionForm,
        "workforce/trainings/completion_form.html",
        services.record_completion,
        lambda c: f"{c.course.name} is recorded as completed.",
    )
)


urlpatterns: list[URLPattern] = route.patterns
