"""Pages for the floor: the shift assignment (bulk), reassignment, monitoring exceptions, and
1:1/2:1 coverage with relief handoffs. Forms parse shape only; the services decide the rules and
their errors come back onto the forms (``form_write``)."""

from __future__ import annotations

from datetime import time, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from pillars.core import clock, policy
from pillars.core.formtools import form_write, posted, saved
from pillars.core.pages import GET, GET_POST, page
from pillars.core.routes import Routes
from pillars.people import hooks
from pillars.people import selectors as people_selectors
from pillars.people.models import Placement, Staff, Unit
from pillars.rounds import selectors
from pillars.rounds.choices import AssignmentKind
from pillars.rounds.forms.coverage import (
    EndCoverageForm,
    EndExceptionForm,
    ExceptionForm,
    ReassignForm,
    RelieveForm,
    ShiftForm,
    StartCoverageForm,
)
from pillars.rounds.models import ObservationLevel, ObservationOrder
from pillars.rounds.selectors import assignments as assignment_selectors
from pillars.rounds.selectors import coverage as coverage_selectors
from pillars.rounds.services import assignments as assignment_services
from pillars.rounds.services import coverage as coverage_services
from pillars.rounds.services import exceptions as exception_services

route = Routes()


def _unit_staff(unit: Unit, *roles: str) -> list[Staff]:
    today = clock.today_in(unit.time_zone)
    qs = Staff.objects.filter(home_units=unit, roles__code__in=roles, hired_on__lte=today)
    return [s for s in qs.distinct().order_by("display_name", "pk") if s.is_employed_on(today)]


def _one_to_one_staff(unit: Unit | None, *, besides: Staff | None = None) -> list[Staff]:
    """Who may take a 1:1 on the person's unit (its technicians and nurses) other than
    ``besides``, the staff member with the person now; nobody when the person is on no unit."""
    staff = _unit_staff(unit, "bht", "nurse") if unit else []
    return [s for s in staff if s != besides]


def _floor_notes(form: forms.Form, name: str, staff: list[Staff]) -> hooks.FloorNotes:
    """What the floor gate says about each choice for a 1:1 (a lapsed credential or training
    blocks or warns, workforce floor rules), on the choices' labels and listed on the form."""
    notes = hooks.floor_notes(staff, hooks.FloorTask.ONE_TO_ONE)
    if name in form.fields:
        notes.label_field(form.fields[name])
    return notes


def _floor_warned(request: HttpRequest, staff: Staff | None) -> None:
    """After a 1:1 went through: the floor gate's warnings about the staff member, said."""
    if staff is not None:
        for reason in hooks.floor_warnings(staff, hooks.FloorTask.ONE_TO_ONE):
            messages.warning(request, f"Allowed with a warning: {reason}")


def _unit_of_order(order: ObservationOrder) -> Unit | None:
    placement = (
        Placement.objects.current().filter(episode=order.episode_id).select_related("unit").first()
    )
    return placement.unit if placement else None


# --- Shift assignment -------------------------------------------------------------------------


def _current_shift_initial(unit: Unit, form: ShiftForm) -> dict[str, Any]:
    """Defaults: the next stretch after the current shift, with its staff pre-filled."""
    now = clock.now()
    zone = ZoneInfo(unit.time_zone)
    rows = list(assignment_selectors.assignments_active_at(unit, now))
    initial: dict[str, Any] = {}
    if rows:
        end = clock.local(rows[0].ends_at, zone)
        length = rows[0].ends_at - rows[0].starts_at
        initial.update(day=end.date(), starts=end.time(), ends=(end + length).time())
    else:
        local_now = clock.local(now, zone)
        evening = local_now.hour < 19
        initial.update(
            day=local_now.date(),
            starts=time(19) if evening else time(7),
            ends=time(7) if evening else time(19),
        )
        if not evening:
            initial["day"] = local_now.date() + timedelta(days=1)
    by_person = {row.person_id: row.staff.public_id for row in rows if row.person_id}
    for person, _placement, name in form.rows:
        if person.pk in by_person:
            initial[name] = by_person[person.pk]
    leads = [row.staff.public_id for row in rows if row.kind == AssignmentKind.LEAD]
    if leads:
        initial["lead"] = leads[0]
    return initial


@route("units/<uuid:public_id>/assign/", name="assign")
@page(
    "the unit's census and current shift (audited list read); assign_shift audits writes", GET_POST
)
def assign(request: HttpRequest, public_id: UUID) -> HttpResponse:
    unit = people_selectors.get_unit_for(request.user, public_id, "rounds.assign")
    placements = list(people_selectors.census_at(unit))
    people_selectors.record_list_read(
        request.user, [p.episode.person for p in placements], what=f"shift assignment {unit.code}"
    )
    form = ShiftForm(
        posted(request),
        placements=placements,
        staff=_unit_staff(unit, "bht", "nurse", "clinician"),
        leads=_unit_staff(unit, "nurse", "supervisor"),
    )
    if request.method == "GET":
        form.initial = _current_shift_initial(unit, form)
    context = {
        "unit": unit,
        "form": form,
        "current": list(assignment_selectors.assignments_active_at(unit, clock.now())),
        "zone": unit.time_zone,
    }

    def write(data: dict[str, Any]) -> Any:
        by_staff: dict[Staff, list[Any]] = {}
        for person, _placement, name in form.rows:
            if data.get(name):
                by_staff.setdefault(data[name], []).append(person)
        starts, ends = assignment_services.shift_bounds(
            unit, data["day"], data["starts"], data["ends"]
        )
        return assignment_services.assign_shift(
            unit,
            actor=request.user,
            starts_at=starts,
            ends_at=ends,
            lead=data.get("lead"),
            by_staff=by_staff,
        )

    return form_write(
        request,
        form,
        "rounds/assign.html",
        context,
        write,
        lambda made: saved(
            request,
            f"The shift is assigned ({len(made)} assignments).",
            _coverage_url(unit),
        ),
        field_map={"starts_at": "starts", "ends_at": "ends"},
    )


def _coverage_url(unit: Unit) -> str:
    return reverse("rounds:coverage", kwargs={"public_id": unit.public_id})


@route("assignments/<uuid:public_id>/reassign/", name="assignment-reassign")
@page("one shift assignment (names a person served); reassign audits the write", GET_POST)
def assignment_reassign(request: HttpRequest, public_id: UUID) -> HttpResponse:
    row = assignment_selectors.get_assignment_for(request.user, public_id, "rounds.assign")
    roles = ("nurse", "supervisor") if row.kind == AssignmentKind.LEAD else ("bht", "nurse")
    form = ReassignForm(posted(request), staff=_unit_staff(row.unit, *roles, "clinician"))
    context = {"row": row, "form": form, "zone": row.unit.time_zone}
    return form_write(
        request,
        form,
        "rounds/assign_reassign.html",
        context,
        lambda data: assignment_services.reassign(row, actor=request.user, **data),
        lambda _: saved(
            request, f"Handed over to {form.cleaned_data['to_staff']}.", _coverage_url(row.unit)
        ),
    )


# --- Monitoring exceptions ------------------------------------------------------------------


@route("orders/<uuid:public_id>/pause/", name="exception-start")
@page("one person's observation order; start_exception audits the write", GET_POST)
def exception_start(request: HttpRequest, public_id: UUID) -> HttpResponse:
    order = selectors.get_order_for(request.user, public_id, "rounds.pause")
    form = ExceptionForm(posted(request))
    context = {"order": order, "form": form}

    def paused(_: Any) -> HttpResponse:
        messages.success(request, f"Checks on {order.person.display_name} are paused.")
        return redirect(_unit_page(request, order, "rounds:coverage"))

    return form_write(
        request,
        form,
        "rounds/exception_start.html",
        context,
        lambda data: exception_services.start_exception(order, actor=request.user, **data),
        paused,
    )


@route("exceptions/<uuid:public_id>/end/", name="exception-end")
@page("one monitoring exception; end_exception audits the write", GET_POST)
def exception_end(request: HttpRequest, public_id: UUID) -> HttpResponse:
    row = coverage_selectors.get_exception_for(request.user, public_id, "rounds.pause")
    form = EndExceptionForm(posted(request))
    context = {"row": row, "form": form, "zone": _zone_of(row.order)}

    def resumed(_: Any) -> HttpResponse:
        messages.success(
            request, f"Checks on {row.order.person.display_name} resume: one is due now."
        )
        return redirect(_unit_page(request, row.order, "rounds:coverage"))

    return form_write(
        request,
        form,
        "rounds/exception_end.html",
        context,
        lambda data: exception_services.end_exception(row, actor=request.user, **data),
        resumed,
    )


def _zone_of(order: ObservationOrder) -> str:
    unit = _unit_of_order(order)
    return unit.time_zone if unit else "UTC"


def _unit_page(request: HttpRequest, order: ObservationOrder, url_name: str) -> str:
    """The page ``url_name`` of the unit the person is on (the coverage page, or the board
    these pages are opened from), or home when the user may not see that unit."""
    unit = _unit_of_order(order)
    if unit is not None and policy.can(request.user, "rounds.view", unit):
        return reverse(url_name, kwargs={"public_id": unit.public_id})
    return reverse("core:home")


# --- Coverage ---------------------------------------------------------------------------------


@route("units/<uuid:public_id>/coverage/", name="coverage")
@page("who is with whom on a unit's 1:1s, lapses, free staff (one audited list read)", GET)
def coverage(request: HttpRequest, public_id: UUID) -> HttpResponse:
    unit = people_selectors.get_unit_for(request.user, public_id, "rounds.view")
    now = clock.now()
    found = coverage_selectors.coverage_on(request.user, unit, now)
    context = {
        "unit": unit,
        "found": found,
        "shift": assignment_selectors.shift_on(request.user, unit, now),
        "zone": unit.time_zone,
        "can_assign": policy.can(request.user, "rounds.assign", unit),
        "can_cover": policy.can(request.user, "rounds.cover"),
    }
    return render(request, "rounds/coverage_unit.html", context)


@route("orders/<uuid:public_id>/coverage/", name="coverage-start")
@page("one person's observation order; start_coverage audits the write", GET_POST)
def coverage_start(request: HttpRequest, public_id: UUID) -> HttpResponse:
    order = selectors.get_order_for(request.user, public_id, "rounds.cover")
    unit = _unit_of_order(order)
    staff = _one_to_one_staff(unit)
    form = StartCoverageForm(posted(request), staff=staff)
    context = {
        "order": order,
        "form": form,
        "board_url": _unit_page(request, order, "rounds:board"),
        "floor_notes": _floor_notes(form, "staff", staff),
    }

    def started(_: Any) -> HttpResponse:
        _with_the_person(request, form.cleaned_data["staff"])
        return redirect(_unit_page(request, order, "rounds:coverage"))

    return form_write(
        request,
        form,
        "rounds/coverage_start.html",
        context,
        lambda data: coverage_services.start_coverage(order, actor=request.user, **data),
        started,
    )


def _with_the_person(request: HttpRequest, staff: Staff) -> None:
    """After a 1:1 went to a staff member: say so, with the floor gate's warnings."""
    messages.success(request, f"{staff} is with the person now.")
    _floor_warned(request, staff)


@route("coverage/<uuid:public_id>/relieve/", name="coverage-relieve")
@page("one 1:1 stretch; relieve audits the handoff and any wrong PIN", GET_POST)
def coverage_relieve(request: HttpRequest, public_id: UUID) -> HttpResponse:
    row = coverage_selectors.get_coverage_for(request.user, public_id, "rounds.cover")
    # Who may sign is settled before any form: only the staff member with the person signs as
    # the outgoing one. Anyone else reads who must sign (and, with the stretch open, how else
    # it can end) and gets no form; a post from them is refused (403).
    may_sign = policy.allows(request.user, "rounds.relieve", row)
    if request.method == "POST" and not may_sign:
        policy.require(request.user, "rounds.relieve", row)
    unit = _unit_of_order(row.order)
    board_url = _unit_page(request, row.order, "rounds:board")
    form = None
    notes = None
    if may_sign and row.ended_at is None:
        staff = _one_to_one_staff(unit, besides=row.staff)
        form = RelieveForm(posted(request), staff=staff)
        notes = _floor_notes(form, "incoming_staff", staff)
    context = {
        "row": row,
        "form": form,
        "floor_notes": notes,
        "may_sign": may_sign,
        "board_url": board_url,
        "zone": _zone_of(row.order),
    }
    template = "rounds/coverage_relieve.html"
    if form is None:
        return render(request, template, context)

    def relieved(_: Any) -> HttpResponse:
        incoming = form.cleaned_data["incoming_staff"]
        messages.success(request, f"{incoming} has taken over.")
        _floor_warned(request, incoming)
        return redirect(board_url)

    return form_write(
        request,
        form,
        template,
        context,
        lambda data: coverage_services.relieve(
            row,
            actor=request.user,
            incoming_staff=data["incoming_staff"],
            incoming_pin=data["pin"],
        ),
        relieved,
        field_map={"incoming_pin": "pin"},
    )


@route("coverage/<uuid:public_id>/end/", name="coverage-end")
@page("one 1:1 stretch; end_coverage audits the write (and the successor or new order)", GET_POST)
def coverage_end(request: HttpRequest, public_id: UUID) -> HttpResponse:
    row = coverage_selectors.get_coverage_for(request.user, public_id, "rounds.cover")
    order = row.order
    unit = _unit_of_order(order)
    order_open = order.ended_at is None
    staff = _one_to_one_staff(unit, besides=row.staff)
    levels = None
    if order_open and policy.allows(request.user, "rounds.order", order):
        levels = list(
            ObservationLevel.objects.filter(
                is_current=True, staff_ratio__lt=order.level.staff_ratio
            ).order_by("staff_ratio", "name")
        )
    form = EndCoverageForm(posted(request), staff=staff if order_open else [], levels=levels)
    if not order_open:
        del form.fields["successor"]
    board_url = _unit_page(request, order, "rounds:board")
    context = {
        "row": row,
        "form": form,
        "floor_notes": _floor_notes(form, "successor", staff) if order_open else None,
        "board_url": board_url,
        "order_open": order_open,
        "may_sign": policy.allows(request.user, "rounds.relieve", row),
        "zone": _zone_of(order),
    }

    def ended(_: Any) -> HttpResponse:
        data = form.cleaned_data
        if data.get("successor"):
            _with_the_person(request, data["successor"])
        elif data.get("level"):
            messages.success(request, f"The stretch has ended; the level is now {data['level']}.")
        else:
            messages.success(request, "The stretch has ended.")
        return redirect(board_url)

    return form_write(
        request,
        form,
        "rounds/coverage_end.html",
        context,
        lambda data: coverage_services.end_coverage(
            row,
            actor=request.user,
            reason=data["reason"],
            successor=data.get("successor"),
            level=data.get("level"),
        ),
        ended,
    )


urlpatterns = route.patterns
