"""Pages for a person's safety plan: the current plan and its versions, writing the next version
with the person, signing it together, the printed copy, and a unit's overdue reviews.

Views stay thin: a form parses, a selector fetches (scoped, audited), one service writes.
"""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path, reverse
from django.views.decorators.http import require_GET, require_http_methods

from pillars.core import clock, policy
from pillars.core.declare import audited
from pillars.core.formtools import form_write, posted, saved
from pillars.core.plan_pages import pdf_response, sign_page
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
    zone = person_zone(person)
    versions = list(selectors.versions_of(person, request.user))
    current = next((v for v in versions if v.is_signed), None)
    draft = next((v for v in versions if not v.is_signed), None)
    writable = _writable(request, person)
    context = {
        "person": person,
        "current": current,
        "draft": draft,
        "versions": versions,
        "zone_name": str(zone),
        "overdue": current is not None and current.is_review_overdue(clock.today_in(zone)),
        "can_draft": writable and policy.can(request.user, "incidents.draft_safety_plan", person),
    }
    return render(request, "incidents/safety/plan.html", context)


@audited("writes the next version of a safety plan; get_person_for and save_draft audit")
@login_required
@require_http_methods(["GET", "POST"])
def plan_edit(request: HttpRequest, public_id: UUID) -> HttpResponse:
    person = people_selectors.get_person_for(
        request.user, public_id, "incidents.draft_safety_plan", what="safety plan draft"
    )
    zone = person_zone(person)
    draft = selectors.draft_of(person, request.user)
    current = selectors.current_plan(person, request.user)
    content = draft.content if draft else services.starting_content(current)
    review_on = (
        draft.review_on if draft else clock.today_in(zone) + timedelta(days=DEFAULT_REVIEW_DAYS)
    )
    initial = {**PlanForm.initial_from(content), "review_on": review_on}
    form = PlanForm(posted(request), initial=initial)
    return form_write(
        request,
        form,
        "incidents/safety/plan_form.html",
        {"person": person, "form": form, "draft": draft, "current": current},
        lambda data: services.save_draft(
            person, actor=request.user, content=form.content(), review_on=data["review_on"]
        ),
        lambda draft: saved(
            request,
            f"Version {draft.number} is saved as a draft. Read it together, then sign.",
            reverse("incidents:safety-plan-sign", args=[draft.public_id]),
        ),
    )


@audited("one version of a safety plan; get_version_for audits the read")
@login_required
@require_GET
def version_detail(request: HttpRequest, public_id: UUID) -> HttpResponse:
    version = selectors.get_version_for(request.user, public_id, what="safety plan version")
    zone = person_zone(version.person)
    return render(
        request,
        "incidents/safety/version.html",
        {"version": version, "person": version.person, "zone_name": str(zone)},
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
