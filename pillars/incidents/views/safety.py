"""Pages for a person's safety plan: the current plan and its versions, writing the next version
with the person, signing it together, the printed copy, and a unit's overdue reviews.

Views stay thin: a form parses, a selector fetches (scoped, audited), one service writes.
"""

from __future__ import annotations

from uuid import UUID

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern

from pillars.core import clock
from pillars.core.pages import GET, page
from pillars.core.plan_pages import PlanViews
from pillars.core.routes import Routes
from pillars.incidents import safety_pdf
from pillars.incidents.forms.safety import PlanForm, SignForm
from pillars.incidents.selectors import safety as selectors
from pillars.incidents.services import safety as services
from pillars.people import selectors as people_selectors
from pillars.people.models import PersonServed

route = Routes()

# A new plan is looked at again in a month unless the team chooses otherwise.
DEFAULT_REVIEW_DAYS = 30


def _writable(request: HttpRequest, person: PersonServed) -> bool:
    return not people_selectors.is_emergency_read(request.user, person)


plan, plan_edit, version_detail, version_sign, version_pdf = PlanViews(
    plan_name="safety plan",
    urls="incidents:safety-plan",
    templates="incidents/safety",
    view_action="incidents.view_safety_plan",
    versions=services.PLANS,
    get_person=people_selectors.get_person_for,
    selectors=selectors,
    services=services,
    save=services.save_draft,
    sign=services.sign_plan,
    plan_form=PlanForm,
    sign_form=SignForm,
    export=safety_pdf.export,
    writable=_writable,
    review_days=DEFAULT_REVIEW_DAYS,
    module=__name__,
).views(route)


@route("units/<uuid:public_id>/safety-plans/overdue/", name="safety-plan-overdue")
@page("a unit's overdue safety plan reviews (one audited list read)", GET)
def overdue(request: HttpRequest, public_id: UUID) -> HttpResponse:
    unit = people_selectors.get_unit_for(request.user, public_id, "incidents.view_safety_plan")
    today = clock.today_in(unit.time_zone)
    plans = list(selectors.overdue_reviews(request.user, unit, today))
    people_selectors.record_list_read(
        request.user, [p.person for p in plans], what="overdue safety plan reviews"
    )
    return render(
        request,
        "incidents/safety/overdue.html",
        {"unit": unit, "plans": plans, "today": today},
    )


urlpatterns: list[URLPattern] = route.patterns
