"""The alert inbox, its unacknowledged count (badge and board polling), acknowledging, and the
administrator's page for a unit's escalation chain."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, path, reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pillars.core import policy
from pillars.core.declare import audit_exempt, audited
from pillars.core.formtools import run_write
from pillars.people import selectors as people_selectors
from pillars.people.selectors import record_list_read
from pillars.rounds.choices import Recipient
from pillars.rounds.selectors import escalation as selectors
from pillars.rounds.services import escalation as services

PAGE_SIZE = 25


def board_url(unit: Any) -> str:
    """The unit's board when the board pages are installed, else the unit's page."""
    try:
        return reverse("rounds:board", kwargs={"public_id": unit.public_id})
    except NoReverseMatch:
        return reverse("people:unit-detail", kwargs={"public_id": unit.public_id})


@audited("the user's own alerts, which name persons served: the page shown is one audited read")
@login_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    policy.require(request.user, "rounds.view_alerts")
    only_open = request.GET.get("show") == "open"
    alerts = selectors.alerts_visible_to(request.user, unacknowledged=only_open)
    page = Paginator(alerts, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    record_list_read(
        request.user,
        [a.person for a in rows if a.person is not None],
        what="alert inbox",
        detail={"page": page.number, "open_only": only_open},
    )
    context = {
        "page": page,
        "rows": [{"alert": a, "board_url": board_url(a.unit)} for a in rows],
        "only_open": only_open,
        "open_count": selectors.unacknowledged_count(request.user),
    }
    return render(request, "rounds/inbox_list.html", context)


@audited("acknowledges one of the user's own alerts; acknowledge audits it")
@login_required
@require_POST
def alert_ack(request: HttpRequest, public_id: UUID) -> HttpResponse:
    alert = selectors.get_alert_for(request.user, public_id, "rounds.acknowledge")
    services.acknowledge(alert, actor=request.user)
    messages.success(request, "Alert acknowledged.")
    return redirect("rounds:inbox")


@audit_exempt("a number only (the user's unacknowledged alerts); names nobody")
@login_required
@require_GET
def inbox_count(request: HttpRequest) -> HttpResponse:
    # The board polls this with X-Pillars-Poll: 1, which the session middleware does not count
    # as activity, so an unattended board does not keep a session alive.
    count = selectors.unacknowledged_count(request.user)
    if getattr(request, "htmx", False):
        return render(request, "rounds/partials/_inbox_badge.html", {"inbox_count": count})
    return JsonResponse({"unacknowledged": count})


class StepForm(forms.Form):
    """One row of the chain; shape only (the service decides the rules). A blank row is
    skipped."""

    position = forms.IntegerField(required=False, min_value=1, max_value=99)
    after_minutes = forms.IntegerField(
        required=False, min_value=0, max_value=24 * 60, label="Minutes after due"
    )
    recipient = forms.ChoiceField(
        required=False, choices=[("", "(no step)"), *Recipient.choices], label="Who is alerted"
    )

    def is_blank(self) -> bool:
        data = getattr(self, "cleaned_data", {})
        return not any(data.get(name) not in (None, "") for name in self.fields)


StepFormSet = forms.formset_factory(StepForm, extra=2, max_num=services.MAX_STEPS)


class ChainForm(forms.Form):
    """The page's own form: whether to go back to the default chain."""

    use_default = forms.BooleanField(required=False, label="Use the default chain instead")


@audited("a unit's escalation chain (reference data); replace_steps audits a change")
@login_required
@require_http_methods(["GET", "POST"])
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
        steps = [f.cleaned_data for f in formset.forms if not f.is_blank()]
        _, failed = run_write(
            request,
            form,
            template,
            context,
            lambda: services.replace_steps(unit, actor=request.user, steps=steps),
        )
        if failed is not None:
            return failed
        messages.success(request, f"The escalation chain of {unit.name} is saved.")
        return redirect("rounds:escalation-steps", public_id=unit.public_id)
    return render(request, template, context)


urlpatterns = [
    path("inbox/", inbox, name="inbox"),
    path("inbox/count/", inbox_count, name="inbox-count"),
    path("alerts/<uuid:public_id>/acknowledge/", alert_ack, name="alert-ack"),
    path("units/<uuid:public_id>/escalation/", escalation_steps, name="escalation-steps"),
]
