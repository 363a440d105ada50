"""Pages of the encounters area: a peer's day, writing an encounter (one person or a group),
the encounter with its addenda, adding an addendum, voiding, the scope-guard check as the peer
types, and video sessions (schedule, list, the link, recording the encounter from it).

Views stay thin: a form parses, a selector fetches (scoped, audited), one service writes.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from pillars.core import clock, policy
from pillars.core.declare import audit_exempt
from pillars.core.errors import Conflict, ValidationError
from pillars.core.formtools import form_write, posted, refusal_text, saved, saved_to
from pillars.core.pages import GET, GET_POST, POST, page
from pillars.core.routes import Routes
from pillars.people import hooks
from pillars.people import selectors as people_selectors
from pillars.people.models import PersonServed, Staff
from pillars.people.selectors import person_zone
from pillars.recovery.forms.encounters import (
    AddendumForm,
    EncounterForm,
    GroupForm,
    ScheduleForm,
    VoidForm,
)
from pillars.recovery.models.encounters import Modality, Setting, VirtualSession
from pillars.recovery.selectors import encounters as selectors
from pillars.recovery.selectors.person_reads import readable_part
from pillars.recovery.services import encounters as services

route = Routes()

RECENT_DAYS = 14
GROUP_CANDIDATES = 40


def _staff(request: HttpRequest) -> Staff | None:
    actor = policy.actor_for(request.user)
    return Staff.objects.filter(pk=actor.staff_id).first() if actor.staff_id else None


@route("", name="my-day")
@page("a peer's day: today's video sessions and recent encounters (one audited list read)", GET)
def my_day(request: HttpRequest) -> HttpResponse:
    policy.require(request.user, "recovery.view_encounter")
    actor = policy.actor_for(request.user)
    now = clock.now()
    staff = _staff(request)
    # The day is the peer's own: the zone of their first home unit, else the default.
    unit = staff.home_units.order_by("pk").first() if staff is not None else None
    zone = ZoneInfo(unit.time_zone) if unit is not None else timezone.get_current_timezone()
    today = clock.today_in(zone)
    since = now - timedelta(days=RECENT_DAYS)
    encounters = list(
        selectors.encounters_visible_to(request.user).filter(started_at__gte=since)[:50]
    )
    sessions = list(
        selectors.sessions_visible_to(request.user, upcoming_from=now - timedelta(hours=2)).filter(
            scheduled_at__lt=now + timedelta(days=7)
        )[:30]
    )
    people: list[PersonServed] = []
    if policy.can(request.user, "recovery.write_encounter"):
        people = list(
            people_selectors.persons_visible_to(request.user, action="recovery.write_encounter")[
                :GROUP_CANDIDATES
            ]
        )
    people_selectors.record_list_read(
        request.user,
        list(
            {
                p.pk: p
                for p in [e.person for e in encounters] + [s.person for s in sessions] + people
            }.values()
        ),
        what="peer day",
    )
    return render(
        request,
        "recovery/encounters/my_day.html",
        {
            "encounters": encounters,
            "sessions": sessions,
            "people": people,
            "today": today,
            "zone_name": str(zone),
            "is_writer": actor.has_role("peer"),
            "can_write": bool(people),
        },
    )


def _encounter_context(request: HttpRequest, person: PersonServed) -> dict[str, Any]:
    return {
        "activities": list(selectors.active_activities()),
        "check_url": reverse("recovery:encounter-check"),
        "goals": list(selectors.goals_for(person, request.user)),
    }


BILLING_NOTE = (
    "Only billable encounters need these: an encounter that is not billed can still be written."
)


def _floor_notes(staff: Staff | None, *, bills: bool = True) -> hooks.FloorNotes:
    """What the floor gate says about the writer signing a billable peer service (a lapsed
    certification blocks or warns, workforce floor rules), before they write."""
    if staff is None or not bills:
        return hooks.FloorNotes(hooks.FloorTask.BILLABLE_PEER_SERVICE)
    notes = hooks.floor_notes([staff], hooks.FloorTask.BILLABLE_PEER_SERVICE)
    notes.note = BILLING_NOTE
    return notes


def _bills(person: PersonServed, staff: Staff | None, session: VirtualSession | None) -> bool:
    program = session.program if session is not None else None
    rule = services.rule_for(program or services.program_for(person, staff))
    return rule is not None and rule.bills_peer_services


def _signed(request: HttpRequest, encounter: Any, staff: Staff | None) -> HttpResponse:
    if staff is not None and encounter.billing_units:
        for reason in hooks.floor_warnings(staff, hooks.FloorTask.BILLABLE_PEER_SERVICE):
            messages.warning(request, f"Allowed with a warning: {reason}")
    return saved(
        request,
        _signed_message(encounter),
        reverse("recovery:encounter-detail", args=[encounter.public_id]),
    )


def _starting(staff: Staff | None, zone: Any) -> dict[str, Any]:
    """What a new encounter's form (one person's or a group's) starts from: now, to the minute
    in ``zone``; the writer's (``staff``) job title as the credential; in person, on the unit."""
    return {
        "started_at": clock.now().astimezone(zone).replace(second=0, microsecond=0),
        "credential": staff.job_title if staff else "",
        "modality": Modality.IN_PERSON,
        "setting": Setting.UNIT,
    }


def _write_encounter(
    request: HttpRequest, person: PersonServed, session: VirtualSession | None
) -> HttpResponse:
    zone = person_zone(person)
    extra = _encounter_context(request, person)
    staff = _staff(request)
    initial = _starting(staff, zone)
    if session is not None:
        initial.update(
            modality=Modality.VIDEO,
            setting=Setting.VIRTUAL,
            started_at=session.scheduled_at.astimezone(zone),
            minutes=session.minutes_planned,
        )
    form = EncounterForm(
        posted(request),
        initial=initial,
        activities=extra["activities"],
        check_url=extra["check_url"],
        goals=extra["goals"],
    )
    return form_write(
        request,
        form,
        "recovery/encounters/encounter_form.html",
        {
            "person": person,
            "form": form,
            "zone_name": str(zone),
            "session": session,
            "floor_notes": _floor_notes(staff, bills=_bills(person, staff, session)),
        },
        lambda data: services.record_encounter(
            person,
            actor=request.user,
            **form.note_data(),
            person_response=data["person_response"],
            next_steps=data["next_steps"],
            goal=form.chosen_goal(),
            written_with_person=data["written_with_person"],
            virtual_session=session,
            client_id=data["client_id"],
        ),
        lambda encounter: _signed(request, encounter, staff),
        zone=zone,
    )


def _signed_message(encounter: Any) -> str:
    flags = encounter.flags.count()
    if not flags:
        return "The encounter is signed."
    return (
        f"The encounter is signed; {flags} wording suggestion(s) are kept with it for supervision."
    )


@route("persons/<uuid:public_id>/encounters/new/", name="encounter-new")
@page("writes and signs a peer encounter; get_person_for and record_encounter audit", GET_POST)
def encounter_new(request: HttpRequest, public_id: UUID) -> HttpResponse:
    person = people_selectors.get_person_for(
        request.user, public_id, "recovery.write_encounter", what="peer encounter form"
    )
    return _write_encounter(request, person, None)


@route("video-sessions/<uuid:public_id>/record/", name="session-record")
@page(
    "records the encounter of a video session; get_session_for and record_encounter audit", GET_POST
)
def session_record(request: HttpRequest, public_id: UUID) -> HttpResponse:
    session = selectors.get_session_for(
        request.user, public_id, "recovery.schedule_virtual_session", what="video session record"
    )
    policy.require(request.user, "recovery.write_encounter", session.person)
    return _write_encounter(request, session.person, session)


@route("encounters/group/new/", name="encounter-group-new")
@page("writes a group session and each attendee's encounter (record_group audits)", GET_POST)
def group_new(request: HttpRequest) -> HttpResponse:
    policy.require(request.user, "recovery.write_encounter")
    candidates = list(
        people_selectors.persons_visible_to(request.user, action="recovery.write_encounter")[
            :GROUP_CANDIDATES
        ]
    )
    people_selectors.record_list_read(request.user, candidates, what="group attendance form")
    goals: dict[int, list[Any]] = {}
    for goal in selectors.goals_for_many(candidates, request.user):
        goals.setdefault(goal.person_id, []).append(goal)
    zone = person_zone(candidates[0]) if candidates else timezone.get_current_timezone()
    staff = _staff(request)
    form = GroupForm(
        posted(request),
        initial=_starting(staff, zone) | {"activities": ["mutual-support-group"]},
        activities=list(selectors.active_activities()),
        check_url=reverse("recovery:encounter-check"),
        candidates=candidates,
        goals=goals,
    )
    return form_write(
        request,
        form,
        "recovery/encounters/group_form.html",
        {"form": form, "zone_name": str(zone), "floor_notes": _floor_notes(staff)},
        lambda data: services.record_group(
            [services.Attendee(p, came, note, goal) for p, came, note, goal in form.attendees()],
            actor=request.user,
            topic=data["topic"],
            client_id=data["client_id"],
            **form.note_data(),
        ),
        lambda group: saved(
            request,
            f"The group \u201c{group.topic}\u201d is signed, with a record for each person.",
            reverse("recovery:my-day"),
        ),
        field_map={"attendees": "__all__"},
        zone=zone,
    )


@route("encounters/<uuid:public_id>/", name="encounter-detail")
@page("one peer encounter with its addenda; get_encounter_for audits the read", GET)
def encounter_detail(request: HttpRequest, public_id: UUID) -> HttpResponse:
    encounter = selectors.get_encounter_for(request.user, public_id, what="peer encounter")
    zone = person_zone(encounter.person)
    return render(
        request,
        "recovery/encounters/encounter_detail.html",
        {
            "encounter": encounter,
            "person": encounter.person,
            "goal": readable_part(request.user, encounter.goal),
            "zone_name": str(zone),
            "can_addendum": not encounter.is_void
            and policy.allows(request.user, "recovery.add_encounter_addendum", encounter),
            "can_void": not encounter.is_void
            and policy.allows(request.user, "recovery.void_encounter", encounter),
        },
    )


@route("encounters/<uuid:public_id>/addendum/", name="encounter-addendum")
@page("adds an addendum to a signed encounter; get_encounter_for and add_addendum audit", GET_POST)
def encounter_addendum(request: HttpRequest, public_id: UUID) -> HttpResponse:
    return _amend_encounter(
        request,
        public_id,
        "recovery.add_encounter_addendum",
        AddendumForm,
        title="Add an addendum",
        write=services.add_addendum,
        done="The addendum is added; the signed encounter is unchanged.",
        what="encounter addendum",
    )


@route("encounters/<uuid:public_id>/void/", name="encounter-void")
@page("voids an encounter with a reason; get_encounter_for and void_encounter audit", GET_POST)
def encounter_void(request: HttpRequest, public_id: UUID) -> HttpResponse:
    return _amend_encounter(
        request,
        public_id,
        "recovery.void_encounter",
        VoidForm,
        title="Void this encounter",
        write=services.void_encounter,
        done="The encounter is voided; it stays readable with your reason.",
        what="encounter void",
    )


def _amend_encounter(
    request: HttpRequest,
    public_id: UUID,
    action: str,
    form_class: type[forms.Form],
    *,
    title: str,
    write: Callable[..., object],
    done: str,
    what: str,
) -> HttpResponse:
    """The page that adds to a signed encounter without changing it (an addendum, a void): the
    form, one service write (``write(encounter, actor=..., **cleaned_data)``), back to the
    encounter."""
    encounter = selectors.get_encounter_for(request.user, public_id, action, what=what)
    form = form_class(posted(request))
    return form_write(
        request,
        form,
        "recovery/encounters/addendum_form.html",
        {"encounter": encounter, "form": form, "title": title},
        lambda data: write(encounter, actor=request.user, **data),
        saved_to(request, done, "recovery:encounter-detail", encounter),
    )


@route("encounters/check/", name="encounter-check")
@audit_exempt("checks typed words against the scope-guard list; reads no record")
@login_required
@require_POST
def encounter_check(request: HttpRequest) -> HttpResponse:
    policy.require(request.user, "recovery.check_language")
    texts = {
        name: str(request.POST.get(name, ""))[: services.MAX_TEXT]
        for name in services.NARRATIVE
        if name in request.POST
    }
    flags = services.check_language(texts)
    return render(
        request,
        "recovery/encounters/_scope_guard.html",
        {"flags": flags, "labels": services.NARRATIVE, "checked": bool(texts)},
    )


@route("video-sessions/", name="session-list")
@page("scheduled video sessions the user may see (one audited list read)", GET)
def session_list(request: HttpRequest) -> HttpResponse:
    policy.require(request.user, "recovery.view_virtual_session")
    now = clock.now()
    sessions = list(
        selectors.sessions_visible_to(request.user).filter(
            scheduled_at__gte=now - timedelta(days=RECENT_DAYS)
        )[:100]
    )
    people_selectors.record_list_read(
        request.user,
        list({s.person.pk: s.person for s in sessions}.values()),
        what="video sessions",
    )
    return render(
        request,
        "recovery/encounters/session_list.html",
        {"sessions": sessions, "default_zone": str(timezone.get_current_timezone())},
    )


@route("persons/<uuid:public_id>/video-sessions/new/", name="session-new")
@page("schedules a video session; get_person_for and schedule_virtual_session audit", GET_POST)
def session_new(request: HttpRequest, public_id: UUID) -> HttpResponse:
    person = people_selectors.get_person_for(
        request.user, public_id, "recovery.schedule_virtual_session", what="video session form"
    )
    zone = person_zone(person)
    form = ScheduleForm(posted(request))
    return form_write(
        request,
        form,
        "recovery/encounters/session_form.html",
        {"person": person, "form": form, "zone_name": str(zone)},
        lambda data: services.schedule_virtual_session(person, actor=request.user, **data),
        saved_to(
            request,
            "The session is scheduled. Give the person the link below.",
            "recovery:session-detail",
        ),
        zone=zone,
    )


@route("video-sessions/<uuid:public_id>/", name="session-detail")
@page("one video session and its link; get_session_for audits the read", GET)
def session_detail(request: HttpRequest, public_id: UUID) -> HttpResponse:
    session = selectors.get_session_for(request.user, public_id, what="video session")
    return render(
        request,
        "recovery/encounters/session_detail.html",
        {
            "session": session,
            "person": session.person,
            "zone_name": str(person_zone(session.person)),
            "can_manage": session.status == "scheduled"
            and policy.allows(request.user, "recovery.schedule_virtual_session", session)
            and policy.allows(request.user, "recovery.write_encounter", session.person),
        },
    )


@route("video-sessions/<uuid:public_id>/sent/", name="session-sent")
@page("records a video link as given to the person; get_session_for and mark_link_sent audit", POST)
def session_sent(request: HttpRequest, public_id: UUID) -> HttpResponse:
    session = selectors.get_session_for(
        request.user, public_id, "recovery.schedule_virtual_session", what="video link sent"
    )
    try:
        services.mark_link_sent(session, actor=request.user)
        messages.success(request, "Recorded: the link was given to the person.")
    except (ValidationError, Conflict) as exc:
        text = refusal_text(exc)
        messages.error(request, text)
    return redirect("recovery:session-detail", public_id=session.public_id)


urlpatterns: list[URLPattern] = route.patterns
