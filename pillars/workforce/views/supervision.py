"""Supervision pages: the supervisor's week (each supervisee's cadence, last and next session,
hours, drift items, caseload), recording and signing a session, a session with its addenda,
the supervisee's own view, the ledger with work hours and letters, and the printed letter.

Views stay thin: a form parses, a selector fetches (scoped, audited), one service writes.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, reverse

from pillars.core import clock, policy
from pillars.core.errors import Conflict
from pillars.core.formtools import form_write, posted, saved, saved_to
from pillars.core.pages import GET, GET_POST, POST, page
from pillars.core.routes import Routes
from pillars.people.models import Staff
from pillars.workforce import supervision_pdf
from pillars.workforce.forms.supervision import (
    LetterForm,
    ProfileForm,
    SessionAddendumForm,
    SessionForm,
    WorkHoursForm,
)
from pillars.workforce.models.supervision import (
    CadenceRule,
    CertificationRule,
    SupervisionSession,
)
from pillars.workforce.selectors import caseloads as caseload_selectors
from pillars.workforce.selectors import supervision as selectors
from pillars.workforce.services import supervision as services

route = Routes()

RECENT = 20


def _me(request: HttpRequest) -> Staff | None:
    actor = policy.actor_for(request.user)
    return Staff.objects.filter(pk=actor.staff_id).first() if actor.staff_id else None


def _zone(staff: Staff | None) -> Any:
    """The staff member's zone, as their ledger and cadence count days (``zone_of``)."""
    return str(services.zone_of(staff)) if staff is not None else settings.PILLARS_DEFAULT_TIME_ZONE


@route("supervision/", name="supervision-week")
@page("the supervisor's week: supervisees' cadence, sessions, hours, drift, caseloads", GET)
def week(request: HttpRequest) -> HttpResponse:
    policy.require(request.user, "workforce.supervise")
    now = clock.now()
    today = clock.organization_today(now)  # exits and caseload days are the organization's
    supervisees = list(selectors.supervisees_of(request.user, today))
    rows = selectors.week_rows(supervisees, now)
    caseloads: dict[int, list[Any]] = {}
    for row in caseload_selectors.caseload_rows(supervisees, today, user=request.user):
        caseloads.setdefault(row.staff.pk, []).append(row)
    recent = list(selectors.sessions_visible_to(request.user)[:RECENT])
    caseload_selectors.audit_balance_read(request.user, supervisees, what="supervisor week")
    return render(
        request,
        "workforce/supervision/week.html",
        {
            "entries": [(r, caseloads.get(r.staff.pk, [])) for r in rows],
            "recent": recent,
            "zone_name": _zone(_me(request)),
            "can_record": policy.can(request.user, "workforce.record_session"),
        },
    )


@route("supervision/mine/", name="my-supervision")
@page("one's own supervision: sessions, agenda, hours (audited as a read of oneself)", GET)
def my_supervision(request: HttpRequest) -> HttpResponse:
    policy.require(request.user, "workforce.view_own_supervision")
    me = _me(request)
    if me is None:
        return render(request, "403.html", status=403)
    now = clock.now()
    [row] = selectors.week_rows([me], now)
    sessions = list(selectors.sessions_of(me)[:RECENT])
    return render(
        request,
        "workforce/supervision/mine.html",
        {
            "me": me,
            "row": row,
            "sessions": sessions,
            "to_sign": [
                s for s in sessions if policy.allows(request.user, "workforce.sign_session", s)
            ],
            "items": list(selectors.open_items([me.pk])),
            "agenda": list(selectors.waiting_agenda([me.pk])),
            "ledger": selectors.ledger(me, clock.local(now, _zone(me)).date()),
            "zone_name": _zone(me),
        },
    )


@route("supervision/sessions/new/", name="session-new")
@page("records a supervision session (audited by record_session)", GET_POST)
def session_new(request: HttpRequest) -> HttpResponse:
    policy.require(request.user, "workforce.record_session")
    me = _me(request)
    zone = _zone(me)
    now = clock.now()
    supervisees = list(
        selectors.supervisees_of(request.user, clock.organization_today(now)).filter(supervisor=me)
    )
    by_id = {str(s.public_id): s for s in supervisees}
    items = list(selectors.open_items([s.pk for s in supervisees]))
    items_by_id = {str(i.public_id): i for i in items}
    agenda = list(selectors.waiting_agenda([s.pk for s in supervisees]))
    chosen = request.GET.get("supervisee", "")
    form = SessionForm(
        posted(request),
        supervisees=supervisees,
        open_items=items,
        initial={
            "started_at": clock.local(now, zone).replace(second=0, microsecond=0),
            "supervisees": [chosen] if chosen in by_id else [],
            "kind": "supportive",
        },
    )

    def write(data: dict[str, Any]) -> SupervisionSession:
        people = [by_id[p] for p in data["supervisees"]]
        return services.record_session(
            actor=request.user,
            supervisees=people,
            kind=data["kind"],
            started_at=data["started_at"],
            minutes=data["minutes"],
            is_face_to_face=data["is_face_to_face"],
            topics=data["topics"],
            notes=data["notes"] or "",
            action_items=[
                services.NewActionItem(p, text) for text in data["action_items"] for p in people
            ],
            close_items=[items_by_id[i] for i in data.get("close_items") or []],
            sign=data["sign"],
        )

    return form_write(
        request,
        form,
        "workforce/supervision/session_form.html",
        {"form": form, "items": items, "agenda": agenda, "zone_name": zone},
        write,
        saved_to(
            request,
            lambda s: "Session recorded." + (" You signed it." if s.supervisor_signed_at else ""),
            "workforce:session-detail",
        ),
        zone=zone,
    )


@route("supervision/sessions/<uuid:public_id>/", name="session-detail")
@page("reads a supervision session (audited by get_session_for)", GET)
def session_detail(request: HttpRequest, public_id: UUID) -> HttpResponse:
    session = selectors.get_session_for(request.user, public_id, what="supervision session")
    return render(
        request,
        "workforce/supervision/session_detail.html",
        {
            "session": session,
            "can_sign": policy.allows(request.user, "workforce.sign_session", session),
            "can_amend": policy.allows(request.user, "workforce.add_session_addendum", session),
            "zone_name": _zone(_me(request)),
        },
    )


@route("supervision/sessions/<uuid:public_id>/sign/", name="session-sign")
@page("signs a supervision session (audited by sign_session)", POST)
def session_sign(request: HttpRequest, public_id: UUID) -> HttpResponse:
    session = selectors.get_session_for(
        request.user, public_id, "workforce.sign_session", what="sign session"
    )
    target = reverse("workforce:session-detail", args=[session.public_id])
    try:
        session = services.sign_session(session, actor=request.user)
    except Conflict as exc:
        messages.error(request, exc.message)
        return redirect(target)
    done = " Everyone has signed: the session is closed to change." if session.is_signed else ""
    return saved(request, "You signed the session." + done, target)


@route("supervision/sessions/<uuid:public_id>/addendum/", name="session-addendum")
@page("adds an addendum to a signed session (audited by add_session_addendum)", GET_POST)
def session_addendum(request: HttpRequest, public_id: UUID) -> HttpResponse:
    session = selectors.get_session_for(
        request.user, public_id, "workforce.add_session_addendum", what="session addendum"
    )
    form = SessionAddendumForm(posted(request))
    return form_write(
        request,
        form,
        "workforce/supervision/addendum_form.html",
        {"form": form, "session": session},
        lambda d: services.add_session_addendum(session, actor=request.user, **d),
        saved_to(request, "Addendum added.", "workforce:session-detail", session),
    )


@route("supervision/items/<uuid:public_id>/close/", name="action-item-close")
@page("closes an action item (audited by close_action_item)", POST)
def action_item_close(request: HttpRequest, public_id: UUID) -> HttpResponse:
    item = selectors.get_action_item_for(request.user, public_id)
    target = reverse("workforce:supervision-week")
    try:
        services.close_action_item(item, actor=request.user)
    except Conflict as exc:
        messages.error(request, exc.message)
        return redirect(target)
    return saved(request, f"Closed: {item.text}", target)


@route("supervision/staff/<uuid:public_id>/ledger/", name="ledger")
@page("reads a supervised-hours ledger (audited by get_staff_for)", GET)
def ledger(request: HttpRequest, public_id: UUID) -> HttpResponse:
    staff = selectors.get_staff_for(
        request.user, public_id, "workforce.view_ledger", what="supervised-hours ledger"
    )
    today = clock.today_in(_zone(staff))  # the staff member's day, not UTC's
    return render(
        request,
        "workforce/supervision/ledger.html",
        {
            "staff": staff,
            "lines": selectors.ledger(staff, today),
            "work": list(selectors.work_hours_of(staff)[:50]),
            "letters": list(selectors.letters_of(staff)),
            "sessions": list(selectors.sessions_of(staff)[:RECENT]),
            "profile": services.profile_of(staff),
            "rule": services.cadence_rule_for(staff),
            "supervises": policy.allows(request.user, "workforce.record_work_hours", staff),
            "zone_name": _zone(staff),
        },
    )


@route("supervision/staff/<uuid:public_id>/hours/new/", name="work-hours-new")
@page("records supervised work hours (audited by get_staff_for and record_work_hours)", GET_POST)
def work_hours_new(request: HttpRequest, public_id: UUID) -> HttpResponse:
    staff = selectors.get_staff_for(
        request.user, public_id, "workforce.record_work_hours", what="work hours form"
    )
    form = WorkHoursForm(posted(request))
    return form_write(
        request,
        form,
        "workforce/supervision/simple_form.html",
        {"form": form, "staff": staff, "title": f"Supervised work hours of {staff}"},
        lambda d: services.record_work_hours(staff, actor=request.user, **d),
        saved_to(request, "Hours recorded.", "workforce:ledger", staff),
    )


@route("supervision/staff/<uuid:public_id>/letters/new/", name="letter-new")
@page("signs a verification letter (audited by get_staff_for and sign_letter)", GET_POST)
def letter_new(request: HttpRequest, public_id: UUID) -> HttpResponse:
    staff = selectors.get_staff_for(
        request.user, public_id, "workforce.sign_letter", what="verification letter form"
    )
    rules = list(CertificationRule.objects.filter(is_active=True))
    me = _me(request)
    form = LetterForm(
        posted(request),
        rules=rules,
        initial={
            "period_start": staff.hired_on,
            "period_end": clock.today_in(_zone(staff)),
            "credential": me.job_title if me else "",
        },
    )
    by_id = {str(r.public_id): r for r in rules}
    return form_write(
        request,
        form,
        "workforce/supervision/simple_form.html",
        {
            "form": form,
            "staff": staff,
            "title": f"Sign a verification letter for {staff}",
            "hint": "The hours are taken from the signed sessions and recorded work hours of "
            "the period, and fixed when you sign.",
            "submit": "Sign the letter",
        },
        lambda d: services.sign_letter(
            staff,
            actor=request.user,
            rule=by_id[d["rule"]],
            period_start=d["period_start"],
            period_end=d["period_end"],
            credential=d["credential"],
        ),
        saved_to(request, "Letter signed.", "workforce:ledger", staff),
    )


@route("supervision/letters/<uuid:public_id>/print/", name="letter-pdf")
@page("prints a verification letter (audited by get_letter_for and the export door)", GET)
def letter_pdf(request: HttpRequest, public_id: UUID) -> HttpResponse:
    letter = selectors.get_letter_for(request.user, public_id, what="verification letter pdf")
    response = HttpResponse(supervision_pdf.export(request.user, letter), "application/pdf")
    response["Content-Disposition"] = 'inline; filename="supervised-hours-letter.pdf"'
    return response


@route("supervision/staff/<uuid:public_id>/profile/", name="supervision-profile")
@page("sets a supervisee's certification status and rules (audited by set_profile)", GET_POST)
def profile(request: HttpRequest, public_id: UUID) -> HttpResponse:
    staff = selectors.get_staff_for(
        request.user, public_id, "workforce.record_work_hours", what="supervision profile"
    )
    current = services.profile_of(staff)
    rules = list(CadenceRule.objects.filter(is_active=True, is_current=True))
    targets = list(CertificationRule.objects.filter(is_active=True))
    form = ProfileForm(
        posted(request),
        rules=rules,
        targets=targets,
        initial={
            "status": current.status,
            "cadence_rule": str(current.cadence_rule.public_id) if current.cadence_rule else "",
            "target": str(current.target.public_id) if current.target else "",
        },
    )
    rule_by = {str(r.public_id): r for r in rules}
    target_by = {str(r.public_id): r for r in targets}
    return form_write(
        request,
        form,
        "workforce/supervision/simple_form.html",
        {"form": form, "staff": staff, "title": f"Supervision of {staff}"},
        lambda d: services.set_profile(
            staff,
            actor=request.user,
            status=d["status"],
            cadence_rule=rule_by.get(d["cadence_rule"]),
            target=target_by.get(d["target"]),
        ),
        saved_to(request, "Saved.", "workforce:ledger", staff),
    )


urlpatterns: list[URLPattern] = route.patterns
