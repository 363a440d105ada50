"""Pages for recovery capital: a person's assessments with a trend chart per instrument (and
the numbers in a table beside it), answering an instrument with the person, one assessment,
and the list of instruments.

Views stay thin: a form parses, a selector fetches (scoped, audited), one service writes.
"""

from __future__ import annotations

from uuid import UUID

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern
from django.views.decorators.http import require_GET

from pillars.core import clock, policy
from pillars.core.declare import audit_exempt
from pillars.core.formtools import form_write, posted, saved_to
from pillars.core.pages import GET, GET_POST, page
from pillars.core.routes import Routes
from pillars.people import selectors as people_selectors
from pillars.people.selectors import person_zone
from pillars.recovery.forms.capital import AssessmentForm
from pillars.recovery.selectors import capital as selectors
from pillars.recovery.services import capital as services

route = Routes()


@route("persons/<uuid:public_id>/capital/", name="capital")
@page("a person's recovery capital history; get_person_for audits the read", GET)
def history(request: HttpRequest, public_id: UUID) -> HttpResponse:
    person = people_selectors.get_person_for(
        request.user, public_id, "recovery.view_capital", what="recovery capital"
    )
    rows = list(selectors.assessments_of(person, request.user))
    return render(
        request,
        "recovery/capital/history.html",
        {
            "person": person,
            "zone_name": str(person_zone(person)),
            "trends": selectors.trends_for(person, request.user),
            "rows": list(reversed(rows)),
            "instruments": list(selectors.instruments()),
            "can_assess": not people_selectors.is_emergency_read(request.user, person)
            and policy.allows(request.user, "recovery.record_assessment", person),
        },
    )


@route("persons/<uuid:public_id>/capital/<slug:code>/new/", name="assessment-new")
@page("records an assessment with the person; get_person_for and record_assessment audit", GET_POST)
def assessment_new(request: HttpRequest, public_id: UUID, code: str) -> HttpResponse:
    person = people_selectors.get_person_for(
        request.user, public_id, "recovery.record_assessment", what="new assessment"
    )
    instrument = selectors.get_instrument(request.user, code)
    form = AssessmentForm(
        posted(request),
        instrument=instrument,
        initial={"administered_on": clock.today_in(person_zone(person))},
    )
    return form_write(
        request,
        form,
        "recovery/capital/assessment_form.html",
        {"person": person, "instrument": instrument, "form": form},
        lambda data: services.record_assessment(
            person,
            actor=request.user,
            instrument=instrument,
            answers=form.answers(),
            administered_on=data["administered_on"],
            is_self_administered=bool(data.get("is_self_administered")),
            note=data["note"],
            client_id=data["client_id"],
        ),
        saved_to(
            request,
            lambda assessment: f"{instrument.name} is saved: total {assessment.total}.",
            "recovery:assessment-detail",
        ),
    )


@route("assessments/<uuid:public_id>/", name="assessment-detail")
@page("one recovery capital assessment; get_assessment_for audits the read", GET)
def assessment_detail(request: HttpRequest, public_id: UUID) -> HttpResponse:
    assessment = selectors.get_assessment_for(request.user, public_id, what="assessment")
    instrument = selectors.instruments(active_only=False).filter(pk=assessment.instrument_id).get()
    answers = assessment.answers or {}
    items = [
        {
            "item": item,
            "answer": answers.get(str(item.number)),
            "label": instrument.label_for(int(answers.get(str(item.number), 0))),
        }
        for item in instrument.items.all()
    ]
    subscales = [
        {"name": s.name, "score": (assessment.subscale_scores or {}).get(s.code)}
        for s in instrument.subscales.all()
    ]
    low, high = instrument.total_range(len(items))
    return render(
        request,
        "recovery/capital/assessment.html",
        {
            "assessment": assessment,
            "person": assessment.person,
            "instrument": instrument,
            "items": items,
            "subscales": subscales,
            "low": low,
            "high": high,
            "zone_name": str(person_zone(assessment.person)),
        },
    )


@route("instruments/", name="instrument-list")
@audit_exempt("lists the instruments (reference data about no one)")
@login_required
@require_GET
def instrument_list(request: HttpRequest) -> HttpResponse:
    policy.require(request.user, "recovery.view_instruments")
    return render(
        request,
        "recovery/capital/instruments.html",
        {"instruments": list(selectors.instruments())},
    )


urlpatterns: list[URLPattern] = route.patterns
