"""Pages of the restraint area: start an episode, the episode with its live timers and every
entry (monitoring, face-to-face, renewal, release, guardian notice, debrief, addenda), the shift
lead's screen per unit, and the violations and HBIPS report for leaders.

Views stay thin: a form parses, a selector fetches (scoped, audited), one service writes. Times
are typed and shown in the unit's own zone.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, reverse
from django.views.decorators.http import require_GET

from pillars.core import clock, policy
from pillars.core.declare import audit_exempt
from pillars.core.formtools import form_write, posted, saved
from pillars.core.pages import GET, GET_POST, POST, page
from pillars.core.roles import RoleCode
from pillars.core.routes import Routes
from pillars.incidents.forms.restraint import (
    AddendumForm,
    ChooseProfileForm,
    DebriefForm,
    FaceToFaceForm,
    GuardianForm,
    MonitorForm,
    ProfileForm,
    ReleaseForm,
    RenewForm,
    StaffForm,
    StartForm,
)
from pillars.incidents.models import EpisodeKind, RestraintEpisode
from pillars.incidents.selectors import restraint as selectors
from pillars.incidents.services import restraint as services
from pillars.people import hooks
from pillars.people import selectors as people_selectors
from pillars.people.models import Placement, Staff, Unit

route = Routes()


def _orderers(unit: Unit | None, organization_id: int) -> Any:
    """Who may have given the order: the unit's clinicians (for a person not on a unit now, the
    organization's), never another organization's (``services.restraint._orderer``)."""
    qs = Staff.objects.filter(roles__code=RoleCode.CLINICIAN, organization_id=organization_id)
    if unit is not None:
        qs = qs.filter(home_units=unit)
    return qs.distinct().order_by("display_name")


def _takers_part(unit: Unit | None, episode: RestraintEpisode | None = None) -> Any:
    """Who may be named as taking part: active staff working on the unit's site now, less
    those already named."""
    if unit is None:
        return Staff.objects.none()
    qs = services.eligible_staff(unit, clock.now())
    if episode is not None:
        qs = qs.exclude(pk__in=[r.staff_id for r in episode.involved()])
    return qs.order_by("display_name")


def _floor_notes(form: forms.Form, staff: Any) -> hooks.FloorNotes:
    """What the floor gate says about each staff member who could be named (a lapsed
    credential or training blocks or warns, workforce floor rules), on the choices' labels and
    listed on the form before anyone submits."""
    notes = hooks.floor_notes(list(staff), hooks.FloorTask.RESTRAINT_TEAM)
    notes.label_field(form.fields["staff"])
    return notes


def _floor_warned(request: HttpRequest, staff: list[Staff]) -> None:
    """After staff were named: the floor gate's warnings about them, said."""
    for problem in hooks.floor_notes(staff, hooks.FloorTask.RESTRAINT_TEAM).lines():
        if not problem.blocks:
            messages.warning(request, f"Allowed with a warning: {problem.reason}")


def _zone_of(unit: Unit | None) -> str:
    return unit.time_zone if unit is not None else settings.PILLARS_DEFAULT_TIME_ZONE


@route("persons/<uuid:public_id>/restraint/new/", name="restraint-start")
@page("starts a restraint or seclusion episode; the read and start_episode audit", GET_POST)
def episode_start(request: HttpRequest, public_id: UUID) -> HttpResponse:
    person = people_selectors.get_person_for(
        request.user, public_id, "incidents.restraint_order", what="restraint start"
    )
    placement = (
        Placement.objects.current().filter(episode__person=person).select_related("unit").first()
    )
    unit = placement.unit if placement else None
    zone = _zone_of(unit)
    takers = list(_takers_part(unit))
    form = StartForm(
        posted(request),
        zone_name=zone,
        orderers=_orderers(unit, person.organization_id),
        staff=Staff.objects.filter(pk__in=[s.pk for s in takers]).order_by("display_name"),
    )
    profile = services.profile_for_unit(unit) if unit is not None else None
    notes = _floor_notes(form, takers)
    context = {
        "person": person,
        "form": form,
        "unit": unit,
        "profile": profile,
        "zone": zone,
        "floor_notes": notes,
    }

    def done(episode: RestraintEpisode) -> HttpResponse:
        _floor_warned(request, list(form.cleaned_data["staff"]))
        return saved(
            request,
            f"{episode.get_kind_display()} started. Timers are running.",
            episode_url(episode),
        )

    return form_write(
        request,
        form,
        "incidents/restraint/episode_start.html",
        context,
        lambda data: services.start_episode(
            person, actor=request.user, **data | {"staff": list(data["staff"])}
        ),
        done,
        zone=ZoneInfo(zone),
    )


# --- The episode page and its entries ---------------------------------------------------------

FORMS: dict[str, type[forms.Form]] = {
    "staff": StaffForm,
    "monitor": MonitorForm,
    "face_to_face": FaceToFaceForm,
    "renew": RenewForm,
    "release": ReleaseForm,
    "guardian": GuardianForm,
    "debrief": DebriefForm,
    "addendum": AddendumForm,
}


def _forms(episode: RestraintEpisode, bound: str | None, data: Any) -> dict[str, forms.Form]:
    zone = episode.unit.time_zone
    built: dict[str, forms.Form] = {}
    for name, form_class in FORMS.items():
        kwargs: dict[str, Any] = {"zone_name": zone, "prefix": name}
        if name == "monitor":
            kwargs["mechanical"] = episode.kind == EpisodeKind.MECHANICAL
        if name == "renew":
            kwargs["orderers"] = _orderers(episode.unit, episode.organization_id)
        if name == "staff":
            kwargs["staff"] = _takers_part(episode.unit, episode)
        built[name] = form_class(data if name == bound else None, **kwargs)
    return built


def _staff_notes(episode: RestraintEpisode, built: dict[str, forms.Form]) -> hooks.FloorNotes:
    """The floor notes for the "name staff" form, while the episode runs."""
    if not episode.is_active:
        return hooks.FloorNotes(hooks.FloorTask.RESTRAINT_TEAM)
    form = built["staff"]
    return _floor_notes(form, form.fields["staff"].queryset)  # type: ignore[attr-defined]


def _context(request: HttpRequest, episode: RestraintEpisode, built: dict[str, forms.Form]) -> Any:
    now = clock.now()
    user = request.user
    return {
        "episode": episode,
        "person": episode.person,
        "zone": episode.unit.time_zone,
        "timers": selectors.timers(episode, now) if episode.is_active else [],
        "violations": episode.violations_at(now),
        "orders": episode._orders(),
        "checks": episode._checks(),
        "face_to_face": episode._face_to_face(),
        "addenda": list(episode.addenda.all()),
        "involved": episode.involved(),
        "forms": built,
        "floor_notes": _staff_notes(episode, built),
        "can_order": policy.can(user, "incidents.restraint_order", episode),
        "can_evaluate": policy.can(user, "incidents.restraint_evaluate", episode),
        "can_monitor": policy.can(user, "incidents.restraint_monitor", episode),
        "now": now,
    }


TEMPLATE = "incidents/restraint/episode_detail.html"


@route("restraint/<uuid:public_id>/", name="restraint-detail")
@page("one restraint episode; get_episode_for audits the read", GET)
def episode_detail(request: HttpRequest, public_id: UUID) -> HttpResponse:
    episode = selectors.get_episode_for(request.user, public_id)
    return render(request, TEMPLATE, _context(request, episode, _forms(episode, None, None)))


def _write(
    name: str, action: str, call: Callable[[RestraintEpisode, Any, dict[str, Any]], Any], done: str
) -> Callable[[HttpRequest, UUID], HttpResponse]:
    """One POST view per entry, at ``restraint/<id>/<name>/`` (``restraint-<name>``, with
    hyphens): parse the entry's form, call its service, back to the episode (or the page again
    with the errors: 200, nothing stored)."""

    @page(f"restraint {name}; the read and the service audit", POST)
    def view(request: HttpRequest, public_id: UUID) -> HttpResponse:
        episode = selectors.get_episode_for(request.user, public_id, action)
        built = _forms(episode, name, request.POST)
        form = built[name]
        return form_write(
            request,
            form,
            TEMPLATE,
            _context(request, episode, built),
            lambda data: call(episode, request.user, data),
            lambda _: _saved(request, name, form, done, episode),
            zone=ZoneInfo(episode.unit.time_zone),
        )

    view.__name__ = f"episode_{name}"
    slug = name.replace("_", "-")
    return route(f"restraint/<uuid:public_id>/{slug}/", name=f"restraint-{slug}")(view)


def _saved(
    request: HttpRequest, name: str, form: forms.Form, done: str, episode: RestraintEpisode
) -> HttpResponse:
    if name == "staff":
        _floor_warned(request, list(form.cleaned_data["staff"]))
    return saved(request, done, episode_url(episode))


def _mechanical(data: dict[str, Any]) -> dict[str, Any]:
    return {k: data[k] for k in services.MECHANICAL_ITEMS if k in data}


def _fields(
    service: Callable[..., Any],
    *names: str,
    more: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
) -> Callable[[RestraintEpisode, Any, dict[str, Any]], Any]:
    """Call an entry's service with the episode, the user as actor, and the form's fields of
    the same names (plus what ``more`` derives from the form)."""

    def call(episode: RestraintEpisode, user: Any, data: dict[str, Any]) -> Any:
        values = {name: data[name] for name in names}
        if more is not None:
            values.update(more(data))
        return service(episode, actor=user, **values)

    return call


ORDER = "incidents.restraint_order"
EVALUATE = "incidents.restraint_evaluate"
MONITOR = "incidents.restraint_monitor"
episode_staff = _write(
    "staff",
    MONITOR,
    _fields(services.add_staff, more=lambda d: {"staff": list(d["staff"])}),
    "Staff named.",
)
episode_monitor = _write(
    "monitor",
    MONITOR,
    _fields(services.record_monitoring, "condition", "observed_at", "note", more=_mechanical),
    "Monitoring check recorded.",
)
episode_face_to_face = _write(
    "face_to_face",
    EVALUATE,
    _fields(services.record_face_to_face, "findings", "seen_at", "continue_episode", "late_reason"),
    "Face-to-face evaluation recorded.",
)
episode_renew = _write(
    "renew",
    ORDER,
    _fields(
        services.renew_order, "ordered_at", "ordered_by", "seen_in_person", "note", "late_reason"
    ),
    "Order renewed.",
)
episode_release = _write(
    "release",
    ORDER,
    _fields(services.release_episode, "reason", "released_at", "late_reason"),
    "Released.",
)
episode_guardian = _write(
    "guardian",
    MONITOR,
    _fields(services.notify_guardian, "note", "notified_at"),
    "Guardian notice recorded.",
)
episode_debrief = _write(
    "debrief",
    MONITOR,
    _fields(services.record_debrief, "notes", "with_person"),
    "Debrief recorded.",
)
episode_addendum = _write(
    "addendum",
    MONITOR,
    _fields(services.add_addendum, "entry", "reason", "text"),
    "Correction added.",
)


# --- The shift lead's screen and the report ---------------------------------------------------


@route("units/<uuid:public_id>/restraint/", name="restraint-lead")
@page("the unit's active restraint episodes; record_list_read audits the persons shown", GET)
def unit_lead(request: HttpRequest, public_id: UUID) -> HttpResponse:
    unit = selectors.get_unit_for(request.user, public_id, "incidents.restraint_lead")
    now = clock.now()
    episodes = selectors.active_episodes(request.user, unit, "incidents.restraint_lead")
    people_selectors.record_list_read(
        request.user, [e.person for e in episodes], what="restraint lead screen"
    )
    rows = [{"episode": e, "timers": selectors.timers(e, now)} for e in episodes]
    context = {"unit": unit, "rows": rows, "zone": unit.time_zone, "now": now}
    if request.headers.get("HX-Request"):
        return render(request, "incidents/restraint/partials/_lead_rows.html", context)
    return render(request, "incidents/restraint/unit_lead.html", context)


def _month(value: str) -> tuple[int, int]:
    try:
        year, month = (int(x) for x in value.split("-"))
        # Held to the storable years: the month's end in the unit's zone must exist too.
        clock.storable_day(date(year, month, 1))
    except (ValueError, TypeError):
        # The organization's month: at 19:00 on 31 March in Chicago it is still March there.
        today = clock.organization_today()
        return today.year, today.month
    return year, month


@route("restraint/report/", name="restraint-report")
@page("violations and HBIPS per unit and month; record_list_read audits the persons shown", GET)
def report(request: HttpRequest) -> HttpResponse:
    policy.require(request.user, "incidents.restraint_report")
    units = selectors.units_visible_to(request.user)
    year, month = _month(request.GET.get("month", ""))
    chosen = next((u for u in units if str(u.public_id) == request.GET.get("unit")), None)
    if chosen is None and units:
        chosen = units[0]
    rows = selectors.violations_report(request.user, chosen, year, month) if chosen else []
    people_selectors.record_list_read(
        request.user, [r.episode.person for r in rows], what="restraint violations report"
    )
    measures = selectors.hbips(units, year, [month])
    context = {
        "units": units,
        "unit": chosen,
        "year": year,
        "month": month,
        "month_value": f"{year:04d}-{month:02d}",
        "rows": rows,
        "measures": measures,
        "zone": chosen.time_zone if chosen else settings.PILLARS_DEFAULT_TIME_ZONE,
    }
    return render(request, "incidents/restraint/report.html", context)


PROFILES_TEMPLATE = "incidents/restraint/profiles.html"


def _profiles_context(
    request: HttpRequest, chosen: Unit | None = None, form: ChooseProfileForm | None = None
) -> dict[str, Any]:
    """The profiles, and each unit the user sees with its profile and, where the user may
    change it, a form (the one just posted keeps its data and errors)."""
    current = selectors.current_profiles()
    names = {p.code: p for p in current}
    units = []
    for row in selectors.unit_profiles_for(request.user):
        choose = None
        if row.may_choose:
            if chosen is not None and chosen.pk == row.unit.pk and form is not None:
                choose = form
            else:
                choose = _choose_form(row.unit, None, current, initial={"code": row.code})
        units.append({"row": row, "profile": names.get(row.code), "form": choose})
    return {
        "profiles": current,
        "units": units,
        "can_edit": policy.can(request.user, "incidents.restraint_manage_profiles"),
    }


def _choose_form(unit: Unit, data: Any, profiles: Any, **kwargs: Any) -> ChooseProfileForm:
    return ChooseProfileForm(data, profiles=profiles, auto_id=f"id_{unit.code}_%s", **kwargs)


@route("restraint/profiles/", name="restraint-profiles")
@audit_exempt("rule profiles and units' choices are reference data with no person served")
@login_required
@require_GET
def profiles(request: HttpRequest) -> HttpResponse:
    policy.require(request.user, "incidents.restraint_profiles")
    return render(request, PROFILES_TEMPLATE, _profiles_context(request))


@route("restraint/profiles/units/<uuid:public_id>/", name="restraint-unit-profile")
@page("a unit's rule profile, no person served; choose_unit_profile audits the change", POST)
def unit_profile(request: HttpRequest, public_id: UUID) -> HttpResponse:
    unit = selectors.get_unit_for(request.user, public_id, "incidents.restraint_choose_profile")
    form = _choose_form(unit, request.POST, selectors.current_profiles())
    return form_write(
        request,
        form,
        PROFILES_TEMPLATE,
        _profiles_context(request, unit, form),
        lambda data: services.choose_unit_profile(unit, actor=request.user, code=data["code"]),
        lambda _: saved(
            request,
            f"{unit.name} follows the new profile from its next episode.",
            reverse("incidents:restraint-profiles"),
        ),
    )


@route("restraint/profiles/<uuid:public_id>/edit/", name="restraint-profile-edit")
@page("a rule profile, no person served; change_profile audits the new version", GET_POST)
def profile_edit(request: HttpRequest, public_id: UUID) -> HttpResponse:
    profile = selectors.get_profile_for(
        request.user, public_id, "incidents.restraint_manage_profiles"
    )
    initial = {name: getattr(profile, name) for name in services.PROFILE_FIELDS}
    form = ProfileForm(posted(request), initial=initial)
    return form_write(
        request,
        form,
        "incidents/restraint/profile_edit.html",
        {"profile": profile, "form": form},
        lambda data: services.change_profile(profile, actor=request.user, **data),
        lambda new: saved(
            request,
            f"{new.name} is now version {new.version}. Episodes already started keep the "
            "version they started under.",
            reverse("incidents:restraint-profiles"),
        ),
    )


def episode_url(episode: RestraintEpisode) -> str:
    return reverse("incidents:restraint-detail", args=[episode.public_id])


urlpatterns: list[URLPattern] = route.patterns
