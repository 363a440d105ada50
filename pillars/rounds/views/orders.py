"""Pages for a person's observation level: order or change it, end it, its history, and
corrections (addenda) to checks.

Views stay thin: a form parses, a selector fetches (scoped, audited), one service writes.
Times are typed and shown in the unit's own zone.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from pillars.core import clock, policy
from pillars.core.formtools import LOCAL_INPUT, form_write, posted, saved
from pillars.core.page_corrections import Corrections
from pillars.core.pages import GET, GET_POST, POST, page
from pillars.core.routes import Routes
from pillars.people import selectors as people_selectors
from pillars.people.selectors import person_zone
from pillars.rounds import selectors, services
from pillars.rounds.choices import Precaution
from pillars.rounds.forms.orders import AddendumForm, EndOrderForm, OrderForm
from pillars.rounds.models import ObservationOrder
from pillars.rounds.sections import PRECAUTION_ICONS, precaution_rows
from pillars.rounds.selectors.levels import current_levels

route = Routes()

# How many of each order's latest checks the history lists (each with its corrections).
HISTORY_CHECKS = 20
# Orders per page of the level history.
HISTORY_ORDERS = 10

CHECK_CORRECTIONS = Corrections(
    AddendumForm, services.add_addendum, "rounds/check_addendum.html", "check"
)


def _precaution_options(form: OrderForm) -> list[dict[str, Any]]:
    chosen = set(form["precautions"].value() or [])
    return [
        {
            "code": code,
            "label": label,
            "icon": PRECAUTION_ICONS.get(code, "•"),
            "on": code in chosen,
        }
        for code, label in Precaution.choices
    ]


@route("persons/<uuid:public_id>/observation/", name="order-new")
@page(
    "orders or changes a person's observation level; the read and order_observation audit", GET_POST
)
def order_new(request: HttpRequest, public_id: UUID) -> HttpResponse:
    person = people_selectors.get_person_for(
        request.user, public_id, "rounds.order", what="observation order"
    )
    zone = person_zone(person)
    current = selectors.current_order(person, request.user)
    levels = current_levels()
    initial: dict[str, Any] = {"started_at": clock.local(clock.now(), zone).strftime(LOCAL_INPUT)}
    if current is not None:
        # A change starts from what is ordered now; the reason is always new.
        same = levels.filter(code=current.level.code).first()
        initial.update(
            level=same.public_id if same else None,
            precautions=list(current.precautions),
            instructions=current.instructions,
        )
    form = OrderForm(posted(request), initial=initial, levels=levels, zone_name=str(zone))
    context = {
        "person": person,
        "current": current,
        "current_precautions": precaution_rows(list(current.precautions)) if current else [],
        "form": form,
        "end_form": EndOrderForm(),
        "zone_name": str(zone),
        "precaution_options": _precaution_options(form),
    }
    verb = "changed to" if current is not None else "set to"
    return form_write(
        request,
        form,
        "rounds/order_form.html",
        context,
        lambda data: services.order_observation(person, actor=request.user, **data),
        lambda order: saved(
            request,
            f"{person.display_name}'s observation level is {verb} {order.level.name}.",
            reverse("people:person-detail", args=[person.public_id]) + "#observation",
        ),
        zone=zone,
    )


@route("orders/<uuid:public_id>/end/", name="order-end")
@page("ends an observation order; end_observation audits it", POST)
def order_end(request: HttpRequest, public_id: UUID) -> HttpResponse:
    order = selectors.get_order_for(request.user, public_id, "rounds.order")
    form = EndOrderForm(request.POST)
    return form_write(
        request,
        form,
        "rounds/order_end.html",
        {"order": order, "person": order.person, "form": form},
        lambda data: services.end_observation(order, actor=request.user, **data),
        lambda _: saved(
            request,
            f"Observation of {order.person.display_name} has ended.",
            reverse("rounds:order-history", args=[order.person.public_id]),
        ),
    )


@route("persons/<uuid:public_id>/observation/history/", name="order-history")
@page("shows a person's observation level history; get_person_for audits the read", GET)
def order_history(request: HttpRequest, public_id: UUID) -> HttpResponse:
    person = people_selectors.get_person_for(
        request.user, public_id, "rounds.view", what="observation history"
    )
    zone = person_zone(person)
    # A page of orders at a time, each with its latest checks: the page's cost is bounded
    # however long the person's history and however many checks it holds.
    page = Paginator(selectors.order_history_qs(person, request.user), HISTORY_ORDERS).get_page(
        request.GET.get("page")
    )
    orders = list(page.object_list)
    checks = selectors.recent_checks(orders, HISTORY_CHECKS, request.user)
    emergency = people_selectors.is_emergency_read(request.user, person)
    grant = people_selectors.active_grant_for(request.user, person) if emergency else None
    rows = [
        {
            "order": o,
            "precautions": precaution_rows(list(o.precautions)),
            "checks": checks.get(o.pk, []),
            "more": max(o.checks_count - HISTORY_CHECKS, 0),  # type: ignore[attr-defined]
        }
        for o in orders
    ]
    context = {
        "person": person,
        "rows": rows,
        "page": page,
        "zone_name": str(zone),
        "grant": grant,
        "grant_until": clock.local(grant.expires_at, zone) if grant else None,
        "can_order": not emergency and policy.can(request.user, "rounds.order", person),
        "can_correct": not emergency and policy.can(request.user, "rounds.record_check", person),
    }
    return render(request, "rounds/order_history.html", context)


@route("checks/<uuid:public_id>/addendum/", name="check-addendum")
@page(
    "adds a correction to a check; get_check_for audits the read, add_addendum the write", GET_POST
)
def check_addendum(request: HttpRequest, public_id: UUID) -> HttpResponse:
    check = selectors.get_check_for(
        request.user, public_id, "rounds.record_check", what="check correction"
    )
    order: ObservationOrder = check.order
    # The check in the person's observation history: where Cancel and the saved correction go.
    back = (
        reverse("rounds:order-history", args=[order.person.public_id]) + f"#check-{check.public_id}"
    )
    zone_name = str(person_zone(order.person))
    context = {"check": check, "order": order, "person": order.person, "zone_name": zone_name}
    return CHECK_CORRECTIONS.page(request, check, back, context)


urlpatterns = route.patterns
