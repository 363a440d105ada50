"""Environment-of-care pages: inspections per unit, a new inspection (choose the template and
the room or area, then one big pass / fail / not applicable choice per item with a note and
photos), an inspection's results and photos, work orders with their status, and the
administrator's templates.

Photos are never served from a public media URL: ``inspection_photo`` checks the policy, audits
the read and sends the bytes with their verified content type.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import FileResponse, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse

from pillars.audit import log as audit
from pillars.audit.choices import Action, Category, Purpose
from pillars.core import clock, policy
from pillars.core.formtools import form_write, saved
from pillars.core.pages import GET, GET_POST, POST, page
from pillars.core.routes import Routes
from pillars.people.models import Unit
from pillars.rounds.choices import (
    ItemCategory,
    ItemResult,
    WorkOrderStatus,
)
from pillars.rounds.forms.inspections import (
    ChooseForm,
    InspectionForm,
    StatusForm,
    TemplateForm,
)
from pillars.rounds.models import InspectionTemplate, WorkOrder
from pillars.rounds.selectors import inspections as selectors
from pillars.rounds.services import inspections as services

route = Routes()


def parse_items(text: str) -> list[services.ItemSpec]:
    specs = []
    for line in text.splitlines():
        if not line.strip():
            continue
        category, sep, rest = line.partition("|")
        if not sep:
            category, rest = ItemCategory.OTHER, line
        specs.append(services.ItemSpec(rest.strip(), category.strip().lower()))
    return specs


# --- Helpers ----------------------------------------------------------------------------------


def _chosen_unit(request: HttpRequest, action: str) -> tuple[list[Unit], Unit | None]:
    """The units the user may take ``action`` on (refused when their role may not at all) and
    the one the request names (the first when it names none of them)."""
    policy.require(request.user, action)
    units = selectors.units_for(request.user, action)
    wanted = request.POST.get("unit") or request.GET.get("unit")
    for unit in units:
        if wanted and str(unit.public_id) == wanted:
            return units, unit
    return units, units[0] if units else None


def _pick(rows: Any, public_id: str) -> Any:
    return (
        next((row for row in rows if str(row.public_id) == public_id), None) if public_id else None
    )


# --- Inspections ------------------------------------------------------------------------------


@route("inspections/", name="inspection-list")
@page("a unit's inspections: rooms and areas, no person-served data", GET)
def inspection_list(request: HttpRequest) -> HttpResponse:
    units, unit = _chosen_unit(request, "rounds.view_inspections")
    page = None
    open_orders = 0
    if unit is not None:
        qs = selectors.inspections_on(request.user, unit).annotate(
            failed=Count("results", filter=Q(results__result=ItemResult.FAIL))
        )
        page = Paginator(qs, 25).get_page(request.GET.get("page"))
        open_orders = (
            selectors.work_orders_on(request.user, unit)
            .filter(status__in=[WorkOrderStatus.OPEN, WorkOrderStatus.IN_PROGRESS])
            .count()
        )
    return render(
        request,
        "rounds/inspection_list.html",
        {
            "units": units,
            "unit": unit,
            "page": page,
            "open_orders": open_orders,
            "zone_name": unit.time_zone if unit else "UTC",
            "can_inspect": unit is not None and policy.can(request.user, "rounds.inspect", unit),
            "can_templates": policy.can(request.user, "rounds.manage_inspection_templates"),
        },
    )


@route("inspections/new/", name="inspection-new")
@page("records an inspection, its photos and the work orders it opens (services audit)", GET_POST)
def inspection_new(request: HttpRequest) -> HttpResponse:
    units, unit = _chosen_unit(request, "rounds.inspect")
    if unit is None:
        raise PermissionDenied("You do not have permission to do that.")
    policy.require(request.user, "rounds.inspect", unit)
    templates = list(selectors.current_templates())
    rooms = list(selectors.rooms_of(unit))
    source = request.POST if request.method == "POST" else request.GET
    choose = ChooseForm(
        source if source.get("template") else None, templates=templates, rooms=rooms
    )
    context: dict[str, Any] = {"units": units, "unit": unit, "choose": choose}
    template = _pick(templates, source.get("template", ""))
    room = _pick(rooms, source.get("room", ""))
    area = source.get("area", "").strip()[:120]
    if template is None or not choose.is_valid():
        return render(request, "rounds/inspection_choose.html", context)
    if template.needs_room and room is None:
        choose.add_error("room", "Choose the bedroom you are inspecting.")
        return render(request, "rounds/inspection_choose.html", context)
    if room is None and not area:
        choose.add_error("area", "Choose a room or say which area you are inspecting.")
        return render(request, "rounds/inspection_choose.html", context)
    items = list(template.items.order_by("position"))
    owners = list(selectors.owners_for(unit))
    form = InspectionForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
        items=items,
        owners=owners,
        initial={"started_at": clock.now()},
    )
    context.update(
        {
            "form": form,
            "template": template,
            "room": room,
            "area": area if room is None else "",
            "zone_name": unit.time_zone,
        }
    )

    def record(data: dict[str, Any]) -> Any:
        answers = {
            str(item.public_id): services.Answer(
                result=data.get(f"result_{item.position}") or "",
                note=data.get(f"note_{item.position}") or "",
                photos=request.FILES.getlist(f"photo_{item.position}"),
            )
            for item in items
        }
        return services.record_inspection(
            actor=request.user,
            unit=unit,
            template=template,
            answers=answers,
            room=room,
            area=area,
            started_at=data.get("started_at"),
            owner=_pick(owners, data.get("owner") or ""),
        )

    def recorded(inspection: Any) -> HttpResponse:
        opened = WorkOrder.objects.filter(result__inspection=inspection).count()
        note = f" {opened} work order{'s' if opened != 1 else ''} opened." if opened else ""
        return saved(
            request,
            f"Inspection of {inspection.place} recorded.{note}",
            reverse("rounds:inspection-detail", args=[inspection.public_id]),
        )

    return form_write(request, form, "rounds/inspection_form.html", context, record, recorded)


@route("inspections/<uuid:public_id>/", name="inspection-detail")
@page("one inspection, its results and links to its photos (rooms, no person-served data)", GET)
def inspection_detail(request: HttpRequest, public_id: UUID) -> HttpResponse:
    inspection = selectors.get_inspection_for(request.user, public_id)
    results = list(
        inspection.results.select_related("item", "work_order").prefetch_related("photos")
    )
    return render(
        request,
        "rounds/inspection_detail.html",
        {
            "inspection": inspection,
            "results": results,
            "zone_name": inspection.unit.time_zone,
            "failed": sum(1 for r in results if r.result == ItemResult.FAIL),
        },
    )


@route("inspection-photos/<uuid:public_id>/", name="inspection-photo")
@page("serves one inspection photo after the policy check; each read is audited", GET)
def inspection_photo(request: HttpRequest, public_id: UUID) -> HttpResponseBase:
    photo = selectors.get_photo_for(request.user, public_id)
    audit.record(
        request.user,
        Action.VIEW,
        photo,
        category=Category.GENERAL,
        purpose=Purpose.OPERATIONS,
        detail={"inspection": str(photo.result.inspection.public_id)},
    )
    response = FileResponse(photo.image.open("rb"), content_type=photo.content_type)
    response["Content-Disposition"] = "inline"
    response["Cache-Control"] = "private, no-store"
    return response


# --- Work orders ------------------------------------------------------------------------------


@route("work-orders/", name="workorder-list")
@page("a unit's work orders: rooms and areas, no person-served data", GET)
def workorder_list(request: HttpRequest) -> HttpResponse:
    units, unit = _chosen_unit(request, "rounds.view_inspections")
    status = request.GET.get("status", "")
    if status not in WorkOrderStatus.values:
        status = ""
    page = None
    if unit is not None:
        qs = selectors.work_orders_on(request.user, unit, status)
        page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "rounds/workorder_list.html",
        {
            "units": units,
            "unit": unit,
            "page": page,
            "status": status,
            "statuses": WorkOrderStatus.choices,
            "zone_name": unit.time_zone if unit else "UTC",
        },
    )


def _workorder_context(request: HttpRequest, wo: WorkOrder, form: StatusForm | None) -> Any:
    can_manage = policy.can(request.user, "rounds.manage_work_orders", wo)
    owners = list(selectors.owners_for(wo.unit))
    if form is None and can_manage:
        form = StatusForm(owners=owners, initial={"status": wo.status})
    return {
        "wo": wo,
        "updates": list(wo.updates.select_related("written_by")),
        "form": form if can_manage else None,
        "zone_name": wo.unit.time_zone,
        "at_risk": selectors.persons_at_risk(request.user, wo, clock.now()),
    }


@route("work-orders/<uuid:public_id>/", name="workorder-detail")
@page("one work order and its history; persons at ligature risk are an audited list read", GET)
def workorder_detail(request: HttpRequest, public_id: UUID) -> HttpResponse:
    wo = selectors.get_work_order_for(request.user, public_id)
    return render(request, "rounds/workorder_detail.html", _workorder_context(request, wo, None))


@route("work-orders/<uuid:public_id>/status/", name="workorder-update")
@page("changes a work order's status with a note (update_work_order audits it)", POST)
def workorder_update(request: HttpRequest, public_id: UUID) -> HttpResponse:
    wo = selectors.get_work_order_for(request.user, public_id, "rounds.manage_work_orders")
    owners = list(selectors.owners_for(wo.unit))
    form = StatusForm(request.POST, owners=owners)
    return form_write(
        request,
        form,
        "rounds/workorder_detail.html",
        lambda: _workorder_context(request, wo, form),
        lambda data: services.update_work_order(
            wo,
            actor=request.user,
            status=data["status"],
            note=data["note"],
            owner=_pick(owners, data.get("owner") or ""),
        ),
        lambda _: saved(
            request,
            f"Work order is now {wo.get_status_display().lower()}.",
            reverse("rounds:workorder-detail", args=[wo.public_id]),
        ),
    )


# --- Templates (administrator) ----------------------------------------------------------------

# A template's own fields, edited on its form as they are (its items are edited as lines).
TEMPLATE_FIELDS = ("name", "area_kind", "description", "is_active")


@route("inspection-templates/", name="inspection-templates")
@page("inspection templates: reference data, no person-served data", GET)
def inspection_templates(request: HttpRequest) -> HttpResponse:
    templates = list(selectors.templates_for(request.user))
    return render(request, "rounds/inspection_templates.html", {"templates": templates})


@route("inspection-templates/<uuid:public_id>/edit/", name="inspection-template-edit")
@page(
    "changes an inspection template by making its next version (change_template audits)", GET_POST
)
def inspection_template_edit(request: HttpRequest, public_id: UUID) -> HttpResponse:
    template = selectors.get_template_for(request.user, public_id)
    if not template.is_current:
        current = InspectionTemplate.objects.get(code=template.code, is_current=True)
        return redirect("rounds:inspection-template-edit", public_id=current.public_id)
    lines = "\n".join(f"{i.category} | {i.text}" for i in template.items.order_by("position"))
    form = TemplateForm(
        request.POST if request.method == "POST" else None,
        initial={**{name: getattr(template, name) for name in TEMPLATE_FIELDS}, "items": lines},
    )
    return form_write(
        request,
        form,
        "rounds/inspection_template_edit.html",
        {"template": template, "form": form},
        lambda data: services.change_template(
            template,
            actor=request.user,
            items=parse_items(data["items"]),
            **{name: data[name] for name in TEMPLATE_FIELDS},
        ),
        lambda new: saved(
            request,
            f"{new.name} is now version {new.version}.",
            reverse("rounds:inspection-templates"),
        ),
    )


urlpatterns = route.patterns
