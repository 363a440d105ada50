"""Permission matrix for the environment of care: inspections, photos, work orders, templates.

Inspections and work orders belong to unit A: its staff see them (BHT, nurse, supervisor; the
clinician and the peer are on the unit but have no part in inspections: 403), organization-wide
roles and the administrator see every unit, and the outsider (a BHT on unit B) gets 404. The
privacy officer sees the unit but has no inspection rights (403).
"""

from __future__ import annotations

import io
from typing import Any

from django.core.files.base import ContentFile
from PIL import Image

from pillars.core import clock
from pillars.core.tests.matrix_support import Case
from pillars.people.testing import World
from pillars.rounds.choices import ItemResult
from pillars.rounds.models import (
    Inspection,
    InspectionPhoto,
    InspectionResult,
    InspectionTemplate,
    WorkOrder,
    WorkOrderUpdate,
)


def _id(key: str) -> Any:
    return lambda w, e: {"public_id": e[key].public_id}


def _unit_a(w: World, e: dict[str, Any]) -> dict[str, Any]:
    return {"public_id": w.unit_a.public_id}


#                                              bht nur cli pee sup dir pri adm out anon
PAGES: dict[str, Case] = {
    "rounds:inspection-list": Case("GET", "A A F F A A F A A L"),
    # The outsider inspects their own unit B; the page offers their own units only.
    "rounds:inspection-new": Case("GET", "A A F F A F F F A L"),
    "rounds:inspection-detail": Case("GET", "A A F F A A F A N L", _id("inspection")),
    "rounds:inspection-photo": Case("GET", "A A F F A A F A N L", _id("photo")),
    "rounds:workorder-list": Case("GET", "A A F F A A F A A L"),
    "rounds:workorder-detail": Case("GET", "A A F F A A F A N L", _id("work_order")),
    # An empty POST is a form error (200) for those allowed to change the status.
    "rounds:workorder-update": Case("POST", "F A F F A A F A N L", _id("work_order")),
    "rounds:inspection-templates": Case("GET", "F F F F F F F A F L"),
    "rounds:inspection-template-edit": Case("GET", "F F F F F F F A F L", _id("template")),
}


def _new_inspection(w: World, who: str) -> dict[str, Any]:
    template = InspectionTemplate.objects.get(code="bedroom-ligature", is_current=True)
    return {
        "template": str(template.public_id),
        "room": str(w.beds_a[0].room.public_id),
        "results": [
            {"item": str(item.public_id), "result": "pass"} for item in template.items.all()
        ],
    }


#                                              bht nur cli pee sup dir pri adm out anon
API: dict[str, Case] = {
    "GET /api/v1/units/{public_id}/inspections": Case("GET", "A A F F A A F A N U", _unit_a),
    "POST /api/v1/units/{public_id}/inspections": Case(
        "POST", "A A F F A F F F N U", _unit_a, body=_new_inspection
    ),
    "GET /api/v1/inspections/{public_id}": Case("GET", "A A F F A A F A N U", _id("inspection")),
    "GET /api/v1/units/{public_id}/work-orders": Case("GET", "A A F F A A F A N U", _unit_a),
    "POST /api/v1/work-orders/{public_id}/status": Case(
        "POST",
        "F A F F A A F A N U",
        _id("work_order"),
        body=lambda w, who: {"status": "in_progress", "note": "Facilities called"},
    ),
}


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 6), (10, 120, 40)).save(out, format="PNG")
    return out.getvalue()


def fixtures(world: World, extra: dict[str, Any]) -> None:
    """An inspection of room A100 on unit A with one failed ligature item, its work order and a
    photo of the finding (built directly, so the matrix starts from a known state)."""
    now = clock.now()
    template = InspectionTemplate.objects.get(code="bedroom-ligature", is_current=True)
    inspection = Inspection.objects.create(
        unit=world.unit_a,
        room=world.beds_a[0].room,
        template=template,
        performed_by=world.staff["bht"],
        started_at=now,
        completed_at=now,
        recorded_at=now,
    )
    failed = None
    for item in template.items.all():
        is_fail = item.position == 3
        result = InspectionResult.objects.create(
            inspection=inspection,
            item=item,
            result=ItemResult.FAIL if is_fail else ItemResult.PASS,
            note="Fixed closet rod" if is_fail else "",
        )
        failed = result if is_fail else failed
    assert failed is not None
    work_order = WorkOrder.objects.create(
        unit=world.unit_a,
        room=world.beds_a[0].room,
        result=failed,
        is_ligature=True,
        title="Room A100: closet rod",
        owner=world.staff["nurse"],
        opened_at=now,
        opened_by=world.staff["bht"],
    )
    WorkOrderUpdate.objects.create(
        work_order=work_order,
        to_status="open",
        note="Fixed closet rod",
        written_by=world.staff["bht"],
        written_at=now,
    )
    photo = InspectionPhoto(
        result=failed,
        content_type="image/png",
        size=0,
        width=8,
        height=6,
        uploaded_by=world.staff["bht"],
        uploaded_at=now,
    )
    content = _png()
    photo.size = len(content)
    photo.image.save(f"{photo.public_id}.png", ContentFile(content), save=False)
    photo.save()
    extra.update(
        {"inspection": inspection, "work_order": work_order, "photo": photo, "template": template}
    )


def fuzz_ids(world: World) -> dict[str, str]:
    extra: dict[str, Any] = {}
    fixtures(world, extra)
    return {
        "/api/v1/inspections/": str(extra["inspection"].public_id),
        "/api/v1/work-orders/": str(extra["work_order"].public_id),
    }
