"""Pages of referrals: a person's referrals, choosing a service from the directory, the preview
of what would be sent (and whether a consent covers it), logging an outside referral, a
referral with its history, status updates, reopening, the printable packet and its PDF, open
referrals, and the outcomes report.

Views stay thin: a form parses, a selector fetches (scoped, audited), one service writes.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern

from pillars.core import policy
from pillars.core.formtools import form_write, posted, saved_to
from pillars.core.pages import GET, GET_POST, page
from pillars.core.routes import Routes
from pillars.people import selectors as people_selectors
from pillars.people.models import PersonServed
from pillars.recovery import referrals_pdf
from pillars.recovery.forms.referrals import LogForm, ReferForm, ReopenForm, SearchForm, StatusForm
from pillars.recovery.models.directory import HsdsService
from pillars.recovery.models.plans import Goal, GoalStatus
from pillars.recovery.models.referrals import TRANSITIONS
from pillars.recovery.selectors import directory as directory_selectors
from pillars.recovery.selectors import referrals as selectors
from pillars.recovery.selectors.person_reads import readable_part
from pillars.recovery.services import referrals as services

route = Routes()


def _goals(person: PersonServed, user: Any) -> list[Goal]:
    # Label-filtered: a goal written in a Part 2 program is not offered (nor its words shown)
    # outside the program's team without a consent.
    goals = Goal.objects.filter(person=person, status=GoalStatus.ACTIVE).order_by("pk")
    return list(policy.readable(goals, user))


@route("persons/<uuid:public_id>/referrals/", name="person-referrals")
@page("a person's referrals (get_person_for audits)", GET)
def person_referrals(request: HttpRequest, public_id: UUID) -> HttpResponse:
    person = people_selectors.get_person_for(
        request.user, public_id, "recovery.view_referrals", what="referrals"
    )
    return render(
        request,
        "recovery/referrals/person_list.html",
        {
            "person": person,
            "referrals": selectors.referrals_of(person, request.user),
            "can_refer": policy.can(request.user, "recovery.make_referral", person),
        },
    )


@route("persons/<uuid:public_id>/referrals/new/", name="referral-choose")
@page("searches the directory to refer a person (get_person_for and the search audit)", GET)
def choose_service(request: HttpRequest, public_id: UUID) -> HttpResponse:
    person = people_selectors.get_person_for(
        request.user, public_id, "recovery.make_referral", what="refer to a service"
    )
    form = SearchForm(request.GET or None)
    results = []
    if (
        form.is_valid()
        and form.cleaned_data["words"]
        and policy.allows(request.user, "recovery.search_directory")
    ):
        query = directory_selectors.DirectoryQuery(words=form.cleaned_data["words"])
        results = directory_selectors.search(request.user, query, limit=20)
    return render(
        request,
        "recovery/referrals/choose.html",
        {"person": person, "form": form, "results": results},
    )


@route("persons/<uuid:public_id>/referrals/new/<uuid:service_id>/", name="referral-new")
@page("previews and sends a referral (get_person_for audits, refer audits and releases)", GET_POST)
def refer(request: HttpRequest, public_id: UUID, service_id: UUID) -> HttpResponse:
    person = people_selectors.get_person_for(
        request.user, public_id, "recovery.make_referral", what="refer to a service"
    )
    service = (
        HsdsService.objects.select_related("organization").filter(public_id=service_id).first()
    )
    if service is None:
        raise Http404("Not found")
    goals = _goals(person, request.user)
    form = ReferForm(posted(request), goals=goals)
    reason = form.data.get("reason", "") if form.is_bound else ""
    seen = services.preview(person, actor=request.user, service=service, reason=reason)
    return form_write(
        request,
        form,
        "recovery/referrals/refer.html",
        {"person": person, "service": service, "form": form, "preview": seen},
        lambda data: services.refer(
            person,
            actor=request.user,
            service=service,
            reason=data["reason"],
            goal=form.chosen_goal(),
            follow_up_on=data["follow_up_on"],
            client_id=data["client_id"],
        ),
        saved_to(
            request,
            lambda made: (
                f"The referral is sent. The service's answer is due by {made.due_on:%b %d}."
            ),
            "recovery:referral",
        ),
    )


@route("persons/<uuid:public_id>/referrals/log/", name="referral-log")
@page("logs a referral made outside Pillars (get_person_for and log_outside audit)", GET_POST)
def log_outside(request: HttpRequest, public_id: UUID) -> HttpResponse:
    person = people_selectors.get_person_for(
        request.user, public_id, "recovery.make_referral", what="log a referral"
    )
    form = LogForm(posted(request))
    return form_write(
        request,
        form,
        "recovery/referrals/log.html",
        {"person": person, "form": form},
        lambda data: services.log_outside(person, actor=request.user, **data),
        saved_to(request, "The referral is logged.", "recovery:referral"),
    )


@route("referrals/<uuid:public_id>/", name="referral")
@page("one referral with its history (get_referral_for audits)", GET)
def detail(request: HttpRequest, public_id: UUID) -> HttpResponse:
    referral = selectors.get_referral_for(request.user, public_id, what="referral")
    can_update = policy.can(request.user, "recovery.make_referral", referral)
    contact = services.service_contact(referral.service) if referral.service else []
    return render(
        request,
        "recovery/referrals/detail.html",
        {
            "referral": referral,
            "person": referral.person,
            "goal": readable_part(request.user, referral.goal),
            "events": referral.events.select_related("actor", "outcome_reason"),
            "contact": contact,
            "can_update": can_update and referral.is_open,
            "can_reopen": can_update and not referral.is_open,
        },
    )


@route("referrals/<uuid:public_id>/status/", name="referral-status")
@page("changes a referral's status (get_referral_for and update_status audit)", GET_POST)
def update_status(request: HttpRequest, public_id: UUID) -> HttpResponse:
    referral = selectors.get_referral_for(
        request.user, public_id, "recovery.make_referral", what="referral to update"
    )
    form = StatusForm(posted(request), allowed=sorted(TRANSITIONS[referral.status]))
    return form_write(
        request,
        form,
        "recovery/referrals/status.html",
        {"referral": referral, "person": referral.person, "form": form},
        lambda data: services.update_status(
            referral,
            actor=request.user,
            status=data["status"],
            note=data["note"],
            outcome_reason=form.outcome(),
            follow_up_on=data["follow_up_on"],
        ),
        saved_to(
            request,
            lambda done: f"The referral is now {done.get_status_display().lower()}.",
            "recovery:referral",
        ),
    )


@route("referrals/<uuid:public_id>/reopen/", name="referral-reopen")
@page("reopens a closed referral (get_referral_for and reopen audit)", GET_POST)
def reopen(request: HttpRequest, public_id: UUID) -> HttpResponse:
    referral = selectors.get_referral_for(
        request.user, public_id, "recovery.make_referral", what="referral to reopen"
    )
    form = ReopenForm(posted(request))
    return form_write(
        request,
        form,
        "recovery/referrals/reopen.html",
        {"referral": referral, "person": referral.person, "form": form},
        lambda data: services.reopen(referral, actor=request.user, **data),
        saved_to(request, "The referral is open again.", "recovery:referral"),
    )


@route("referrals/<uuid:public_id>/packet/", name="referral-packet")
@page("the printable referral packet (get_referral_for audits, release logs the disclosure)", GET)
def packet(request: HttpRequest, public_id: UUID) -> HttpResponse:
    referral = selectors.get_referral_for(
        request.user, public_id, "recovery.make_referral", what="referral packet"
    )
    if referral.service is None:
        raise Http404("Not found")
    released = services.release_packet(referral, actor=request.user, fmt="print")
    fields = services.packet_fields(
        referral.person, referral.service, reason=referral.reason, goal=referral.goal
    )
    return render(
        request,
        "recovery/referrals/packet.html",
        {"referral": referral, "fields": fields, "notice": released.notice},
    )


@route("referrals/<uuid:public_id>/packet.pdf", name="referral-packet-pdf")
@page("the referral packet as a PDF (get_referral_for audits, release logs the disclosure)", GET)
def packet_pdf(request: HttpRequest, public_id: UUID) -> HttpResponse:
    referral = selectors.get_referral_for(
        request.user, public_id, "recovery.make_referral", what="referral packet pdf"
    )
    if referral.service is None:
        raise Http404("Not found")
    response = HttpResponse(
        referrals_pdf.export(request.user, referral), content_type="application/pdf"
    )
    response["Content-Disposition"] = f'inline; filename="referral-{referral.public_id}.pdf"'
    return response


@route("referrals/", name="referral-list")
@page("open referrals (one audited list read)", GET)
def referral_list(request: HttpRequest) -> HttpResponse:
    policy.require(request.user, "recovery.view_referrals")
    rows = list(selectors.open_referrals(request.user)[:200])
    people_selectors.record_list_read(request.user, [r.person for r in rows], what="open referrals")
    return render(request, "recovery/referrals/list.html", {"referrals": rows})


@route("referrals/outcomes/", name="referral-outcomes")
@page("referral outcomes counted by service and peer (outcomes audits; small cells hidden)", GET)
def outcomes(request: HttpRequest) -> HttpResponse:
    return render(
        request, "recovery/referrals/outcomes.html", {"report": selectors.outcomes(request.user)}
    )


urlpatterns: list[URLPattern] = route.patterns
