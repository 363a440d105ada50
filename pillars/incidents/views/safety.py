"""Pages for a person's safety plan: the current plan and its versions, writing the next version
with the person, signing it together, the printed copy, and a unit's overdue reviews.

Views stay thin: a form parses, a selector fetches (scoped, audited), one service writes.
"""

from __future__ import annotations

from uuid import UUID

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path, reverse
from django.views.decorators.http import require_GET, require_http_methods

from pillars.core import clock, policy
from pillars.core.declare import audited
from pillars.core.plan_pages import (
    draft_page,
    pdf_response,
    plan_page,
    sign_page,
    version_page,
)
from pillars.incidents import safety_pdf
from pillars.incidents.forms.safety import PlanForm, SignForm
from pillars.incidents.selectors import safety as selectors
from pillars.incidents.services import safety as services
from pillars.people import selectors as people_selectors
from pillars.people.models import PersonServed
from pillars.people.selectors import person_zone

# A new plan is looked at again in a month unless the team chooses otherwise.
DEFAULT_REVIEW_DAYS = 30


def _writable(request: HttpRequest, person: PersonServed) -> bool:
    return not people_selectors.is_emergency_read(request.user, person)


@audited("a person's safety plan and its versions; get_person_for audits the read")
@login_required
@require_GET
def plan(request: HttpRequest, public_id: UUID) -> HttpResponse:
    person = people_selectors.get_person_for(
        request.user, public_id, "incidents.view_safety_plan", what="safety plan"
    )
    return plan_page(
        request,
        "incidents/safety/plan.html",
        person=person,
        versions=list(selectors.versions_of(person, request.user)),
        zone=person_zone(person),
        can_draft=_writable(request, person)
        and policy.can(request.user, "incidents.draft_safety_plan", person),
    )


@audited("writes the next version of a safety plan; get_person_for and save_draft audit")
@login_required
@require_http_methods(["GET", "POST"])
def plan_edit(request: HttpRequest, public_id: UUID) -> HttpResponse:
    person = people_selectors.get_person_for(
        request.user, public_id, "incidents.draft_safety_plan", what="safety plan draft"
    )
    return draft_page(
        request,
        "incidents/safety/plan_form.html",
        person=person,
        zone=person_zone(person),
        draft=selectors.draft_of(person, request.user),
        current=selectors.current_plan(person, request.user),
        form_class=PlanForm,
        starting_content=services.starting_content,
        review_days=DEFAULT_REVIEW_DAYS,
        save=services.save_draft,
        sign_url="incidents:safety-plan-sign",
    )


@audited("one version of a safety plan; get_version_for audits the read")
@login_required
@require_GET
def version_detail(request: HttpRequest, public_id: UUID) -> HttpResponse:
    version = selectors.get_version_for(request.user, public_id, what="safety plan version")
    return version_page(
        request, "incidents/safety/version.html", version, person_zone(version.person)
    )


@audited("signs a safety plan version; get_version_for and sign_plan audit")
@login_required
@require_http_methods(["GET", "POST"])
def version_sign(request: HttpRequest, public_id: UUID) -> HttpResponse:
    version = selectors.get_version_for(
        request.user, public_id, "incidents.sign_safety_plan", what="safety plan to sign"
    )
    return sign_page(
        request,
        version,
        form_class=SignForm,
        template="incidents/safety/sign.html",
        version_url="incidents:safety-plan-version",
        plan_url=reverse("incidents:safety-plan", args=[version.person.public_id]),
        plan_name="safety plan",
        not_ready=services.not_ready_to_sign,
        sign=services.sign_plan,
    )


@audited("the printed copy of a safety plan; get_version_for audits the download")
@login_required
@require_GET
def version_pdf(request: HttpRequest, public_id: UUID) -> HttpResponse:
    version = selectors.get_version_for(request.user, public_id, what="safety plan pdf")
    return pdf_response(
        safety_pdf.export(request.user, version, channel="page"),
        f"safety-plan-v{version.number}.pdf",
    )


@audited("a unit's overdue safety plan reviews (one audited list read)")
@login_required
@require_GET
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


urlpatterns: list[URLPattern] = [
    path("persons/<uuid:public_id>/safety-plan/", plan, name="safety-plan"),
    path("persons/<uuid:public_id>/safety-plan/edit/", plan_edit, name="safety-plan-edit"),
    path("safety-plans/<uuid:public_id>/", version_detail, name="safety-plan-version"),
    path("safety-plans/<uuid:public_id>/sign/", version_sign, name="safety-plan-sign"),
    path("safety-plans/<uuid:public_id>/print/", version_pdf, name="safety-plan-pdf"),
    path("units/<uuid:public_id>/safety-plans/overdue/", overdue, name="safety-plan-overdue"),
]
