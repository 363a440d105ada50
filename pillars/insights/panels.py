"""The home panel for directors and unit leads: this month's headline figures per unit (from
the summary tables), each unit linking to its dashboard, and the director's link to theirs."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse

from pillars.core import clock, policy, replica
from pillars.core.home import Panel, register_panel
from pillars.core.policy import Actor
from pillars.core.roles import RoleCode as R
from pillars.insights import dashboards, measures
from pillars.insights.measures import BY_CODE

CODES = ("checks-on-time", "checks-missed", "incidents", "hbips-2")


def this_month(request: HttpRequest, actor: Actor) -> dict[str, Any]:
    """The actor's units (the director: every active unit) with this month's figures so far."""
    units = dashboards.lead_units(actor)
    today = clock.today_in(settings.PILLARS_DEFAULT_TIME_ZONE)
    chosen = [BY_CODE[c] for c in CODES]
    with replica.reads(actor.user) as source:
        per_unit = measures.by_unit([u.pk for u in units], today.replace(day=1), today)
    dashboards.audit_read(actor.user, what="home", scope="units", unit_ids=[u.pk for u in units])
    return {
        "measures": chosen,
        "month": dashboards.month_label(today.year, today.month),
        "rows": [
            {
                "unit": u,
                "url": reverse("insights:unit", args=[u.public_id]),
                "figures": [m.format(per_unit.get(u.pk, {})) for m in chosen],
            }
            for u in units
        ],
        "director": policy.can(actor, "insights.view_organization"),
        "source": replica.now_lag_text(source),
    }


def register() -> None:
    register_panel(
        Panel(
            "insights-this-month",
            "This month's measures",
            "insights/panels/this_month.html",
            frozenset({R.DIRECTOR, R.NURSE, R.CLINICIAN, R.SUPERVISOR}),
            this_month,
            order=40,
        )
    )
