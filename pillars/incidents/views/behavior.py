"""Pages of the behavior area: a person's plan and its history, the plan editor, ending a plan,
phase changes,
contracts and their signatures, the fast ABC form reached from the unit board, the chart per
target behavior, and corrections to ABC records.

Views stay thin: a form parses, a selector fetches (scoped, audited), one service writes.
Times are typed and shown in the unit's own zone.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any
from uuid import UUID

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, reverse

from pillars.core import clock, policy
from pillars.core.errors import invalid
from pillars.core.formtools import LOCAL_INPUT, form_write, posted, saved, saved_to
from pillars.core.page_corrections import Corrections
from pillars.core.pages import GET, GET_POST, page
from pillars.core.routes import Routes
from pillars.incidents.forms.behavior import (
    AddendumForm,
    ContractForm,
    EndPlanForm,
    PhaseForm,
    PlanForm,
    RecordForm,
    SignForm,
)
from pillars.incidents.selectors import behavior as selectors
from pillars.incidents.services import behavior as services
from pillars.people import selectors as people_selectors
from pillars.people.models import PersonServed
from pillars.people.selectors import person_zone

route = Routes()

CHART_RANGES = {"14": 14, "30": 30, "90": 90, "180": 180}

RECORD_CORRECTIONS = Corrections(
    AddendumForm, services.add_record_addendum, "incidents/behavior/record_addendum.html", "record"
)


def _plan_url(person: PersonServed) -> str:
    return reverse("incidents:behavior-plan", args=[person.public_id])


def _writable(request: HttpRequest, person: PersonServed, action: str) -> bool:
    return not people_selectors.is_emergency_read(request.user, person) and policy.can(
        request.user, action, person
    )


@route("behavior/persons/<uuid:public_id>/", name="behavior-plan")
@page("a person's behavior plan, its versions, phases and contracts (get_person_for audits)", GET)
def plan_detail(request: HttpRequest, public_id: UUID) -> HttpResponse:
    person = people_selectors.get_person_for(
        request.user, public_id, "incidents.view_behavior", what="behavior plan"
    )
    versions = selectors.plan_history(person, request.user)
    contracts = selectors.contracts_of(person, request.user)
    zone = person_zone(person)
    today = clock.today_in(zone)
    context = {
        "person": person,
        "plan": versions[0] if versions and versions[0].is_current else None,
        "ended": versions[0] if versions and versions[0].is_ended else None,
        "versions": versions,
        "phases": selectors.phases_of(person, request.user),
        "contracts": contracts,
        "review_due_ids": {c.pk for c in contracts if c.review_due_on(today)},
        "zone_name": str(zone),
        "can_write": _writable(request, person, "incidents.write_behavior_plan"),
        "can_record": _writable(request, person, "incidents.record_behavior"),
    }
    return render(request, "incidents/behavior/plan_detail.html", context)


@route("behavior/persons/<uuid:public_id>/edit/", name="behavior-plan-edit")
@page("writes or changes a behavior plan; get_person_for and write_plan audit", GET_POST)
def plan_edit(request: HttpRequest, public_id: UUID) -> HttpResponse:
    person = people_selectors.get_person_for(
        request.user, public_id, "incidents.write_behavior_plan", what="behavior plan editor"
    )
    current = selectors.current_plan(person, request.user)
    zone = person_zone(person)
    initial = PlanForm.initial_from(current) if current else {}
    initial["effective_on"] = clock.today_in(zone)
    form = PlanForm(posted(request), initial=initial)
    context = {
        "person": person,
        "current": current,
        "ended": None if current else selectors.ended_plan(person, request.user),
        "form": form,
        "slots": _slots(form),
    }

    def write(data: dict[str, Any]) -> Any:
        antecedents, consequences = form.lists()
        return services.write_plan(
            person,
            actor=request.user,
            effective_on=data["effective_on"],
            targets=form.targets(),
            antecedents=antecedents,
            consequences=consequences,
            summary=data["summary"],
            replacement_behaviors=data["replacement_behaviors"],
            antecedent_strategies=data["antecedent_strategies"],
            reinforcement_schedule=data["reinforcement_schedule"],
            reinforcement_interval_minutes=data["reinforcement_interval_minutes"],
            change_reason=data["change_reason"],
        )

    return form_write(
        request,
        form,
        "incidents/behavior/plan_form.html",
        context,
        write,
        lambda _: saved(
            request, f"{person.display_name}'s behavior plan is saved.", _plan_url(person)
        ),
        field_map={"targets": "target_1_name"},
    )


@route("behavior/persons/<uuid:public_id>/end/", name="behavior-plan-end")
@page("ends a behavior plan; get_person_for and end_plan audit", GET_POST)
def plan_end(request: HttpRequest, public_id: UUID) -> HttpResponse:
    person = people_selectors.get_person_for(
        request.user, public_id, "incidents.write_behavior_plan", what="end behavior plan"
    )
    plan = selectors.current_plan(person, request.user)
    if plan is None:
        return render(
            request,
            "incidents/behavior/plan_end.html",
            {"person": person, "plan": None, "ended": selectors.ended_plan(person, request.user)},
        )
    zone = person_zone(person)
    form = EndPlanForm(
        posted(request), initial={"version": plan.version, "ended_on": clock.today_in(zone)}
    )
    context = {
        "person": person,
        "plan": plan,
        "form": form,
        "open_contracts": [
            c
            for c in selectors.contracts_of(person, request.user)
            if c.status in selectors.OPEN_CONTRACTS
        ],
    }
    return form_write(
        request,
        form,
        "incidents/behavior/plan_end.html",
        context,
        lambda data: services.end_plan(
            person,
            actor=request.user,
            ended_on=data["ended_on"],
            reason=data["reason"],
            version=data["version"],
        ),
        lambda ended: saved(
            request,
            f"{person.display_name}'s behavior plan ended on {ended.ended_on:%Y-%m-%d}.",
            _plan_url(person),
        ),
    )


def _slots(form: PlanForm) -> list[list[Any]]:
    from pillars.incidents.forms.behavior import TARGET_SLOTS

    return [
        [form[f"target_{n}_name"], form[f"target_{n}_definition"], form[f"target_{n}_measure"]]
        for n in range(1, TARGET_SLOTS + 1)
    ]


@route("behavior/persons/<uuid:public_id>/phase/", name="behavior-phase-new")
@page("starts a phase of a behavior plan; get_person_for and change_phase audit", GET_POST)
def phase_new(request: HttpRequest, public_id: UUID) -> HttpResponse:
    person = people_selectors.get_person_for(
        request.user, public_id, "incidents.write_behavior_plan", what="behavior phase"
    )
    zone = person_zone(person)
    form = PhaseForm(posted(request), initial={"started_on": clock.today_in(zone)})
    context = {"person": person, "form": form, "phases": selectors.phases_of(person, request.user)}
    return form_write(
        request,
        form,
        "incidents/behavior/phase_form.html",
        context,
        lambda data: services.change_phase(person, actor=request.user, **data),
        lambda _: saved(
            request,
            f"Phase {form.cleaned_data['name']} starts on {form.cleaned_data['started_on']}.",
            _plan_url(person),
        ),
    )


@route("behavior/persons/<uuid:public_id>/contract/", name="behavior-contract-new")
@page("writes a behavior contract; get_person_for and write_contract audit", GET_POST)
def contract_new(request: HttpRequest, public_id: UUID) -> HttpResponse:
    person = people_selectors.get_person_for(
        request.user, public_id, "incidents.write_behavior_plan", what="behavior contract"
    )
    zone = person_zone(person)
    form = ContractForm(
        posted(request), initial={"review_on": clock.today_in(zone) + timedelta(days=30)}
    )
    context = {"person": person, "form": form}
    return form_write(
        request,
        form,
        "incidents/behavior/contract_form.html",
        context,
        lambda data: services.write_contract(person, actor=request.user, **data),
        saved_to(
            request,
            "The contract is written. It is in force once both sign.",
            "incidents:behavior-contract-sign",
        ),
    )


@route("behavior/contracts/<uuid:public_id>/sign/", name="behavior-contract-sign")
@page("signs a behavior contract; get_contract_for and sign_contract audit", GET_POST)
def contract_sign(request: HttpRequest, public_id: UUID) -> HttpResponse:
    contract = selectors.get_contract_for(request.user, public_id, "incidents.write_behavior_plan")
    form = SignForm(posted(request))
    context = {
        "person": contract.person,
        "contract": contract,
        "form": form,
        "zone_name": str(person_zone(contract.person)),
    }

    def done(signed: Any) -> HttpResponse:
        if signed.is_signed:
            return saved(
                request,
                "The contract is signed by both and is now in force.",
                _plan_url(contract.person),
            )
        return saved(
            request,
            "The signature is recorded. The other signature is awaited.",
            reverse("incidents:behavior-contract-sign", args=[contract.public_id]),
        )

    return form_write(
        request,
        form,
        "incidents/behavior/contract_sign.html",
        context,
        lambda data: services.sign_contract(contract, actor=request.user, **data),
        done,
    )


@route("behavior/persons/<uuid:public_id>/record/", name="behavior-record-new")
@page("records behavior (ABC); get_person_for audits the read, record_behavior the write", GET_POST)
def record_new(request: HttpRequest, public_id: UUID) -> HttpResponse:
    person = people_selectors.get_person_for(
        request.user, public_id, "incidents.record_behavior", what="behavior record form"
    )
    plan = selectors.current_plan(person, request.user)
    zone = person_zone(person)
    if plan is None:
        # Nothing is recorded without a plan in force (none yet, or it ended): a form posted
        # after the plan ended lands here too, and nothing is stored.
        ended = selectors.ended_plan(person, request.user)
        refusal = services.ended_message(ended.ended_on) if ended else ""
        return render(
            request,
            "incidents/behavior/no_plan.html",
            {"person": person, "ended": ended, "refusal": refusal},
        )
    targets = list(plan.targets.all())
    initial: dict[str, Any] = {
        # Made when the form is shown, so a double submit is one record (a replay).
        "client_id": uuid.uuid4(),
        "observed_at": clock.local(clock.now(), zone).strftime(LOCAL_INPUT),
        "count": 1,
    }
    if len(targets) == 1:
        initial["target"] = str(targets[0].public_id)
    form = RecordForm(posted(request), initial=initial, plan=plan, targets=targets)
    context = {
        "person": person,
        "plan": plan,
        "targets": targets,
        "form": form,
        "zone_name": str(zone),
    }

    def write(data: dict[str, Any]) -> tuple[Any, Any]:
        try:
            target = selectors.get_target_for(person, data["target"])
        except Http404:
            # The plan changed after this form was shown: its targets are no longer current.
            raise invalid("target", "The plan has changed since this form was opened.") from None
        record = services.record_behavior(
            person,
            actor=request.user,
            target=target,
            observed_at=data["observed_at"],
            antecedent=form.picked("antecedent"),
            consequence=form.picked("consequence"),
            client_id=data["client_id"],
            behavior=data["behavior"],
            count=data["count"],
            duration_seconds=data["duration_seconds"],
            intensity=data["intensity"],
            setting=data["setting"],
            late_reason=data["late_reason"],
        )
        return record, target

    return form_write(
        request,
        form,
        "incidents/behavior/record_form.html",
        context,
        write,
        lambda done: saved(
            request,
            f"Recorded: {done[1].name} x{done[0].count} for {person.display_name}.",
            reverse("incidents:behavior-chart", args=[person.public_id]) + f"?target={done[1].key}",
        ),
        field_map={"antecedent": "antecedent_other", "consequence": "consequence_other"},
        zone=zone,
    )


@route("behavior/persons/<uuid:public_id>/chart/", name="behavior-chart")
@page("a person's behavior chart (get_person_for audits the read)", GET)
def chart(request: HttpRequest, public_id: UUID) -> HttpResponse:
    person = people_selectors.get_person_for(
        request.user, public_id, "incidents.view_behavior", what="behavior chart"
    )
    zone = str(person_zone(person))
    targets = selectors.targets_by_key(person, request.user)
    key = request.GET.get("target", "")
    if key not in targets:
        key = next(iter(targets), "")
    by = request.GET.get("by", selectors.DAYS)
    by = by if by in (selectors.DAYS, selectors.SHIFTS) else selectors.DAYS
    span = request.GET.get("days", "30")
    span = span if span in CHART_RANGES else "30"
    last = clock.today_in(zone)
    first = last - timedelta(days=CHART_RANGES[span] - 1)
    data = None
    recent: list[Any] = []
    if key:
        data = selectors.chart_for(
            person, key, zone=zone, first=first, last=last, by=by, user=request.user
        )
        recent = list(
            selectors.records_of(request.user, person, key=key).order_by("-observed_at")[:20]
        )
    context = {
        "person": person,
        "targets": list(targets.values()),
        "target": targets.get(key),
        "key": key,
        "by": by,
        "span": span,
        "ranges": list(CHART_RANGES),
        "chart": data,
        "geometry": selectors.svg_geometry(data) if data else None,
        "recent": recent,
        "zone_name": zone,
        "can_record": _writable(request, person, "incidents.record_behavior"),
    }
    return render(request, "incidents/behavior/chart.html", context)


@route("behavior/records/<uuid:public_id>/addendum/", name="behavior-record-addendum")
@page(
    "corrects an ABC record; get_record_for audits the read, add_record_addendum the write",
    GET_POST,
)
def record_addendum(request: HttpRequest, public_id: UUID) -> HttpResponse:
    record = selectors.get_record_for(request.user, public_id, "incidents.record_behavior")
    if people_selectors.is_emergency_read(request.user, record.person):
        raise Http404("Not found")
    # The record's chart, showing its behavior: where Cancel and the saved correction go.
    back = (
        reverse("incidents:behavior-chart", args=[record.person.public_id])
        + f"?target={record.target.key}"
    )
    context = {
        "person": record.person,
        "record": record,
        "zone_name": str(person_zone(record.person)),
    }
    return RECORD_CORRECTIONS.page(request, record, back, context)


@route("behavior/contract-reviews/", name="behavior-reviews-due")
@page("behavior contract reviews due on the units the user sees (one audited list read)", GET)
def reviews_due(request: HttpRequest) -> HttpResponse:
    policy.require(request.user, "incidents.view_behavior")
    units = selectors.review_units(request.user)
    chosen = None
    if request.GET.get("unit"):
        chosen = people_selectors.get_unit_for(
            request.user, request.GET["unit"], "incidents.view_behavior"
        )
    rows = selectors.contract_reviews_due(request.user, [chosen] if chosen else units)
    people_selectors.record_list_read(
        request.user, [r.contract.person for r in rows], what="behavior contract reviews due"
    )
    return render(
        request,
        "incidents/behavior/reviews_due.html",
        {"units": units, "unit": chosen, "rows": rows},
    )


urlpatterns: list[URLPattern] = route.patterns
