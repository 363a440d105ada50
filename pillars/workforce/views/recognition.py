"""Workforce pages: recognition. Recognize a colleague; one's own recognitions (received and
given); counts for supervisors and the director (by month and unit, never who or what)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, reverse
from django.views.decorators.http import require_GET

from pillars.core import clock
from pillars.core.declare import audit_exempt
from pillars.core.formtools import form_write, posted, saved
from pillars.core.pages import GET_POST, page
from pillars.core.routes import Routes
from pillars.workforce.forms.recognition import RecognitionForm
from pillars.workforce.selectors import recognition as selectors
from pillars.workforce.services import recognition as services

route = Routes()


@route("recognition/", name="recognition-mine")
@audit_exempt("one's own thank-you notes, given and received: no protected information")
@login_required
@require_GET
def mine(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "workforce/recognition/mine.html",
        {
            "received": list(selectors.received_by(request.user)),
            "given": list(selectors.given_by(request.user)),
        },
    )


@route("recognition/give/", name="recognition-give")
@page("gives a recognition (give_recognition audits the write)", GET_POST)
def give(request: HttpRequest) -> HttpResponse:
    form = RecognitionForm(
        posted(request), colleagues=selectors.colleagues(request.user, clock.organization_today())
    )
    return form_write(
        request,
        form,
        "workforce/recognition/give.html",
        {"form": form},
        lambda data: services.give_recognition(
            data["to"], actor=request.user, message=data["message"]
        ),
        lambda r: saved(
            request,
            f"Thank you: {r.given_to.display_name} will see it.",
            reverse("workforce:recognition-mine"),
        ),
    )


@route("recognition/counts/", name="recognition-counts")
@audit_exempt("counts of recognitions by month and unit: about no one")
@login_required
@require_GET
def counts(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "workforce/recognition/counts.html",
        {"counts": selectors.recognition_counts(request.user)},
    )


urlpatterns: list[URLPattern] = route.patterns
