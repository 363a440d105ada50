"""Pages where the administrator keeps the observation levels (DESIGN.md rule 8).

A change never rewrites a level: it makes the next version, and orders made under the old one
keep its rules (so do their checks). Levels name no person served, so these pages read no
protected information; the writes are audited by their services.
"""

from __future__ import annotations

from itertools import groupby
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from pillars.core import policy
from pillars.core.declare import audit_exempt
from pillars.core.entry import get_for
from pillars.core.formtools import form_write, posted, saved
from pillars.core.pages import GET_POST, page
from pillars.core.routes import Routes
from pillars.people.tenancy import in_organization
from pillars.rounds import services
from pillars.rounds.forms.orders import LevelForm, NewLevelForm
from pillars.rounds.models import ObservationLevel
from pillars.rounds.selectors.levels import level_versions
from pillars.rounds.services.levels import LEVEL_FIELDS

route = Routes()


@route("levels/", name="level-list")
@audit_exempt("reference data: observation levels and how many orders use each version")
@login_required
@require_GET
def level_list(request: HttpRequest) -> HttpResponse:
    policy.require(request.user, "rounds.manage_levels")
    versions = level_versions(request.user)
    groups = []
    for code, rows in groupby(sorted(versions, key=lambda v: v.code), key=lambda v: v.code):
        rows_list = sorted(rows, key=lambda v: -v.version)
        current = next((v for v in rows_list if v.is_current), rows_list[0])
        groups.append(
            {
                "code": code,
                "current": current,
                "older": [v for v in rows_list if v is not current],
            }
        )
    groups.sort(key=lambda g: (g["current"].sort_order, g["code"]))
    return render(request, "rounds/level_list.html", {"groups": groups})


@route("levels/new/", name="level-new")
@page("adds an observation level; add_level audits it", GET_POST)
def level_new(request: HttpRequest) -> HttpResponse:
    policy.require(request.user, "rounds.manage_levels")
    form = NewLevelForm(
        posted(request),
        initial={"grace_factor": "1.50", "due_window_minutes": 2, "staff_ratio": 0},
    )
    return form_write(
        request,
        form,
        "rounds/level_form.html",
        {"form": form},
        lambda data: services.add_level(actor=request.user, **data),
        lambda level: saved(
            request,
            f"The level {level.name} ({level.code}) is added.",
            reverse("rounds:level-list"),
        ),
    )


@route("levels/<uuid:public_id>/edit/", name="level-edit")
@page("changes an observation level by making its next version; change_level audits it", GET_POST)
def level_edit(request: HttpRequest, public_id: UUID) -> HttpResponse:
    level = get_for(ObservationLevel, request.user, public_id, "rounds.manage_levels")
    if not level.is_current:
        newest = ObservationLevel.objects.get(code=level.code, is_current=True)
        messages.info(
            request,
            f"Version {level.version} of {level.name} has been replaced; "
            f"you are changing version {newest.version}.",
        )
        return redirect("rounds:level-edit", public_id=newest.public_id)
    form = LevelForm(posted(request), initial={name: getattr(level, name) for name in LEVEL_FIELDS})
    return form_write(
        request,
        form,
        "rounds/level_form.html",
        {
            "form": form,
            "level": level,
            # The level is shared; the orders it governs are each organization's.
            "orders_count": in_organization(level.orders.all(), request.user).count(),
        },
        lambda data: services.change_level(level, actor=request.user, **data),
        lambda new: saved(
            request,
            f"{new.name} is now version {new.version}. Orders made under version "
            f"{level.version} keep its rules.",
            reverse("rounds:level-list"),
        ),
    )


urlpatterns = route.patterns
