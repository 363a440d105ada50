"""Workforce pages for the floor gate: the floor rules, in plain words."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern
from django.views.decorators.http import require_GET

from pillars.core import policy
from pillars.core.declare import audit_exempt
from pillars.core.routes import Routes
from pillars.workforce.selectors import gating as selectors

route = Routes()


@route("floor-rules/", name="floor-rules")
@audit_exempt("lists the floor rules (reference data about no one)")
@login_required
@require_GET
def floor_rules(request: HttpRequest) -> HttpResponse:
    policy.require(request.user, "workforce.view_floor_rules")
    return render(request, "workforce/gating/rules.html", {"rules": list(selectors.floor_rules())})


urlpatterns: list[URLPattern] = route.patterns
