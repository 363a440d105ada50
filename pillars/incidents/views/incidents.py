"""Pages of incident reports: report (a draft), my drafts, a unit's incidents, detail with
addenda and debriefs, the supervisor's review and a printable copy (staff exposure pages are
workforce.wellbeing's).

Views stay thin: a form parses, a selector fetches (scoped, audited), one service writes. Times
are typed and shown in the incident's unit zone.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from pillars.core import clock, exports, policy
from pillars.core.formtools import LOCAL_INPUT, form_write, posted, saved
from pillars.core.pages import GET, GET_POST, POST, page
from pillars.core.routes import Routes
from pillars.incidents.forms.incidents import (
    AddendumForm,
    DebriefForm,
    IncidentForm,
    InjuryForm,
    NoteForm,
    SentForm,
)
from pillars.incidents.models import Incident
from pillars.incidents.models.incidents import IncidentStatus, StaffRole
from pillars.incidents.selectors import incidents as selectors
from pillars.incidents.services import incidents as services
from pillars.people import selectors as people_selectors
from pillars.people.models import Staff, Unit

route = Routes()


def _zone(unit: Unit) -> ZoneInfo:
    return ZoneInfo(unit.time_zone)


FORM = "incidents/incidents/incident_form.html"


def _url(incident: Incident) -> str:
    return reverse("incidents:incident-detail", args=[incident.public_id])


def _details(data: dict[str, Any]) -> services.IncidentDetails:
    return services.IncidentDetails(
        type=data["type"],
        occurred_at=data["occurred_at"],
        location=data["location"],
        narrative=data["narrative"],
        persons=list(data["persons"]),
        injured_persons=list(data["injured_persons"]),
        staff_involved=list(data["staff_involved"]),
        witness_staff=list(data["witness_staff"]),
        witnesses_text=data["witnesses_text"],
        steps=list(data["steps"]),
        deescalation_other=data["deescalation_other"],
        is_death=data["is_death"],
    )


def _report_form(
    request: HttpRequest, unit: Unit, initial: dict[str, Any], keep: list[Staff] | None = None
) -> IncidentForm:
    """The report form for ``unit``: its persons served, and its staff grouped with those on
    shift now first (``keep``: staff a draft already names stay listed)."""
    actor = policy.actor_for(request.user)
    return IncidentForm(
        posted(request),
        initial=initial,
        units=Unit.objects.filter(pk__in=actor.unit_ids).order_by("name"),
        persons=selectors.unit_people(unit),
        staff=selectors.staff_for_report(unit, keep=keep).labelled(),
    )


def _from_check(request: HttpRequest, check_id: str, zone: ZoneInfo) -> dict[str, Any]:
    """Initial values from a check that was not safe (issue 11 item 1): the person, when it
    was observed, where and the note. The check is read through the rounds selector (404 when
    out of scope, and the read is audited); nothing is stored until the form is saved."""
    from pillars.rounds.selectors.orders import get_check_for

    check = get_check_for(request.user, check_id)
    person = check.order.person
    narrative = f"{check.get_safety_status_display()} check: {check.note}".strip()
    return {
        "occurred_at": clock.local(check.observed_at, zone).strftime(LOCAL_INPUT),
        "location": check.get_location_display(),
        "persons": [person],
        "narrative": narrative.rstrip(":"),
    }


@route("reports/new/", name="incident-new")
@page("reports an incident; create_draft audits the write", GET_POST)
def incident_new(request: HttpRequest) -> HttpResponse:
    policy.require(request.user, "incidents.report")
    actor = policy.actor_for(request.user)
    units = list(Unit.objects.filter(pk__in=actor.unit_ids).order_by("name"))
    if not units:
        messages.error(request, "You are not on a unit, so there is nowhere to report from.")
        return redirect("core:home")
    chosen = units[0]
    wanted = request.POST.get("unit") or request.GET.get("unit")
    for unit in units:
        if wanted and str(unit.public_id) == wanted:
            chosen = unit
    zone = _zone(chosen)
    # A new report happened just now unless the reporter says otherwise (or a check says when).
    now_local = clock.local(clock.now(), zone).strftime(LOCAL_INPUT)
    reporter = list(Staff.objects.filter(pk=actor.staff_pk))
    initial: dict[str, Any] = {
        "unit": chosen,
        "occurred_at": now_local,
        "staff_involved": reporter,
    }
    if request.method == "GET" and request.GET.get("check"):
        initial.update(_from_check(request, request.GET["check"], zone))
    form = _report_form(request, chosen, initial, keep=reporter)
    return form_write(
        request,
        form,
        FORM,
        {"form": form, "zone_name": str(zone), "incident": None},
        lambda data: services.create_draft(data["unit"], _details(data), actor=request.user),
        lambda incident: saved(
            request, "Draft saved. Only you see it until you submit it.", _url(incident)
        ),
        zone=zone,
    )


@route("reports/<uuid:public_id>/edit/", name="incident-edit")
@page("edits one's draft; get_incident_for audits the read, update_draft the write", GET_POST)
def incident_edit(request: HttpRequest, public_id: UUID) -> HttpResponse:
    incident = selectors.get_incident_for(
        request.user, public_id, "incidents.edit_draft", what="draft edit"
    )
    zone = _zone(incident.unit)
    if not incident.is_draft:
        messages.error(request, "This report is submitted; corrections are addenda.")
        return redirect("incidents:incident-detail", public_id=incident.public_id)
    roles = list(incident.staff.select_related("staff"))
    persons = list(incident.persons.select_related("person"))
    initial = {
        "unit": incident.unit,
        "type": incident.type,
        "occurred_at": clock.local(incident.occurred_at, zone).strftime(LOCAL_INPUT),
        "location": incident.location,
        "narrative": incident.narrative,
        "persons": [p.person for p in persons],
        "injured_persons": [p.person for p in persons if p.role == "injured"],
        "staff_involved": [r.staff for r in roles if r.role == StaffRole.INVOLVED],
        "witness_staff": [r.staff for r in roles if r.role == StaffRole.WITNESS],
        "witnesses_text": incident.witnesses_text,
        "steps": list(incident.deescalation_steps.all()),
        "deescalation_other": incident.deescalation_other,
        "is_death": incident.is_death,
    }
    named = [r.staff for r in roles]
    form = _report_form(request, incident.unit, initial, keep=named)
    return form_write(
        request,
        form,
        FORM,
        {"form": form, "zone_name": str(zone), "incident": incident},
        lambda data: services.update_draft(incident, _details(data), actor=request.user),
        lambda done: saved(request, "Draft saved.", _url(done)),
        zone=zone,
    )


def _injury_choices(incident: Incident) -> list[tuple[str, str]]:
    persons = [
        (f"p:{ip.person.public_id}", ip.person.display_name)
        for ip in incident.persons.select_related("person")
    ]
    staff = [
        (f"s:{r.staff.public_id}", f"{r.staff.display_name} (staff)")
        for r in incident.staff.select_related("staff")
    ]
    return persons + staff


@route("reports/<uuid:public_id>/injury/", name="incident-injury")
@page("adds an injury to one's draft; add_injury audits the write", GET_POST)
def incident_injury(request: HttpRequest, public_id: UUID) -> HttpResponse:
    incident = selectors.get_incident_for(
        request.user, public_id, "incidents.edit_draft", what="injury"
    )
    form = InjuryForm(posted(request), choices=_injury_choices(incident))

    def write(data: dict[str, Any]) -> Any:
        kind, _, ident = data["whom"].partition(":")
        person = incident.persons.filter(person__public_id=ident).first() if kind == "p" else None
        role = incident.staff.filter(staff__public_id=ident).first() if kind == "s" else None
        return services.add_injury(
            incident,
            actor=request.user,
            severity=data["severity"],
            description=data["description"],
            treatment=data["treatment"],
            person=person.person if person else None,
            staff=role.staff if role else None,
        )

    return form_write(
        request,
        form,
        "incidents/incidents/injury_form.html",
        {"form": form, "incident": incident},
        write,
        lambda _: saved(request, "Injury added to the draft.", _url(incident)),
        field_map={"whom": "whom"},
    )


@route("reports/<uuid:public_id>/submit/", name="incident-submit")
@page("submits one's draft; submit_incident audits the write", POST)
def incident_submit(request: HttpRequest, public_id: UUID) -> HttpResponse:
    incident = selectors.get_incident_for(
        request.user, public_id, "incidents.edit_draft", what="submit"
    )
    try:
        services.submit_incident(incident, actor=request.user)
    except services.ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "Submitted for supervisor review.")
    return redirect("incidents:incident-detail", public_id=incident.public_id)


@route("reports/drafts/", name="incident-drafts")
@page("lists one's own drafts (one audited list read)", GET)
def my_drafts(request: HttpRequest) -> HttpResponse:
    policy.require(request.user, "incidents.report")
    drafts = selectors.my_drafts(request.user)
    selectors.record_incidents_read(request.user, drafts, what="my drafts")
    return render(request, "incidents/incidents/drafts.html", {"drafts": drafts})


@route("reports/units/<uuid:public_id>/", name="incident-unit-list")
@page("a unit's incidents (one audited list read)", GET)
def unit_list(request: HttpRequest, public_id: UUID) -> HttpResponse:
    unit = people_selectors.get_unit_for(request.user, public_id, "incidents.list_unit")
    status = request.GET.get("status", "")
    if status not in IncidentStatus.values:
        status = ""
    rows = selectors.unit_incidents(request.user, unit, status=status)
    selectors.record_incidents_read(request.user, rows, what=f"unit {unit.code} incidents")
    context = {
        "unit": unit,
        "rows": rows,
        "zone_name": unit.time_zone,
        "status": status,
        "statuses": [(v, lbl) for v, lbl in IncidentStatus.choices if v != IncidentStatus.DRAFT],
    }
    return render(request, "incidents/incidents/unit_list.html", context)


@route("reports/review/", name="incident-review-queue")
@page("the reviewer's queue of submitted reports; record_incidents_read audits the read", GET)
def review_queue(request: HttpRequest) -> HttpResponse:
    """Reports waiting for a supervisor's review, across the supervisor's units: where "submitted
    for supervisor review" leads."""
    from django.conf import settings

    policy.require(request.user, "incidents.review")
    rows = selectors.incidents_to_review(request.user)
    selectors.record_incidents_read(request.user, rows, what="incidents to review")
    context = {"rows": rows, "zone_name": settings.PILLARS_DEFAULT_TIME_ZONE}
    return render(request, "incidents/incidents/review_queue.html", context)


def _detail_context(request: HttpRequest, incident: Incident) -> dict[str, Any]:
    user = request.user
    is_open = not incident.is_draft
    return {
        "incident": incident,
        "zone_name": incident.unit.time_zone,
        **selectors.detail_of(incident),
        "can_edit": incident.is_draft and policy.allows(user, "incidents.edit_draft", incident),
        "can_review": is_open
        and incident.status != IncidentStatus.CLOSED
        and policy.allows(user, "incidents.review", incident),
        "can_addendum": is_open and policy.allows(user, "incidents.addendum", incident),
        "can_debrief": is_open and policy.allows(user, "incidents.debrief", incident),
        "can_notify": is_open and policy.allows(user, "incidents.notify", incident),
    }


@route("reports/<uuid:public_id>/", name="incident-detail")
@page("shows one incident; get_incident_for audits the read", GET)
def incident_detail(request: HttpRequest, public_id: UUID) -> HttpResponse:
    incident = selectors.get_incident_for(request.user, public_id)
    return render(
        request, "incidents/incidents/incident_detail.html", _detail_context(request, incident)
    )


@route("reports/<uuid:public_id>/print/", name="incident-print")
@page("a printable copy of one incident; get_incident_for audits the read", GET)
def incident_print(request: HttpRequest, public_id: UUID) -> HttpResponse:
    incident = selectors.get_incident_for(request.user, public_id, what="print")
    # A printed copy leaves through the export door: logged, and a Part 2 report carries the
    # 42 CFR 2.32 notice.
    release = exports.release(
        request.user,
        what="incidents.incident",
        fmt="print",
        records=[incident],
        detail={"channel": "page"},
    )
    context = {
        **_detail_context(request, incident),
        "printed_at": clock.now(),
        "notice": release.notice,
    }
    return render(request, "incidents/incidents/incident_print.html", context)


@route("reports/<uuid:public_id>/review/", name="incident-review")
@page(
    "the supervisor's review; get_incident_for audits the read, the services the writes", GET_POST
)
def incident_review(request: HttpRequest, public_id: UUID) -> HttpResponse:
    incident = selectors.get_incident_for(
        request.user, public_id, "incidents.review", what="review"
    )
    form = NoteForm(posted(request))
    context = {**_detail_context(request, incident), "form": form}
    # Each step of a review: the service that takes the note, what is said, where it goes. A
    # POST without a known step (and a GET) is a note added to the review.
    steps: dict[str, tuple[Callable[[str], Any], str, str]] = {
        "start": (
            lambda note: services.start_review(incident, actor=request.user, note=note),
            "Review started.",
            reverse("incidents:incident-review", kwargs={"public_id": incident.public_id}),
        ),
        "close": (
            lambda note: services.close_incident(incident, actor=request.user, note=note),
            "Incident closed.",
            _url(incident),
        ),
        "note": (
            lambda note: services.add_review_note(incident, actor=request.user, text=note),
            "Note added.",
            _url(incident),
        ),
    }
    step = request.POST.get("step", "") if request.method == "POST" else ""
    if step == "start":
        form.fields["note"].required = False  # the note is optional when a review starts
    write, said, to = steps.get(step, steps["note"])
    return form_write(
        request,
        form,
        "incidents/incidents/incident_review.html",
        context,
        lambda data: write(data["note"]),
        lambda _: saved(request, said, to),
    )


@route("reports/<uuid:public_id>/addendum/", name="incident-addendum")
@page("corrects a submitted incident; add_addendum audits the write", GET_POST)
def incident_addendum(request: HttpRequest, public_id: UUID) -> HttpResponse:
    incident = selectors.get_incident_for(
        request.user, public_id, "incidents.addendum", what="addendum"
    )
    form = AddendumForm(posted(request))
    return form_write(
        request,
        form,
        "incidents/incidents/addendum_form.html",
        {"incident": incident, "form": form, "zone_name": incident.unit.time_zone},
        lambda data: services.add_addendum(incident, actor=request.user, **data),
        lambda _: saved(
            request, "Correction added. The report itself is unchanged.", _url(incident)
        ),
    )


@route("reports/<uuid:public_id>/debrief/", name="incident-debrief")
@page("records a debrief; record_debrief audits the write", GET_POST)
def incident_debrief(request: HttpRequest, public_id: UUID) -> HttpResponse:
    incident = selectors.get_incident_for(
        request.user, public_id, "incidents.debrief", what="debrief"
    )
    zone = _zone(incident.unit)
    form = DebriefForm(
        posted(request),
        initial={"held_at": clock.local(clock.now(), zone).strftime(LOCAL_INPUT)},
    )
    return form_write(
        request,
        form,
        "incidents/incidents/debrief_form.html",
        {"incident": incident, "form": form, "zone_name": str(zone)},
        lambda data: services.record_debrief(incident, actor=request.user, **data),
        lambda _: saved(request, "Debrief recorded.", _url(incident)),
        zone=zone,
    )


@route("reports/notifications/<uuid:public_id>/sent/", name="incident-notification-sent")
@page("records a notification as sent; record_notification_sent audits the write", POST)
def notification_sent(request: HttpRequest, public_id: UUID) -> HttpResponse:
    notification = selectors.get_notification_for(request.user, public_id, "incidents.notify")
    incident = notification.incident
    zone = _zone(incident.unit)
    form = SentForm(request.POST)
    with timezone.override(zone):
        valid = form.is_valid()
    if not valid:
        messages.error(request, "Give the time as the unit's local date and time.")
    else:
        try:
            services.record_notification_sent(
                notification,
                actor=request.user,
                sent_at=form.cleaned_data["sent_at"],
                note=form.cleaned_data["note"],
            )
        except services.ValidationError as exc:
            messages.error(request, " ".join(exc.messages) + " Nothing was saved.")
        else:
            messages.success(request, "Notification recorded.")
    return redirect("incidents:incident-detail", public_id=incident.public_id)


urlpatterns = route.patterns
