"""Pages for the signed shift handoff: a unit's list, compiling a new one, the handoff with its
note and sign forms, and a printable copy (print CSS, no navigation)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from pillars.core import clock, exports, policy
from pillars.core.formtools import LOCAL_INPUT, form_write, posted
from pillars.core.pages import GET, GET_POST, POST, page
from pillars.core.routes import Routes
from pillars.people import selectors as people_selectors
from pillars.people.models import PersonServed
from pillars.rounds.forms.handoffs import HandoffForm, NoteForm, SignForm
from pillars.rounds.models import Handoff
from pillars.rounds.selectors import handoffs as selectors
from pillars.rounds.selectors import integrity as shifts
from pillars.rounds.services import handoffs as services

route = Routes()


def _as_times(value: Any, zone: ZoneInfo) -> Any:
    """The snapshot's ISO times (keys ending in ``_at``) as moments in the unit's zone."""
    if isinstance(value, dict):
        return {
            k: (
                datetime.fromisoformat(v).astimezone(zone)
                if k.endswith("_at") and isinstance(v, str)
                else _as_times(v, zone)
            )
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_as_times(v, zone) for v in value]
    return value


def _detail_context(
    request: HttpRequest,
    handoff: Handoff,
    note_form: NoteForm | None = None,
    sign_form: SignForm | None = None,
) -> dict[str, Any]:
    zone = ZoneInfo(handoff.unit.time_zone)
    snapshot = _as_times(handoff.snapshot, zone)
    notes = list(handoff.notes.select_related("person", "written_by").order_by("written_at", "pk"))
    by_person: dict[str, list[Any]] = {}
    for note in notes:
        key = str(note.person.public_id) if note.person else ""
        by_person.setdefault(key, []).append(note)
    persons = [{**p, "notes": by_person.get(p["person"], [])} for p in snapshot["persons"]]
    can_write = policy.can(request.user, "rounds.handoff", handoff)
    acting = policy.actor_for(request.user)
    return {
        "handoff": handoff,
        "snapshot": snapshot,
        "persons": persons,
        "general_notes": by_person.get("", []),
        "zone_name": handoff.unit.time_zone,
        "can_write": can_write,
        "can_sign_outgoing": can_write and handoff.outgoing_signed_at is None,
        "can_sign_incoming": can_write
        and handoff.outgoing_signed_at is not None
        and handoff.incoming_signed_at is None
        and handoff.outgoing_staff_id != acting.staff_id,
        "note_form": note_form or NoteForm(persons=handoff.snapshot.get("persons", [])),
        "sign_form": sign_form or SignForm(),
    }


@route("units/<uuid:public_id>/handoffs/", name="handoff-list")
@page("lists a unit's handoffs (dates and signers, no persons served)", GET)
def handoff_list(request: HttpRequest, public_id: UUID) -> HttpResponse:
    unit = people_selectors.get_unit_for(request.user, public_id, "rounds.view_handoffs")
    context = {
        "unit": unit,
        "handoffs": selectors.handoffs_on(request.user, unit),
        "zone_name": unit.time_zone,
        "can_write": policy.can(request.user, "rounds.handoff", unit),
    }
    return render(request, "rounds/handoff_list.html", context)


@route("units/<uuid:public_id>/handoffs/new/", name="handoff-new")
@page("compiles a handoff through services.handoffs.compile_handoff (audited)", GET_POST)
def handoff_new(request: HttpRequest, public_id: UUID) -> HttpResponse:
    unit = people_selectors.get_unit_for(request.user, public_id, "rounds.handoff")
    zone = ZoneInfo(unit.time_zone)
    day, shift = shifts.current_shift(unit)
    period = shifts.shift_period(unit, day, shift)
    # Typed in the unit's local time: the form shows its moments as local text.
    initial = {
        "starts_at": clock.local(period.start, zone).strftime(LOCAL_INPUT),
        "ends_at": clock.local(period.end, zone).strftime(LOCAL_INPUT),
    }
    form = HandoffForm(posted(request), initial=initial)
    return form_write(
        request,
        form,
        "rounds/handoff_new.html",
        {"unit": unit, "zone_name": unit.time_zone, "form": form},
        lambda data: services.compile_handoff(
            unit, actor=request.user, start=data["starts_at"], end=data["ends_at"]
        ),
        lambda handoff: redirect("rounds:handoff-detail", public_id=handoff.public_id),
        zone=zone,
    )


@route("handoffs/<uuid:public_id>/", name="handoff-detail")
@page("one handoff with the persons served in it, audited by get_handoff_for", GET)
def handoff_detail(request: HttpRequest, public_id: UUID) -> HttpResponse:
    handoff = selectors.get_handoff_for(request.user, public_id)
    return render(request, "rounds/handoff_detail.html", _detail_context(request, handoff))


@route("handoffs/<uuid:public_id>/print/", name="handoff-print")
@page("a printable handoff, audited by get_handoff_for", GET)
def handoff_print(request: HttpRequest, public_id: UUID) -> HttpResponse:
    handoff = selectors.get_handoff_for(request.user, public_id)
    # A printed copy leaves through the export door; a Part 2 program's handoff carries the
    # 42 CFR 2.32 notice.
    release = exports.release(
        request.user,
        what="rounds.handoff",
        fmt="print",
        part2=handoff.unit.is_substance_use_program,
        detail={"handoff": str(handoff.public_id), "unit": handoff.unit.code},
    )
    context = {**_detail_context(request, handoff), "notice": release.notice}
    return render(request, "rounds/handoff_print.html", context)


@route("handoffs/<uuid:public_id>/notes/", name="handoff-note")
@page("adds a note or addendum through services.handoffs.add_note (audited)", POST)
def handoff_note(request: HttpRequest, public_id: UUID) -> HttpResponse:
    handoff = selectors.get_handoff_for(request.user, public_id, "rounds.handoff")
    form = NoteForm(request.POST, persons=handoff.snapshot.get("persons", []))

    def add(data: dict[str, Any]) -> Any:
        chosen = data["person"]
        person = PersonServed.objects.filter(public_id=chosen).first() if chosen else None
        return services.add_note(
            handoff, actor=request.user, text=data["text"], person=person, reason=data["reason"]
        )

    return _detail_write(request, handoff, form, add, note_form=form)


@route("handoffs/<uuid:public_id>/sign/", name="handoff-sign")
@page("signs a handoff through services.handoffs.sign_outgoing / sign_incoming (audited)", POST)
def handoff_sign(request: HttpRequest, public_id: UUID) -> HttpResponse:
    handoff = selectors.get_handoff_for(request.user, public_id, "rounds.handoff")
    form = SignForm(request.POST)

    def sign(data: dict[str, Any]) -> Handoff:
        if data["side"] == "outgoing":
            return services.sign_outgoing(handoff, actor=request.user)
        return services.sign_incoming(handoff, actor=request.user, pin=data["pin"])

    return _detail_write(request, handoff, form, sign, sign_form=form)


def _detail_write(
    request: HttpRequest,
    handoff: Handoff,
    form: NoteForm | SignForm,
    write: Callable[[dict[str, Any]], Any],
    **forms: Any,
) -> HttpResponse:
    """A form posted on the handoff's page (``forms`` names it for the page's context): one
    service write, then the handoff again; a refusal shows the page with the form's errors."""
    return form_write(
        request,
        form,
        "rounds/handoff_detail.html",
        _detail_context(request, handoff, **forms),
        write,
        lambda _: redirect("rounds:handoff-detail", public_id=handoff.public_id),
    )


urlpatterns = route.patterns
