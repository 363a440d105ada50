"""The administrator's page for a unit's escalation chain (the alert inbox is people's:
people.inbox_views)."""

from __future__ import annotations

from uuid import UUID

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from pillars.core.formtools import form_write, saved
from pillars.core.pages import GET_POST, page
from pillars.core.routes import Routes
from pillars.people import selectors as people_selectors
from pillars.rounds.forms.escalation import ChainForm, StepForm
from pillars.rounds.selectors import escalation as selectors
from pillars.rounds.services import escalation as services

route = Routes()

StepFormSet = forms.formset_factory(StepForm, extra=2, max_num=services.MAX_STEPS)


@route("units/<uuid:public_id>/escalation/", name="escalation-steps")
@page("a unit's escalation chain (reference data); replace_steps audits a change", GET_POST)
def escalation_steps(request: HttpRequest, public_id: UUID) -> HttpResponse:
    unit = people_selectors.get_unit_for(request.user, public_id, "rounds.manage_escalation")
    own = selectors.own_steps(unit)
    current = services.steps_for(unit)
    initial = [
        {"position": s.position, "after_minutes": s.after_minutes, "recipient": s.recipient}
        for s in current
    ]
    posted = request.POST if request.method == "POST" else None
    # Bound without initial values: a row left as it was shown still counts as a step.
    formset = (
        StepFormSet(posted, prefix="steps")
        if posted is not None
        else StepFormSet(initial=initial, prefix="steps")
    )
    form = ChainForm(posted)
    context = {
        "unit": unit,
        "formset": formset,
        "form": form,
        "uses_default": not own,
        "current": current,
    }
    template = "rounds/escalation_steps.html"
    if request.method == "POST":
        if not (formset.is_valid() and form.is_valid()):
            return render(request, template, context)
        if form.cleaned_data["use_default"]:
            services.use_default_steps(unit, actor=request.user)
            messages.success(request, f"{unit.name} uses the default chain.")
            return redirect("rounds:escalation-steps", public_id=unit.public_id)
    return form_write(
        request,
        form,
        template,
        context,
        lambda _: services.replace_steps(
            unit,
            actor=request.user,
            steps=[f.cleaned_data for f in formset.forms if not f.is_blank()],
        ),
        lambda _: saved(
            request,
            f"The escalation chain of {unit.name} is saved.",
            reverse("rounds:escalation-steps", kwargs={"public_id": unit.public_id}),
        ),
    )


urlpatterns = route.patterns
