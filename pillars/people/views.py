"""Pages for persons served, units, staff, import and emergency access.

Views stay thin: a form parses, a selector fetches (scoped, audited), one service writes. A
service's ValidationError goes back onto the form; a Conflict becomes a message and nothing is
stored. htmx requests for search results get the partial only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from pillars.audit import log as audit
from pillars.audit.choices import Purpose
from pillars.core import clock, policy, prepared
from pillars.core.entry import get_for
from pillars.core.errors import ValidationError
from pillars.core.formtools import form_write, posted, saved, saved_to
from pillars.core.import_pages import CheckedImport, import_page
from pillars.core.pages import GET, GET_POST, POST, page
from pillars.core.routes import Routes
from pillars.core.templatetags.pillars_time import date_filter, fold_mark
from pillars.core.templatetags.record_urls import record_url
from pillars.people import access, forms, importing, selectors, services
from pillars.people.choices import UnitKind
from pillars.people.models import (
    CaseloadAssignment,
    EmergencyAccess,
    Episode,
    PersonServed,
    Placement,
    Staff,
    Unit,
)
from pillars.people.sections import (
    category_allows,
    get_section,
    grouped,
    section_context,
    sections_for,
)
from pillars.people.tenancy import organization_for

route = Routes()

PAGE_SIZE = 25
# A placement form names the unit and bed in one choice ("place").
PLACE = {"unit": "place", "bed": "place"}


# --- Helpers ----------------------------------------------------------------------------------


def _is_htmx(request: HttpRequest) -> bool:
    # django-htmx's middleware sets request.htmx (falsy when the request is not from htmx).
    return bool(getattr(request, "htmx", False))


def _zone(unit: Unit | None) -> ZoneInfo:
    return ZoneInfo(unit.time_zone if unit is not None else settings.PILLARS_DEFAULT_TIME_ZONE)


def _page(request: HttpRequest, qs: Any) -> Page[Any]:
    return Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))


def _person_url(person: PersonServed) -> str:
    return reverse("people:person-detail", args=[person.public_id])


def _staff_url(staff: Staff) -> str:
    return reverse("people:staff-detail", args=[staff.public_id])


def _after_move(request: HttpRequest, person: PersonServed, unit: Unit) -> HttpResponse:
    """After a transfer or discharge the person may have left the user's scope: go to their
    record when it is still visible, else to the unit they left."""
    if policy.is_visible(request.user, person):
        return redirect("people:person-detail", public_id=person.public_id)
    if policy.can(request.user, "people.view_unit", unit):
        return redirect("people:unit-detail", public_id=unit.public_id)
    return redirect("people:person-list")


def _placement_form_data(user: Any, units: list[Unit]) -> tuple[list[Unit], list[Any], list[Any]]:
    beds = list(selectors.free_beds(units))
    return units, beds, forms.placement_choices(units, beds)


# --- Persons served ---------------------------------------------------------------------------


@route("persons/", name="person-list")
@page("lists and searches persons served in scope; the page shown is audited as one read", GET)
def person_list(request: HttpRequest) -> HttpResponse:
    policy.require(request.user, "people.list_persons")
    units = selectors.units_visible_to(request.user).order_by("name")
    form = forms.PersonSearchForm(request.GET or None, units=units)
    q, unit = "", None
    if form.is_valid():
        q, unit = form.cleaned_data["q"], form.cleaned_data["unit"]
    people = selectors.with_current_placement(
        selectors.persons_visible_to(request.user, search=q, unit=unit)
    )
    page = _page(request, people)
    selectors.record_list_read(
        request.user,
        list(page.object_list),
        what="person list",
        detail={"search": q, "unit": unit.code if unit else None, "page": page.number},
    )
    context = {
        "form": form,
        "page": page,
        "q": q,
        "can_create": policy.can(request.user, "people.create_person"),
        "can_admit": policy.can(request.user, "people.admit"),
    }
    if _is_htmx(request):
        return render(request, "people/partials/_person_results.html", context)
    return render(request, "people/person_list.html", context)


@dataclass(frozen=True)
class _StayRow:
    """One placement in the episodes table, its times in its own unit's zone."""

    unit: str
    bed: str
    started: str
    ended: str
    reason: str


@dataclass(frozen=True)
class _EpisodeRow:
    """One episode of care in the episodes table, its days in the page's zone."""

    began: str
    ended: str
    is_open: bool
    disposition: str
    stays: list[_StayRow]


# A placement's times carry their unit's zone abbreviation (none in the repeated hour of the
# night the clocks go back, as Django's formatter writes it).
WITH_ZONE = "Y-m-d H:i T"


def _shown_at(moment: datetime, zone: ZoneInfo, format: str = "Y-m-d H:i") -> str:
    """A moment as the page shows it (the ``date`` filter's text) in ``zone``."""
    return date_filter(clock.local(moment, zone), format)


def _episode_rows(
    episodes: list[tuple[Episode, list[selectors.Stay]]], zone: ZoneInfo
) -> list[_EpisodeRow]:
    return [
        _EpisodeRow(
            began=_shown_at(episode.admitted_at, zone, "Y-m-d"),
            ended=_shown_at(episode.discharged_at, zone, "Y-m-d") if episode.discharged_at else "",
            is_open=episode.is_open,
            disposition=episode.get_disposition_display() if episode.disposition else "",
            stays=[
                _StayRow(
                    unit=stay.unit_name,
                    bed=stay.bed,
                    started=_shown_at(stay.started_at, ZoneInfo(stay.time_zone), WITH_ZONE),
                    ended=(
                        _shown_at(stay.ended_at, ZoneInfo(stay.time_zone), WITH_ZONE)
                        if stay.ended_at
                        else ""
                    ),
                    reason=stay.reason,
                )
                for stay in stays
            ],
        )
        for episode, stays in episodes
    ]


@dataclass(frozen=True)
class _CurrentStay:
    """Where the person is now (their open placement), its times in the page's zone (a time in
    the repeated hour of the night the clocks go back carries its zone)."""

    unit: str
    is_program: bool  # a community program they are enrolled in, not a unit with beds
    bed: str
    since: str
    episode_began: str


def _current_stay(episode: Episode, stay: selectors.Stay, zone: ZoneInfo) -> _CurrentStay:
    return _CurrentStay(
        unit=stay.unit_name,
        is_program=stay.unit_kind == UnitKind.COMMUNITY,
        bed=stay.bed,
        since=_shown_at(stay.started_at, zone) + fold_mark(stay.started_at, zone),
        episode_began=_shown_at(episode.admitted_at, zone) + fold_mark(episode.admitted_at, zone),
    )


def _born(person: PersonServed, today: date) -> str:
    """The date of birth and the age on ``today``, as the Details card shows them."""
    return f"{date_filter(person.date_of_birth, 'Y-m-d')} (age {person.age_on(today)})"


@dataclass(frozen=True)
class _AssignmentRow:
    """One caseload assignment in the caseload card, its days written out."""

    public_id: UUID
    staff: str
    kind: str
    started: str
    ended: str  # "—" while it is open


def _caseload_rows(
    assignments: list[CaseloadAssignment], today: date
) -> tuple[list[_AssignmentRow], list[_AssignmentRow]]:
    """The assignments active on ``today`` and the past ones, in the order read."""
    active: list[_AssignmentRow] = []
    past: list[_AssignmentRow] = []
    for a in assignments:
        row = _AssignmentRow(
            public_id=a.public_id,
            staff=a.staff.display_name,
            kind=a.get_kind_display(),
            started=date_filter(a.started_on, "Y-m-d"),
            ended=date_filter(a.ended_on, "Y-m-d") if a.ended_on else "—",
        )
        (active if a.is_active_on(today) else past).append(row)
    return active, past


def _person_context(
    request: HttpRequest,
    person: PersonServed,
    episodes: list[tuple[Episode, list[selectors.Stay]]],
) -> dict[str, Any]:
    user = request.user
    # The open placement is among the episodes' placements (one read for both).
    stays = [(episode, stay) for episode, in_episode in episodes for stay in in_episode]
    current = next(((e, s) for e, s in stays if s.ended_at is None), None)
    zone = ZoneInfo(current[1].time_zone) if current else _zone(None)
    grant = selectors.active_grant_for(user, person)
    emergency = grant is not None and selectors.is_emergency_read(user, person)
    # Under emergency access the record is read-only (the write rules refuse it too).
    writable = not emergency
    can_assign = writable and policy.can(user, "people.assign_caseload")
    return {
        "person": person,
        "current_stay": _current_stay(*current, zone) if current else None,
        "episodes": _episode_rows(episodes, zone),
        "zone": zone,
        "zone_name": str(zone),
        "born": _born(person, clock.local(clock.now(), zone).date()),
        "grant": grant if emergency else None,
        "grant_until": clock.local(grant.expires_at, zone) if grant and emergency else None,
        "can_edit": writable and policy.can(user, "people.edit_person"),
        "can_admit": writable and current is None and policy.can(user, "people.admit"),
        "can_transfer": writable and current is not None and policy.can(user, "people.transfer"),
        "can_discharge": writable and current is not None and policy.can(user, "people.discharge"),
        "can_assign": can_assign,
        "writable": writable,
        # For the sections' Part 2 gate (people.sections): no second read of the placements.
        "part2_unit_ids": {s.unit_id for _, s in stays if s.is_part2},
    }


def _assignable_staff(user: Any) -> Any:
    return (
        selectors.staff_visible_to(user)
        .filter(selectors.employed_q(clock.organization_today()))
        .filter(roles__code__in=services.CASELOAD_ROLES)
        .distinct()
        .order_by("display_name")
        # The choice list needs only the name and public id; no joined user or supervisor.
        .select_related(None)
        .only("id", "public_id", "display_name")
    )


_PERSON_PAGES = (
    ("edit", "person-edit"),
    ("admit", "person-admit"),
    ("transfer", "person-transfer"),
    ("discharge", "person-discharge"),
    ("assign", "caseload-assign"),
)


@route("persons/<uuid:public_id>/", name="person-detail")
@page(
    "opens one person served: get_person_with_episodes_for audits the read (emergency purpose)",
    GET,
)
def person_detail(request: HttpRequest, public_id: UUID) -> HttpResponse:
    # The read of the person and the Part 2 disclosures its sections make (a person read under a
    # consent or an emergency grant) are logged together, before the page is rendered.
    with audit.together():
        person, episodes = selectors.get_person_with_episodes_for(request.user, public_id)
        context = _person_context(request, person, episodes)
        # The caseload is read with the sections' first reads (``sections_for``); its read is
        # built once per reader's label condition (``selectors.caseload_of``).
        caseload = selectors.caseload_of(request.user, person.pk)
        sections = sections_for(request, person, context, {"caseload": prepared.waited(caseload)})
        context["section_groups"] = grouped(sections)
    # The caseload's days are the person's own unit's (the page shows them in its zone).
    context["active_caseload"], context["past_caseload"] = _caseload_rows(
        context["caseload"], clock.today_in(context["zone"])
    )
    # The person's own pages the toolbar and the caseload link to.
    context["person_urls"] = {
        name: record_url(f"people:{route}", person.public_id) for name, route in _PERSON_PAGES
    }
    return render(request, "people/person_detail.html", context)


@route("persons/<uuid:public_id>/sections/<slug:key>/", name="person-section")
@page("opens one on-demand section of a person's page: get_person_for audits the read", GET)
def person_section(request: HttpRequest, public_id: UUID, key: str) -> HttpResponse:
    """One section of the person page, rendered when opened (htmx swaps it into the page; a
    plain request gets it on a page of its own). Scope and the audited read as on the person
    page; a section this viewer may not see (its category, its action, or a context that
    hides it) answers as if it did not exist."""
    person = selectors.get_person_for(request.user, public_id, what=f"section:{key}"[:60])
    section = get_section(key)
    if section is None or not category_allows(request, person, section):
        raise Http404("Not found")
    if section.action and not policy.allows(request.user, section.action, person):
        raise PermissionDenied
    grant = selectors.active_grant_for(request.user, person)
    emergency = grant is not None and selectors.is_emergency_read(request.user, person)
    zone = selectors.person_zone(person)
    page: dict[str, Any] = {
        "person": person,
        "zone": zone,
        "zone_name": str(zone),
        "writable": not emergency,
    }
    found = section_context(request, person, section, page)
    if found is None:
        raise Http404("Not found")
    page.update(section=found, section_template=section.template, section_title=section.title)
    if _is_htmx(request):
        return render(request, section.template, page)
    return render(request, "people/person_section.html", page)


@route("persons/new/", name="person-create")
@page("registers a person served and admits them (create_person audits both)", GET_POST)
def person_create(request: HttpRequest) -> HttpResponse:
    policy.require(request.user, "people.create_person")
    units, beds, choices = _placement_form_data(
        request.user, selectors.admitting_units(request.user)
    )
    if not units:
        raise PermissionDenied("You do not have permission to do that.")
    form = forms.PersonCreateForm(posted(request), choices=choices)

    def create(data: dict[str, Any]) -> tuple[PersonServed, Unit]:
        unit, bed = forms.resolve_placement(data["place"], units, beds)
        fields = {k: data[k] for k in services.PERSON_FIELDS}
        person = services.create_person(
            actor=request.user, unit=unit, bed=bed, admitted_at=data["admitted_at"], **fields
        )
        return person, unit

    return form_write(
        request,
        form,
        "people/person_form.html",
        {"form": form},
        create,
        lambda made: saved(
            request,
            f"{made[0].display_name} is registered and {_placed_words(made[1])} {made[1].name}.",
            reverse("people:person-detail", args=[made[0].public_id]),
        ),
        field_map=PLACE,
        zone=_zone(_chosen_unit(request.POST.get("place", ""), units)),
    )


def _chosen_unit(value: str, units: list[Unit]) -> Unit | None:
    unit_id = value.partition(":")[0]
    return next((u for u in units if str(u.public_id) == unit_id), None)


@route("persons/<uuid:public_id>/edit/", name="person-edit")
@page("changes a person's demographics; the read and update_person are audited", GET_POST)
def person_edit(request: HttpRequest, public_id: UUID) -> HttpResponse:
    person = selectors.get_person_for(request.user, public_id, "people.edit_person", what="edit")
    initial = {name: getattr(person, name) for name in services.PERSON_FIELDS}
    form = forms.PersonForm(posted(request), initial=initial)
    return form_write(
        request,
        form,
        "people/person_form.html",
        {"form": form, "person": person},
        lambda data: services.update_person(person, actor=request.user, **data),
        lambda _: saved(request, "The changes are saved.", _person_url(person)),
    )


@route("persons/<uuid:public_id>/admit/", name="person-admit")
@page("admits a person served; the read and admit_person are audited", GET_POST)
def person_admit(request: HttpRequest, public_id: UUID) -> HttpResponse:
    person = selectors.get_person_for(request.user, public_id, "people.admit", what="admit")
    if selectors.current_placement(person) is not None:
        messages.info(request, f"{person.display_name} is already admitted.")
        return redirect("people:person-detail", public_id=person.public_id)
    units, beds, choices = _placement_form_data(
        request.user, selectors.admitting_units(request.user)
    )
    form = forms.AdmitForm(posted(request), choices=choices)
    context = {"form": form, "person": person, "action": "admit"}
    return _admit_from_form(request, person, form, units, beds, "people/person_move.html", context)


def _placed_words(unit: Unit) -> str:
    """A community program enrols participants; a unit with beds admits persons served."""
    return "is enrolled in" if unit.kind == UnitKind.COMMUNITY else "is admitted to"


def _admit_from_form(
    request: HttpRequest,
    person: PersonServed,
    form: Any,
    units: list[Unit],
    beds: list[Any],
    template: str,
    context: dict[str, Any],
) -> HttpResponse:
    """Admit from a placement form (the Admit page and admission by record number)."""

    def admit(data: dict[str, Any]) -> Unit:
        unit, bed = forms.resolve_placement(data["place"], units, beds)
        services.admit_person(
            person, actor=request.user, unit=unit, bed=bed, admitted_at=data["admitted_at"]
        )
        return unit

    return form_write(
        request,
        form,
        template,
        context,
        admit,
        lambda unit: saved(
            request,
            f"{person.display_name} {_placed_words(unit)} {unit.name}.",
            _person_url(person),
        ),
        field_map=PLACE,
        zone=_zone(_chosen_unit(request.POST.get("place", ""), units)),
    )


@route("persons/<uuid:public_id>/transfer/", name="person-transfer")
@page(
    "transfers a person between units or beds; the read and transfer_person are audited", GET_POST
)
def person_transfer(request: HttpRequest, public_id: UUID) -> HttpResponse:
    person = selectors.get_person_for(request.user, public_id, "people.transfer", what="transfer")
    placement = selectors.current_placement(person)
    if placement is None:
        messages.info(request, f"{person.display_name} is not admitted; admit them instead.")
        return redirect("people:person-detail", public_id=person.public_id)
    units, beds, choices = _placement_form_data(
        request.user, selectors.transfer_units(request.user)
    )
    form = forms.TransferForm(posted(request), choices=choices)

    def move(data: dict[str, Any]) -> Unit:
        unit, bed = forms.resolve_placement(data["place"], units, beds)
        services.transfer_person(
            placement.episode,
            actor=request.user,
            unit=unit,
            bed=bed,
            moved_at=data["moved_at"],
            reason=data["reason"],
        )
        return unit

    return _leave_write(
        request,
        person,
        placement,
        form,
        "transfer",
        move,
        lambda unit: f"{person.display_name} is moved to {unit.name}.",
        field_map=PLACE,
    )


@route("persons/<uuid:public_id>/discharge/", name="person-discharge")
@page("discharges a person served; the read and discharge_person are audited", GET_POST)
def person_discharge(request: HttpRequest, public_id: UUID) -> HttpResponse:
    person = selectors.get_person_for(request.user, public_id, "people.discharge", what="discharge")
    placement = selectors.current_placement(person)
    if placement is None:
        messages.info(request, f"{person.display_name} is not admitted.")
        return redirect("people:person-detail", public_id=person.public_id)
    form = forms.DischargeForm(posted(request))
    return _leave_write(
        request,
        person,
        placement,
        form,
        "discharge",
        lambda data: services.discharge_person(placement.episode, actor=request.user, **data),
        lambda _: f"{person.display_name} is discharged.",
    )


def _leave_write(
    request: HttpRequest,
    person: PersonServed,
    placement: Any,
    form: Any,
    action: str,
    write: Callable[[dict[str, Any]], Any],
    said: Callable[[Any], str],
    **kwargs: Any,
) -> HttpResponse:
    """A transfer or discharge form: one service writes, the page says ``said(result)`` and goes
    where the user can still see the result (``_after_move``)."""

    def left(result: Any) -> HttpResponse:
        messages.success(request, said(result))
        return _after_move(request, person, placement.unit)

    return form_write(
        request,
        form,
        "people/person_move.html",
        {"form": form, "person": person, "placement": placement, "action": action},
        write,
        left,
        # The move happens on the unit the person leaves: its clock names the moment.
        zone=_zone(placement.unit),
        **kwargs,
    )


@route("persons/<uuid:public_id>/caseload/", name="caseload-assign")
@page(
    "puts a person on a staff member's caseload; the read and assign_caseload are audited", GET_POST
)
def caseload_assign(request: HttpRequest, public_id: UUID) -> HttpResponse:
    person = selectors.get_person_for(
        request.user, public_id, "people.assign_caseload", what="caseload"
    )
    form = forms.CaseloadAssignForm(request.POST or None, staff=_assignable_staff(request.user))
    return form_write(
        request,
        form,
        "people/caseload_assign.html",
        {"person": person, "form": form},
        lambda data: services.assign_caseload(actor=request.user, person=person, **data),
        lambda made: saved(
            request,
            f"{person.display_name} is on {made.staff}'s caseload.",
            _person_url(person) + "#caseload",
        ),
    )


@route("caseload/<uuid:public_id>/end/", name="caseload-end")
@page("ends a caseload assignment; end_caseload audits it", POST)
def caseload_end(request: HttpRequest, public_id: UUID) -> HttpResponse:
    assignment = get_for(
        CaseloadAssignment.objects.select_related("staff", "person"),
        request.user,
        public_id,
        "people.assign_caseload",
    )
    form = forms.CaseloadEndForm(request.POST)
    person = assignment.person
    target = reverse("people:person-detail", args=[person.public_id]) + "#caseload"
    if not form.is_valid():
        messages.error(request, "Enter the end date as YYYY-MM-DD.")
        return HttpResponseRedirect(target)
    try:
        services.end_caseload(
            assignment, actor=request.user, ended_on=form.cleaned_data["ended_on"]
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return HttpResponseRedirect(target)
    messages.success(request, f"{assignment.staff}'s assignment has ended.")
    return HttpResponseRedirect(target)


# --- Units and census -------------------------------------------------------------------------


@route("units/", name="unit-list")
@page("lists units in scope with occupancy counts (no person is named)", GET)
def unit_list(request: HttpRequest) -> HttpResponse:
    policy.require(request.user, "people.view_unit")
    units = list(selectors.units_visible_to(request.user).order_by("site__name", "name"))
    counts = selectors.occupied_counts(units)
    rows = [{"unit": u, "occupied": counts.get(u.pk, 0)} for u in units]
    return render(request, "people/unit_list.html", {"rows": rows})


@route("units/<uuid:public_id>/", name="unit-detail")
@page("a unit's census now or at a past moment; the persons shown are audited as one read", GET)
def unit_detail(request: HttpRequest, public_id: UUID) -> HttpResponse:
    unit = selectors.get_unit_for(request.user, public_id)
    zone = _zone(unit)
    can_census = policy.can(request.user, "people.view_census", unit)
    form = forms.CensusAtForm(request.GET or None)
    moment, asked = clock.now(), False
    if form.is_bound:
        with timezone.override(zone):
            if form.is_valid() and form.cleaned_data["at"] is not None:
                asked = True
                moment = form.cleaned_data["at"]
                if moment > clock.now():
                    form.add_error("at", "Choose a moment that has already happened.")
                    moment, asked = clock.now(), False
    beds = list(selectors.beds_of(unit))
    rows: list[dict[str, Any]] = []
    unbedded: list[Placement] = []
    occupied = 0
    if can_census:
        placements = list(selectors.census_at(unit, moment))
        occupied = len(placements)
        by_bed = {p.bed_id: p for p in placements if p.bed_id is not None}
        # A community program lists everyone enrolled, bed or not.
        community = unit.kind == UnitKind.COMMUNITY
        unbedded = [p for p in placements if p.bed_id is None or community]
        rows = [{"bed": bed, "placement": by_bed.get(bed.pk)} for bed in beds]
        selectors.record_list_read(
            request.user,
            [p.episode.person for p in placements],
            what=f"census of {unit.code}",
            detail={"unit": unit.code, "at": moment.isoformat(), "now": not asked},
        )
    else:
        occupied = selectors.occupied_counts([unit], moment).get(unit.pk, 0)
    context = {
        "unit": unit,
        "form": form,
        "zone": zone,
        "zone_name": str(zone),
        "moment": clock.local(moment, zone),
        "asked": asked,
        "can_census": can_census,
        "rows": rows,
        "unbedded": unbedded,
        "occupied": occupied,
        "bed_total": len(beds),
        # A community program has participants enrolled and no beds (issue: community census).
        "is_community": unit.kind == UnitKind.COMMUNITY,
        "free": sum(1 for r in rows if r["placement"] is None and r["bed"].is_active),
        "can_edit_unit": policy.can(request.user, "people.edit_unit"),
    }
    return render(request, "people/unit_detail.html", context)


# --- Staff ------------------------------------------------------------------------------------


@route("staff/", name="staff-list")
@page("lists and searches staff in scope (no person served is shown)", GET)
def staff_list(request: HttpRequest) -> HttpResponse:
    policy.require(request.user, "people.view_staff")
    form = forms.StaffSearchForm(request.GET or None)
    q, status = "", "current"
    if form.is_valid():
        q, status = form.cleaned_data["q"], form.cleaned_data["status"] or "current"
    qs = selectors.staff_visible_to(request.user, search=q).prefetch_related("roles", "home_units")
    employed = selectors.employed_q(clock.organization_today())
    if status == "current":
        qs = qs.filter(employed)
    elif status == "left":
        qs = qs.exclude(employed)
    context = {
        "form": form,
        "page": _page(request, qs),
        "q": q,
        "can_create": policy.can(request.user, "people.edit_staff"),
    }
    if _is_htmx(request):
        return render(request, "people/partials/_staff_results.html", context)
    return render(request, "people/staff_list.html", context)


@route("staff/<uuid:public_id>/", name="staff-detail")
@page("one staff profile; lived experience only as the staff member chose to share it", GET)
def staff_detail(request: HttpRequest, public_id: UUID) -> HttpResponse:
    staff = selectors.get_staff_for(request.user, public_id)
    is_self = policy.actor_for(request.user).staff_id == staff.pk
    supervisees = selectors.staff_visible_to(request.user).filter(supervisor=staff)
    supervisor = staff.supervisor
    context = {
        "staff": staff,
        "is_self": is_self,
        "roles": list(staff.roles.all()),
        "units": list(staff.home_units.all()),
        "programs": list(staff.programs.all()),
        "supervisor": supervisor,
        "supervisor_visible": supervisor is not None
        and policy.is_visible(request.user, supervisor),
        "supervisees": list(supervisees),
        # The staff member always sees their own; others only what they chose to share.
        "lived_experience": list(staff.lived_experience)
        if is_self
        else staff.visible_lived_experience(),
        "show_employment": policy.can(request.user, "people.view_employment", staff),
        "has_left": staff.exited_on is not None,
        "can_edit": policy.can(request.user, "people.edit_staff", staff),
        "can_roles": policy.can(request.user, "people.change_roles", staff),
        "can_exit": staff.exited_on is None
        and policy.can(request.user, "people.edit_staff", staff),
        "can_edit_own": policy.can(request.user, "people.edit_own_profile", staff),
        "can_access": policy.can(request.user, "people.manage_access", staff),
    }
    return render(request, "people/staff_detail.html", context)


def _staff_fields(form: Any) -> dict[str, Any]:
    data = form.cleaned_data
    return {
        "display_name": data["display_name"],
        "job_title": data["job_title"],
        "badge_number": data["badge_number"] or None,
        "hired_on": data["hired_on"],
        "home_units": list(data["home_units"]),
        "programs": list(data["programs"]),
        "supervisor": data["supervisor"],
        "languages": data["languages"],
    }


@route("staff/new/", name="staff-create")
@page("creates a staff member and sign-in account; create_staff audits it", GET_POST)
def staff_create(request: HttpRequest) -> HttpResponse:
    policy.require(request.user, "people.edit_staff")
    form = forms.StaffCreateForm(posted(request), organization_id=organization_for(request.user))
    return form_write(
        request,
        form,
        "people/staff_form.html",
        {"form": form, "creating": True},
        lambda data: services.create_staff(
            actor=request.user,
            username=data["username"],
            email=data["email"],
            roles=data["roles"],
            password=data["password"] or None,
            **_staff_fields(form),
        ),
        lambda staff: saved(request, f"{staff.display_name} is added.", _staff_url(staff)),
    )


@route("staff/<uuid:public_id>/edit/", name="staff-edit")
@page("changes a staff profile; update_staff audits old and new values", GET_POST)
def staff_edit(request: HttpRequest, public_id: UUID) -> HttpResponse:
    staff = selectors.get_staff_for(request.user, public_id, "people.edit_staff")
    initial = {
        "display_name": staff.display_name,
        "job_title": staff.job_title,
        "badge_number": staff.badge_number or "",
        "hired_on": staff.hired_on,
        "home_units": list(staff.home_units.all()),
        "programs": list(staff.programs.all()),
        "supervisor": staff.supervisor,
        "languages": ", ".join(staff.languages),
    }
    form = forms.StaffForm(
        posted(request),
        initial=initial,
        organization_id=staff.organization_id,
        exclude_pk=staff.pk,
    )
    return form_write(
        request,
        form,
        "people/staff_form.html",
        {"form": form, "staff": staff, "creating": False},
        lambda _: services.update_staff(staff, actor=request.user, **_staff_fields(form)),
        lambda _: saved(request, "The changes are saved.", _staff_url(staff)),
    )


def _staff_form(
    what: str,
    action: str,
    form_class: Callable[..., Any],
    template: str,
    write: Callable[..., Any],
    message: Callable[[Staff], str],
    initial: Callable[[Staff], dict[str, Any]] | None = None,
) -> Callable[[HttpRequest, UUID], HttpResponse]:
    """A page changing one staff member through one service, declared as audited by ``what``:
    the staff member read for ``action``, the form (starting from ``initial(staff)``),
    ``write(staff, actor=..., **fields)``, then the staff member's page."""

    @page(what, GET_POST)
    def view(request: HttpRequest, public_id: UUID) -> HttpResponse:
        staff = selectors.get_staff_for(request.user, public_id, action)
        form = form_class(posted(request), initial=initial(staff) if initial else None)
        return form_write(
            request,
            form,
            template,
            {"form": form, "staff": staff},
            lambda data: write(staff, actor=request.user, **data),
            lambda _: saved(request, message(staff), _staff_url(staff)),
        )

    view.__name__ = f"{write.__name__}_page"
    return view


staff_own_profile = route("staff/<uuid:public_id>/profile/", name="staff-own-profile")(
    _staff_form(
        "a staff member's own languages and lived-experience sharing; audited by the service",
        "people.edit_own_profile",
        forms.OwnProfileForm,
        "people/staff_own_profile.html",
        services.update_own_profile,
        lambda staff: "Your profile is saved.",
        initial=lambda staff: {
            "languages": ", ".join(staff.languages),
            "lived_experience": ", ".join(staff.lived_experience),
            "shares_lived_experience": staff.shares_lived_experience,
        },
    )
)
staff_roles = route("staff/<uuid:public_id>/roles/", name="staff-roles")(
    _staff_form(
        "changes a staff member's roles (a privilege change); set_roles audits it",
        "people.change_roles",
        forms.StaffRolesForm,
        "people/staff_roles.html",
        services.set_roles,
        lambda staff: f"{staff.display_name}'s roles are saved; their sessions have ended.",
        initial=lambda staff: {"roles": staff.role_codes()},
    )
)
staff_exit = route("staff/<uuid:public_id>/exit/", name="staff-exit")(
    _staff_form(
        "records a staff member's departure; exit_staff audits it",
        "people.edit_staff",
        forms.StaffExitForm,
        "people/staff_exit.html",
        services.exit_staff,
        lambda staff: f"{staff.display_name}'s departure is recorded.",
    )
)


# --- Sign-in access (administrators) ----------------------------------------------------------

ACCESS_TEMPLATE = "people/staff_access.html"


def _tablet_prefix(device: Any) -> str:
    return f"tablet-{device.public_id.hex}"


def _access_context(
    request: HttpRequest, public_id: UUID, bound: tuple[str, forms.AccessReasonForm] | None = None
) -> dict[str, Any]:
    """The access page; ``bound`` is the one form just posted, shown with its errors."""
    state = access.get_access_for(request.user, public_id)
    prefixes = ["unlock", "two_step", "pin"]
    prefixes += [_tablet_prefix(t.device) for t in state.tablets if not t.is_revoked]
    reason_forms = {prefix: forms.AccessReasonForm(prefix=prefix) for prefix in prefixes}
    if bound is not None:
        reason_forms[bound[0]] = bound[1]
    tablets = [
        {"tablet": t, "form": reason_forms.get(_tablet_prefix(t.device))} for t in state.tablets
    ]
    return {
        "access": state,
        "staff": state.staff,
        "forms": reason_forms,
        "tablets": tablets,
        "limit": settings.AXES_FAILURE_LIMIT,
        "zone": settings.PILLARS_DEFAULT_TIME_ZONE,
    }


def _access_write(
    request: HttpRequest,
    staff: Staff,
    prefix: str,
    write: Callable[[str], Any],
    done: Callable[[Any], str],
) -> HttpResponse:
    """A POST on the access page: the reason form, then one service; its refusal re-shows the
    page with the errors on that action's form (nothing stored), a success says what changed."""
    form = forms.AccessReasonForm(request.POST, prefix=prefix)
    return form_write(
        request,
        form,
        ACCESS_TEMPLATE,
        lambda: _access_context(request, staff.public_id, (prefix, form)),
        lambda data: write(data["reason"]),
        saved_to(request, done, "people:staff-access", staff),
    )


def _access_staff(request: HttpRequest, public_id: UUID) -> Staff:
    return selectors.get_staff_for(request.user, public_id, access.ACTION)


@route("staff/<uuid:public_id>/access/", name="staff-access")
@page("a staff member's sign-in lockouts, two-step device, PIN and tablets (no secret shown)", GET)
def staff_access(request: HttpRequest, public_id: UUID) -> HttpResponse:
    return render(request, ACCESS_TEMPLATE, _access_context(request, public_id))


def _access_action(
    what: str, prefix: str, change: Callable[..., Any], done: str
) -> Callable[..., HttpResponse]:
    """A POST that changes one part of a staff member's sign-in access, with a reason:
    ``change(staff, actor=..., reason=...)`` is the access service (it audits the reason),
    ``prefix`` the access page's form for it, ``done`` what is said after it (``{name}``: the
    staff member's name)."""

    @page(what, POST)
    def action(request: HttpRequest, public_id: UUID) -> HttpResponse:
        staff = _access_staff(request, public_id)
        return _access_write(
            request,
            staff,
            prefix,
            lambda reason: change(staff, actor=request.user, reason=reason),
            lambda _: done.format(name=staff.display_name),
        )

    return action


staff_access_unlock = route("staff/<uuid:public_id>/access/unlock/", name="staff-access-unlock")(
    _access_action(
        "clears a staff member's failed sign-ins; unlock_account audits it with the reason",
        "unlock",
        access.unlock_account,
        "{name} can sign in again: the failed sign-ins are cleared.",
    )
)
staff_access_two_factor = route(
    "staff/<uuid:public_id>/access/two-step/reset/", name="staff-access-two-factor"
)(
    _access_action(
        "removes a staff member's two-step device; reset_two_factor audits it with the reason",
        "two_step",
        access.reset_two_factor,
        "{name}'s two-step sign-in is reset: they set up a new authenticator at their next "
        "sign-in. Their sessions and API tokens have ended.",
    )
)
staff_access_pin = route("staff/<uuid:public_id>/access/pin/reset/", name="staff-access-pin")(
    _access_action(
        "removes a staff member's badge PIN; reset_pin audits it with the reason",
        "pin",
        access.reset_pin,
        "{name}'s badge PIN is removed: they set a new one with their password before they "
        "switch in by badge again.",
    )
)


@route("staff/<uuid:public_id>/access/tablets/<uuid:device_id>/revoke/", name="staff-access-tablet")
@page(
    "revokes one of a staff member's trusted tablets; revoke_tablet audits it with the reason", POST
)
def staff_access_tablet(request: HttpRequest, public_id: UUID, device_id: UUID) -> HttpResponse:
    staff = _access_staff(request, public_id)
    device = access.get_tablet_for(staff, device_id)
    return _access_write(
        request,
        staff,
        _tablet_prefix(device),
        lambda reason: access.revoke_tablet(staff, device, actor=request.user, reason=reason),
        lambda ended: (
            f"The tablet '{device.name}' is revoked: it is no longer trusted, and "
            f"the sessions signed in on it ({ended}) have ended."
        ),
    )


# --- Import -----------------------------------------------------------------------------------


_IMPORT = CheckedImport(
    template="people/import.html",
    url_name="people:import",
    upload_form=forms.ImportForm,
    confirm_form=forms.ImportConfirmForm,
    upload_field="file",
    noun="file",
    refused=importing.FileRefused,
    check=lambda data, actor: importing.run(
        data["kind"], data["file"].read(), actor=actor, source=data["file"].name or "", hold=True
    ),
    commit=lambda pending, actor: importing.commit_pending(pending, actor=actor),
    pending_minutes=importing.PENDING_MINUTES,
    context={"kinds": importing.KINDS},
)


@route("import/", name="import")
@page("CSV import of staff or persons served: dry run, then commit; each run is audited", GET_POST)
def import_view(request: HttpRequest) -> HttpResponse:
    policy.require(request.user, "people.import")
    return import_page(request, _IMPORT)


# --- Admission by record number (a returning person) -----------------------------------------


@route("admissions/", name="admission")
@page(
    "admits a person not admitted anywhere, found by exact record number; lookup audited", GET_POST
)
def admission(request: HttpRequest) -> HttpResponse:
    """Scope follows the unit, so a discharged person is on nobody's unit and their Admit page is
    out of reach. Here an admitting nurse or clinician finds them by exact record number (no
    names, no list), confirms identity by name and date of birth only, and admits them to one of
    their own units; the record then comes into their scope the ordinary way."""
    policy.require(request.user, "people.admit")
    template = "people/admission.html"
    units, beds, choices = _placement_form_data(
        request.user, selectors.admitting_units(request.user)
    )
    lookup = forms.EmergencyLookupForm(posted(request))
    context: dict[str, Any] = {"lookup": lookup, "has_units": bool(units)}
    # Without a unit to admit to, a lookup would be an audited read with no purpose.
    if request.method == "GET" or not units or not lookup.is_valid():
        return render(request, template, context)
    found = selectors.lookup_for_admission(request.user, lookup.cleaned_data["record_number"])
    if found.already_yours is not None:
        messages.info(request, f"{found.already_yours.display_name} is already admitted.")
        return redirect("people:person-detail", public_id=found.already_yours.public_id)
    if found.admitted_elsewhere:
        # The unit is not named: knowing it would tell where someone out of scope is.
        lookup.add_error(
            "record_number",
            "This person is currently admitted elsewhere; ask that unit to transfer them.",
        )
        return render(request, template, context)
    person = found.person
    if person is None:
        lookup.add_error("record_number", "No person served has that record number.")
        return render(request, template, context)
    confirming = "place" not in request.POST
    form = forms.AdmitForm(None if confirming else request.POST, choices=choices)
    context.update(found=person, form=form)
    if confirming:
        return render(request, template, context)
    return _admit_from_form(request, person, form, units, beds, template, context)


# --- Emergency access ("break the glass") -----------------------------------------------------


@route("emergency/", name="emergency-start")
@page(
    "break-the-glass: exact record-number lookup and grant; both audited, grant reviewed", GET_POST
)
def emergency_start(request: HttpRequest) -> HttpResponse:
    policy.require(request.user, "people.break_glass")
    template = "people/emergency_start.html"
    lookup = forms.EmergencyLookupForm(request.POST if "record_number" in request.POST else None)
    context: dict[str, Any] = {"lookup": lookup}
    if request.method == "GET":
        return render(request, template, context)
    if "record_number" in request.POST:
        if not lookup.is_valid():
            return render(request, template, context)
        person = selectors.find_person_for_emergency(
            request.user, lookup.cleaned_data["record_number"]
        )
        if person is None:
            lookup.add_error("record_number", "No person served has that record number.")
            return render(request, template, context)
        if (
            policy.is_visible(request.user, person)
            and not selectors.is_emergency_read(request.user, person)
            and not selectors.has_closed_part2(request.user, person)
        ):
            messages.info(request, "You can open this record already; no emergency access needed.")
            return redirect("people:person-detail", public_id=person.public_id)
        context["found"] = person
        context["part2_only"] = policy.is_visible(request.user, person)
        context["start"] = forms.EmergencyStartForm(initial={"person": person.public_id})
        return render(request, template, context)
    start = forms.EmergencyStartForm(request.POST)
    if not start.is_valid():
        person_id = request.POST.get("person", "")
        context["found"] = selectors.get_person_for_emergency(request.user, person_id)
        context["start"] = start
        return render(request, template, context)
    person = selectors.get_person_for_emergency(request.user, start.cleaned_data["person"])
    try:
        grant = services.start_emergency_access(
            person,
            actor=request.user,
            reason=start.cleaned_data["reason"],
            minutes=start.cleaned_data["minutes"],
        )
    except ValidationError as exc:
        forms.apply_errors(start, exc)
        context.update(found=person, start=start)
        return render(request, template, context)
    placement = selectors.current_placement(person)
    until = clock.local(grant.expires_at, _zone(placement.unit if placement else None))
    messages.warning(
        request,
        f"Emergency access to this record until {until:%H:%M} {until.tzname()}. "
        "Everything you open is recorded and reviewed by the privacy officer.",
    )
    return redirect("people:person-detail", public_id=person.public_id)


@route("emergency/reviews/", name="emergency-review-list")
@page("privacy officer's queue of emergency grants with the audit events of each window", GET)
def emergency_review_list(request: HttpRequest) -> HttpResponse:
    policy.require(request.user, "people.review_emergency_access")
    page = _page(request, selectors.grants_awaiting_review(request.user))
    items = [
        {
            "grant": grant,
            "events": list(selectors.events_during(grant)[:200]),
            "form": forms.ReviewForm(prefix=str(grant.public_id)),
        }
        for grant in page.object_list
    ]
    selectors.record_list_read(
        request.user,
        [item["grant"].person for item in items],
        what="emergency access review queue",
        purpose=Purpose.OVERSIGHT,
    )
    zone = _zone(None)
    return render(
        request,
        "people/emergency_review_list.html",
        {"page": page, "items": items, "zone_name": str(zone)},
    )


@route("emergency/reviews/<uuid:public_id>/", name="emergency-review")
@page("records the privacy officer's finding on one grant; review_emergency_access audits it", POST)
def emergency_review(request: HttpRequest, public_id: UUID) -> HttpResponse:
    grant = get_for(
        EmergencyAccess.objects.select_related("staff__user", "person"),
        request.user,
        public_id,
        "people.review_emergency_access",
    )
    form = forms.ReviewForm(request.POST, prefix=str(grant.public_id))
    return form_write(
        request,
        form,
        "people/emergency_review_list.html",
        lambda: {
            "page": None,
            "items": [
                {"grant": grant, "events": list(selectors.events_during(grant)[:200]), "form": form}
            ],
            "zone_name": str(_zone(None)),
        },
        lambda data: services.review_emergency_access(grant, actor=request.user, **data),
        lambda _: saved(
            request, "The finding is recorded.", reverse("people:emergency-review-list")
        ),
    )
