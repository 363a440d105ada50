"""Caseload pages: the balance (caseloads against limits, for supervisors and the director),
bulk reassignment with a handover note, and one's own caseload with the notes left for one."""

from __future__ import annotations

from uuid import UUID

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, reverse

from pillars.core import clock, policy
from pillars.core.formtools import form_write, posted, saved
from pillars.core.pages import GET, GET_POST, page
from pillars.core.routes import Routes
from pillars.people.models import Staff
from pillars.people.selectors import record_list_read
from pillars.workforce.forms.caseloads import ReassignForm
from pillars.workforce.selectors import caseloads as selectors
from pillars.workforce.selectors.supervision import get_staff_for
from pillars.workforce.services import caseloads as services

route = Routes()


@route("caseloads/", name="caseload-balance")
@page("caseloads against limits for the staff one balances (one audited read)", GET)
def balance(request: HttpRequest) -> HttpResponse:
    rows = selectors.balance_for(request.user, what="caseload balance")
    return render(
        request,
        "workforce/caseloads/balance.html",
        {"rows": rows, "over": sum(1 for r in rows if r.status == "over")},
    )


@route("caseloads/staff/<uuid:public_id>/reassign/", name="caseload-reassign")
@page("moves a caseload in bulk (audited by get_staff_for and reassign_caseload)", GET_POST)
def reassign(request: HttpRequest, public_id: UUID) -> HttpResponse:
    staff = get_staff_for(
        request.user, public_id, "workforce.reassign_caseload", what="caseload reassignment"
    )
    today = clock.organization_today()
    # Only what the user may read: an assignment another program made stays with its team
    # (42 CFR Part 2), to be moved by them.
    assignments = list(selectors.open_assignments(staff, today, user=request.user))
    record_list_read(
        request.user,
        list({a.person.pk: a.person for a in assignments}.values()),
        what="caseload reassignment",
    )
    receivers = [s for s in selectors.balance_staff(request.user, today) if s.pk != staff.pk]
    by_id = {str(r.public_id): r for r in receivers}
    form = ReassignForm(posted(request), assignments=assignments, receivers=receivers)
    rows = selectors.caseload_rows(receivers, today, user=request.user)

    def write(data: dict[str, str]) -> object:
        moves = [(a, by_id[data[name]]) for a, name in form.assignment_fields if data.get(name)]
        return services.reassign_caseload(
            staff, actor=request.user, moves=moves, reason=data["reason"], note=data["note"]
        )

    return form_write(
        request,
        form,
        "workforce/caseloads/reassign.html",
        {"form": form, "staff": staff, "rows": rows},
        write,
        lambda h: saved(
            request,
            "The caseload moved; the receivers see your note.",
            reverse("workforce:caseload-balance"),
        ),
    )


@route("caseloads/mine/", name="my-caseload")
@page("one's own caseload and the handover notes left for one (one audited read)", GET)
def mine(request: HttpRequest) -> HttpResponse:
    policy.require(request.user, "workforce.view_own_caseload")
    actor = policy.actor_for(request.user)
    me = Staff.objects.filter(pk=actor.staff_pk).prefetch_related("roles", "programs").first()
    today = clock.organization_today()
    rows = selectors.caseload_rows([me], today, user=request.user) if me else []
    assignments = list(selectors.open_assignments(me, today, user=request.user)) if me else []
    handovers = list(selectors.handovers_for(request.user).filter(receivers=me)[:20])
    record_list_read(
        request.user,
        list({a.person.pk: a.person for a in assignments}.values()),
        what="own caseload",
    )
    return render(
        request,
        "workforce/caseloads/mine.html",
        {
            "rows": rows,
            "assignments": assignments,
            "handovers": [
                (h, [a for a in h.assignments.all() if a.staff_id == actor.staff_id])
                for h in handovers
            ],
        },
    )


urlpatterns: list[URLPattern] = route.patterns
