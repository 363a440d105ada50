"""Pages of peer matching: a peer's own profile (share per attribute, withdraw), requesting a
peer for a person served, the candidates with why each was offered, the person's choice, and
the list of requests in progress.

Views stay thin: a form parses, a selector fetches (scoped, audited), one service writes.
"""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, reverse

from pillars.core import policy
from pillars.core.errors import Conflict, ValidationError
from pillars.core.formtools import form_write, posted, refusal_text, saved, saved_to
from pillars.core.pages import GET, GET_POST, POST, page
from pillars.core.routes import Routes
from pillars.people import selectors as people_selectors
from pillars.recovery.forms.matching import CancelForm, ChooseForm, ProfileForm, RequestForm
from pillars.recovery.models.matching import SHAREABLE
from pillars.recovery.selectors import matching as selectors
from pillars.recovery.services import matching as services

route = Routes()


@route("peer-profile/", name="peer-profile")
@page("one's own peer profile; save_peer_profile audits the change", GET_POST)
def profile(request: HttpRequest) -> HttpResponse:
    policy.require(request.user, "recovery.edit_peer_profile")
    me = selectors.own_staff(request.user)
    current = selectors.profile_of(me)
    form = ProfileForm(posted(request), initial=ProfileForm.initial_from(current))
    return form_write(
        request,
        form,
        "recovery/matching/profile.html",
        {
            "form": form,
            "profile": current,
            "shared_lines": selectors.describe_shared(current.shared()) if current else [],
        },
        lambda data: services.save_peer_profile(
            me,
            actor=request.user,
            values=form.values(),
            shares=form.shares(),
            is_accepting=data["is_accepting"],
        ),
        lambda saved_profile: saved(
            request, "Your peer profile is saved.", reverse("recovery:peer-profile")
        ),
    )


@route("peer-profile/withdraw/", name="peer-profile-withdraw")
@page("withdraws one shared attribute of one's own peer profile (withdraw_attribute audits)", POST)
def profile_withdraw(request: HttpRequest) -> HttpResponse:
    policy.require(request.user, "recovery.edit_peer_profile")
    current = selectors.profile_of(selectors.own_staff(request.user))
    attribute = request.POST.get("attribute", "")
    if current is None:
        messages.info(request, "You have no peer profile yet.")
        return redirect("recovery:peer-profile")
    try:
        services.withdraw_attribute(current, actor=request.user, attribute=attribute)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request, f"{SHAREABLE[attribute]}: no longer shared. Matching stops using it now."
        )
    return redirect("recovery:peer-profile")


@route("persons/<uuid:public_id>/peer-request/", name="match-request-new")
@page(
    "opens a request for a peer for a person; get_person_for and open_match_request audit", GET_POST
)
def request_new(request: HttpRequest, public_id: UUID) -> HttpResponse:
    person = people_selectors.get_person_for(
        request.user, public_id, "recovery.request_peer", what="request a peer"
    )
    form = RequestForm(posted(request))
    return form_write(
        request,
        form,
        "recovery/matching/request_form.html",
        {"person": person, "form": form},
        lambda data: services.open_match_request(
            person, actor=request.user, preferences=form.preferences(), note=data["note"]
        ),
        saved_to(
            request,
            lambda made: (
                "The request is open. Read the peers offered with the person."
                if made.candidates.exists()
                else "The request is open. No peer with room fits yet; offer again later."
            ),
            "recovery:match-request",
        ),
    )


@route("peer-requests/<uuid:public_id>/", name="match-request")
@page("a request for a peer and the short profiles offered (get_request_for audits)", GET)
def request_detail(request: HttpRequest, public_id: UUID) -> HttpResponse:
    match = selectors.get_request_for(request.user, public_id, what="peer request")
    context = {
        "match": match,
        "person": match.person,
        "offered": selectors.offered_peers(match) if match.is_active else [],
        "can_choose": match.is_active
        and policy.can(request.user, "recovery.record_peer_choice", match),
        "can_manage": match.is_active and policy.can(request.user, "recovery.request_peer", match),
        "choose_form": ChooseForm(),
    }
    return render(request, "recovery/matching/request.html", context)


@route("peer-requests/<uuid:public_id>/choose/", name="match-choose")
@page("records the person's choice of peer; get_request_for and choose_peer audit", POST)
def request_choose(request: HttpRequest, public_id: UUID) -> HttpResponse:
    match = selectors.get_request_for(
        request.user, public_id, "recovery.record_peer_choice", what="peer request to choose"
    )
    form = ChooseForm(request.POST)
    back = reverse("recovery:match-request", args=[match.public_id])
    if not form.is_valid():
        messages.error(request, "Confirm that the person chose this peer themself.")
        return redirect(back)
    peer = next(
        (
            o.peer
            for o in selectors.offered_peers(match)
            if o.peer.public_id == form.cleaned_data["peer"]
        ),
        None,
    )
    if peer is None:
        messages.error(request, "Choose one of the peers offered.")
        return redirect(back)
    try:
        services.choose_peer(match, actor=request.user, peer=peer, chosen_by_person=True)
    except (ValidationError, Conflict) as exc:
        text = refusal_text(exc)
        messages.error(request, f"{text} Nothing was saved.")
        return redirect(back)
    messages.success(
        request, f"{match.person.display_name} chose {peer.display_name} as their peer."
    )
    return redirect(back)


@route("peer-requests/<uuid:public_id>/offer/", name="match-refresh")
@page("offers peers again for a request; get_request_for and refresh_candidates audit", POST)
def request_refresh(request: HttpRequest, public_id: UUID) -> HttpResponse:
    match = selectors.get_request_for(
        request.user, public_id, "recovery.request_peer", what="peer request to offer again"
    )
    try:
        services.refresh_candidates(match, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "The peers offered are up to date.")
    return redirect("recovery:match-request", public_id=match.public_id)


@route("peer-requests/<uuid:public_id>/withdraw/", name="match-cancel")
@page("withdraws a request for a peer; get_request_for and cancel_match_request audit", GET_POST)
def request_cancel(request: HttpRequest, public_id: UUID) -> HttpResponse:
    match = selectors.get_request_for(
        request.user, public_id, "recovery.request_peer", what="peer request to withdraw"
    )
    form = CancelForm(posted(request))
    return form_write(
        request,
        form,
        "recovery/matching/cancel.html",
        {"match": match, "person": match.person, "form": form},
        lambda data: services.cancel_match_request(match, actor=request.user, **data),
        saved_to(request, "The request is withdrawn.", "recovery:match-request"),
    )


@route("peer-requests/", name="match-list")
@page("requests for a peer in progress (one audited list read)", GET)
def request_list(request: HttpRequest) -> HttpResponse:
    policy.require(request.user, "recovery.view_peer_matches")
    requests = list(selectors.requests_visible_to(request.user))
    people_selectors.record_list_read(
        request.user, [r.person for r in requests], what="peer requests in progress"
    )
    return render(request, "recovery/matching/request_list.html", {"requests": requests})


urlpatterns: list[URLPattern] = route.patterns
