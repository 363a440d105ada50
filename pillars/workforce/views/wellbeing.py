"""Workforce pages: wellbeing.

- My wellbeing: one's own exposure counts, open invitations (answer or decline), one's own
  check-ins, the self-care resources and the employee assistance contact. Nobody else has a
  page that shows any of it.
- A check-in (answering an invitation, or on one's own), and one of one's own check-ins.
- Team wellbeing (supervisors, director): aggregates of completed quarters, suppressed; when a
  team is hidden the page says so and offers the next level up. CSV for the director.
- Staff exposure aggregates (moved here from incidents).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import URLPattern

from pillars.audit.choices import Purpose
from pillars.core import clock, exports, policy, suppression
from pillars.core.errors import Conflict
from pillars.core.formtools import form_write, posted, saved_to
from pillars.core.pages import GET, GET_POST, POST, page
from pillars.core.routes import Routes
from pillars.incidents.models.incidents import ExposureKind
from pillars.workforce.forms.wellbeing import AggregateForm, CheckInForm
from pillars.workforce.models.wellbeing import CheckInInstrument, Invitation, InvitationStatus
from pillars.workforce.selectors import wellbeing as selectors
from pillars.workforce.services import wellbeing as services

route = Routes()


@route("wellbeing/mine/", name="wellbeing-mine")
@page("one's own wellbeing (my_exposure_counts and my_check_ins audit the reads)", GET)
def mine(request: HttpRequest) -> HttpResponse:
    counts = selectors.my_exposure_counts(request.user)
    check_ins = selectors.my_check_ins(request.user)
    invitations = list(selectors.my_invitations(request.user))
    return render(
        request,
        "workforce/wellbeing/mine.html",
        {
            "exposure": [(label, counts[value]) for value, label in ExposureKind.choices],
            "open": [i for i in invitations if i.status == InvitationStatus.OPEN],
            "check_ins": check_ins,
            "instruments": list(selectors.instruments()),
            "support": selectors.support_for(request.user),
        },
    )


def _check_in_page(
    request: HttpRequest, instrument: CheckInInstrument, invitation: Invitation | None
) -> HttpResponse:
    form = CheckInForm(posted(request), instrument=instrument)
    return form_write(
        request,
        form,
        "workforce/wellbeing/check_in_form.html",
        {
            "form": form,
            "instrument": instrument,
            "invitation": invitation,
            "support": selectors.support_for(request.user),
        },
        lambda data: services.answer_check_in(
            actor=request.user, instrument=instrument, answers=form.answers(), invitation=invitation
        ),
        saved_to(
            request,
            "Thank you. Your check-in is saved, and only you can see it.",
            "workforce:checkin-detail",
        ),
    )


@route("wellbeing/invitations/<uuid:public_id>/", name="invitation-answer")
@page("answers one's own invitation; get_invitation_for checks it is one's own", GET_POST)
def invitation_answer(request: HttpRequest, public_id: UUID) -> HttpResponse:
    invitation = selectors.get_invitation_for(request.user, public_id, "workforce.check_in")
    if invitation.status != InvitationStatus.OPEN:
        messages.info(request, "This invitation was already answered or declined.")
        return redirect("workforce:wellbeing-mine")
    return _check_in_page(request, invitation.instrument, invitation)


@route("wellbeing/check-in/<slug:code>/", name="checkin-new")
@page("a check-in on one's own initiative; answer_check_in audits the write", GET_POST)
def check_in_new(request: HttpRequest, code: str) -> HttpResponse:
    return _check_in_page(request, selectors.get_instrument(code), None)


@route("wellbeing/invitations/<uuid:public_id>/decline/", name="invitation-decline")
@page("declines one's own invitation; decline_invitation audits the write", POST)
def invitation_decline(request: HttpRequest, public_id: UUID) -> HttpResponse:
    invitation = selectors.get_invitation_for(request.user, public_id, "workforce.check_in")
    try:
        services.decline_invitation(invitation, actor=request.user)
    except Conflict as exc:
        messages.info(request, exc.message)
    else:
        messages.success(request, "Declined. There will be no more reminders about it.")
    return redirect("workforce:wellbeing-mine")


@route("wellbeing/check-ins/<uuid:public_id>/", name="checkin-detail")
@page("one of one's own check-ins (get_check_in_for audits the read)", GET)
def check_in_detail(request: HttpRequest, public_id: UUID) -> HttpResponse:
    check_in = selectors.get_check_in_for(request.user, public_id)
    instrument = check_in.instrument
    labels = {str(c["value"]): c["label"] for c in instrument.scale}
    rows = [
        (item.text, labels.get(str(check_in.answers.get(str(item.number))), "?"))
        for item in instrument.items.all()
    ]
    scores = [
        (instrument.subscales.get(code, code), value) for code, value in check_in.scores.items()
    ]
    return render(
        request,
        "workforce/wellbeing/check_in_detail.html",
        {
            "check_in": check_in,
            "rows": rows,
            "scores": scores,
            "support": selectors.support_for(request.user),
        },
    )


def _release_for(request: HttpRequest, audience: suppression.Audience) -> selectors.Release:
    form = AggregateForm(request.GET)
    if not form.is_valid():
        raise Http404("Not found")
    return selectors.check_in_aggregates(
        request.user,
        level=form.cleaned_data["level"] or "team",
        quarter=form.cleaned_data["quarter"] or None,
        audience=audience,
    )


@route("wellbeing/aggregate/", name="wellbeing-aggregate")
@page("check-in aggregates of groups of five or more (check_in_aggregates audits)", GET)
def aggregate(request: HttpRequest) -> HttpResponse:
    release = _release_for(request, "screen")
    subscales = list(release.subscales.items())
    rows = [
        {
            "group": g,
            "cells": None if g.means is None else [g.means.get(code) for code, _ in subscales],
        }
        for g in [*release.groups, release.total]
    ]
    own_team = next((g for g in release.groups if g.key == release.own_team_key), None)
    return render(
        request,
        "workforce/wellbeing/aggregate.html",
        {
            "release": release,
            "subscales": subscales,
            "rows": rows,
            "own_team": own_team,
            "own_team_missing": release.level == "team" and own_team is None,
            "quarters": selectors.completed_quarters(clock.organization_today()),
            "levels": [("team", "Teams"), ("unit", "Units"), ("organization", "Organization")],
            "can_export": policy.can(request.user, "workforce.export_wellbeing_aggregate"),
        },
    )


@route("wellbeing/aggregate.csv", name="wellbeing-aggregate-csv")
@page("check-in aggregates of groups of eleven or more, as CSV (release logs the export)", GET)
def aggregate_csv(request: HttpRequest) -> HttpResponseBase:
    release = _release_for(request, "export")
    exported = exports.release(
        request.user,
        what="workforce.checkin.aggregate",
        fmt="csv",
        purpose=Purpose.OPERATIONS,
        detail={"level": release.level, "quarter": release.quarter.key},
    )
    codes = list(release.subscales)
    rows: list[list[Any]] = []
    for g in [*release.groups, release.total]:
        if g.means is None:
            why = "fewer than minimum" if g.hidden == suppression.SMALL else "complement"
            rows.append([g.label, "not shown", why, *["" for _ in codes]])
        else:
            values = [g.means.get(code, "") for code in codes]
            rows.append([g.label, g.respondents, g.check_ins, *values])
    return exports.csv_download(
        exported,
        filename=f"wellbeing-{release.level}-{release.quarter.key}",
        stamp=False,
        comments=[
            "Check-in means (0-100, higher is more burnout) for " + release.quarter.label,
            f"Groups with fewer than {release.minimum} staff answering are not shown, nor one "
            "more group when the total would give a hidden one back.",
        ],
        header=["group", "staff answering", "check-ins", *release.subscales.values()],
        rows=rows,
    )


@route("wellbeing/exposure/", name="exposure-aggregate")
@page("exposure aggregates of groups of five or more (audited by exposure_aggregates)", GET)
def exposure_aggregate(request: HttpRequest) -> HttpResponse:
    groups = selectors.exposure_aggregates(request.user)
    kinds = ExposureKind.choices
    rows = [
        {
            "label": g.label,
            "cells": None if g.counts is None else [g.counts[value] for value, _ in kinds],
            "complement": g.hidden == suppression.COMPLEMENT,
        }
        for g in groups
    ]
    context = {"rows": rows, "kinds": kinds, "minimum": selectors.MIN_GROUP}
    return render(request, "workforce/wellbeing/exposure_aggregate.html", context)


urlpatterns: list[URLPattern] = route.patterns
