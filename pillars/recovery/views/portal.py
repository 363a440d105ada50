"""The person's own page at /recovery/me/, and the staff pages that give and end access.

The person's pages use no staff sign-in: opening the link and entering the code sets a signed
cookie naming the access (``PERSON_COOKIE``), separate from any staff session on the same
phone. Each request reads the access afresh, so expiry and revocation end the session at the
next request. Without a valid person cookie, every person page answers 404 (a signed-in staff
member included), exactly as a page that does not exist; the only person page reached without
one is the code page behind the link.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import URLPattern, reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pillars.core import clock, policy
from pillars.core.declare import audited
from pillars.core.errors import Conflict, ValidationError
from pillars.core.formtools import form_write, posted
from pillars.core.pages import GET, POST, page
from pillars.core.routes import Routes
from pillars.people import selectors as people_selectors
from pillars.people.selectors import person_zone
from pillars.recovery.forms.portal import CodeForm, OwnBarcForm, OwnProgressForm
from pillars.recovery.models.plans import WellnessSection
from pillars.recovery.models.portal import PersonAccess
from pillars.recovery.services import capital as capital_services
from pillars.recovery.services import plans as plan_services
from pillars.recovery.services import portal as services

route = Routes()

PERSON_COOKIE = "pillars_person"
SALT = "pillars.recovery.portal"


def _client_address(request: HttpRequest) -> str | None:
    from axes.helpers import get_client_ip_address

    return getattr(request, "axes_ip_address", None) or get_client_ip_address(request)


def _person_access(request: HttpRequest) -> PersonAccess:
    """The access of this phone's person session, still in force; 404 otherwise."""
    try:
        public_id = request.get_signed_cookie(PERSON_COOKIE, salt=SALT)
    except (KeyError, signing.BadSignature):
        raise Http404("Not found") from None
    access = services.session_access(public_id)
    if access is None:
        raise Http404("Not found")
    return access


def _person_render(
    request: HttpRequest, template: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    response = render(request, template, context, status=status)
    response["Cache-Control"] = "no-store"
    return response


# --- The person's pages ------------------------------------------------------------------------


@route("me/", name="portal-home")
@audited("the person's own page; page_for audits the view under the access")
@never_cache
@require_GET
def portal_home(request: HttpRequest) -> HttpResponse:
    access = _person_access(request)
    page = services.page_for(access)
    return _person_render(
        request,
        "recovery/portal/home.html",
        {
            "access": access,
            "page": page,
            "plan_sections": _plan_sections(page.plan),
            "zone_name": str(person_zone(access.person)),
        },
    )


@route("me/goals/<uuid:public_id>/progress/", name="portal-progress")
@audited("the person records progress on their goal; record_goal_progress audits it")
@never_cache
@require_http_methods(["GET", "POST"])
def portal_progress(request: HttpRequest, public_id: UUID) -> HttpResponse:
    access = _person_access(request)
    goal = services.goal_for(access, public_id)
    form = OwnProgressForm(posted(request))
    return form_write(
        request,
        form,
        "recovery/portal/progress.html",
        {"goal": goal, "form": form},
        lambda data: plan_services.record_goal_progress(
            goal,
            actor=access,
            note=data["note"],
            attainment=data.get("attainment"),
            client_id=data["client_id"],
        ),
        lambda _: _done(request, "Your progress note is saved. Thank you."),
    )


@route("me/barc-10/", name="portal-barc")
@audited("the person answers the BARC-10 and sees their totals; barc_trend and record audit")
@never_cache
@require_http_methods(["GET", "POST"])
def portal_barc(request: HttpRequest) -> HttpResponse:
    access = _person_access(request)
    instrument = services.barc(access)
    form = OwnBarcForm(posted(request), instrument=instrument)
    rows = services.barc_trend(access) if request.method == "GET" else []
    return form_write(
        request,
        form,
        "recovery/portal/barc.html",
        {"instrument": instrument, "form": form, "rows": rows},
        lambda data: capital_services.record_assessment(
            access.person,
            actor=access,
            instrument=instrument,
            answers=form.answers(),
            note=data["note"],
            client_id=data["client_id"],
        ),
        lambda a: _done(request, f"Your answers are saved. Your total today: {a.total}."),
    )


@route("me/leave/", name="portal-leave")
@audited("the person leaves their page on this phone; end_session audits it")
@never_cache
@require_POST
def portal_leave(request: HttpRequest) -> HttpResponse:
    access = _person_access(request)
    services.end_session(access)
    response = _person_render(request, "recovery/portal/left.html", {})
    response.delete_cookie(PERSON_COOKIE, samesite="Strict")
    return response


# The code link's path takes any token, so it is routed after the fixed paths under me/.
@route("me/<str:token>/", name="portal-open")
@audited("opens a person's own page with its code; open_access audits every attempt")
@never_cache
@require_http_methods(["GET", "POST"])
def portal_open(request: HttpRequest, token: str) -> HttpResponse:
    form = CodeForm(posted(request))
    refused = False
    if request.method == "POST" and form.is_valid():
        access = services.open_access(
            token, form.cleaned_data["code"], address=_client_address(request)
        )
        if access is not None:
            response = HttpResponseRedirect(reverse("recovery:portal-home"))
            response.set_signed_cookie(
                PERSON_COOKIE,
                str(access.public_id),
                salt=SALT,
                max_age=max(1, int((access.expires_at - clock.now()).total_seconds())),
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Strict",
            )
            return response
        refused = True
    if refused:
        form = CodeForm()
    return _person_render(
        request,
        "recovery/portal/open.html",
        {"form": form, "refused": refused, "refusal": services.REFUSAL},
        status=400 if refused else 200,
    )


def _plan_sections(plan: Any) -> list[tuple[str, list[dict[str, str]]]]:
    """The signed plan's sections in reading order, with their headings."""
    if plan is None:
        return []
    content = plan.content or {}
    return [(s.label, content[s.value]) for s in WellnessSection if content.get(s.value)]


def _done(request: HttpRequest, message: str) -> HttpResponse:
    messages.success(request, message)
    return HttpResponseRedirect(reverse("recovery:portal-home"))


# --- Staff pages -------------------------------------------------------------------------------


@route("persons/<uuid:public_id>/own-page/", name="portal-access-list")
@page(
    "lists a person's accesses to their own page; get_person_for audits the read",
    GET,
    never_cache=True,
)
def access_list(request: HttpRequest, public_id: UUID) -> HttpResponse:
    person = people_selectors.get_person_for(
        request.user, public_id, "recovery.view_person_access", what="own page access"
    )
    return render(
        request,
        "recovery/portal/access_list.html",
        {
            "person": person,
            "accesses": list(services.accesses_of(person, request.user)),
            "now": clock.now(),
            "zone_name": str(person_zone(person)),
            "can_issue": not people_selectors.is_emergency_read(request.user, person)
            and policy.allows(request.user, "recovery.issue_person_access", person),
        },
    )


@route("persons/<uuid:public_id>/own-page/issue/", name="portal-access-issue")
@page("gives a person access to their own page; issue_access audits it", POST, never_cache=True)
def access_issue(request: HttpRequest, public_id: UUID) -> HttpResponse:
    person = people_selectors.get_person_for(
        request.user, public_id, "recovery.issue_person_access", what="own page access"
    )
    try:
        issued = services.issue_access(person, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return HttpResponseRedirect(reverse("recovery:portal-access-list", args=[public_id]))
    link = request.build_absolute_uri(reverse("recovery:portal-open", args=[issued.token]))
    # Shown once, on this response only: neither the link nor the code is stored.
    response = render(
        request,
        "recovery/portal/issued.html",
        {"person": person, "issued": issued, "link": link, "zone_name": str(person_zone(person))},
    )
    response["Cache-Control"] = "no-store"
    return response


@route("own-page/<uuid:public_id>/revoke/", name="portal-access-revoke")
@page("ends a person's access to their own page; revoke_access audits it", POST)
def access_revoke(request: HttpRequest, public_id: UUID) -> HttpResponse:
    access = services.get_access_for(request.user, public_id, "recovery.revoke_person_access")
    try:
        services.revoke_access(access, actor=request.user)
        messages.success(request, "The access is ended.")
    except Conflict as exc:
        messages.error(request, str(exc))
    return HttpResponseRedirect(
        reverse("recovery:portal-access-list", args=[access.person.public_id])
    )


urlpatterns: list[URLPattern] = route.patterns
