"""Environment of care: inspections submitted whole, photos checked by their bytes, failed items
opening work orders, work order status, template versions, and ligature-risk alerts."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404
from PIL import Image

from pillars.audit.models import AuditEvent
from pillars.core import clock
from pillars.core.errors import ValidationError
from pillars.people.choices import AlertKind
from pillars.people.models import Alert
from pillars.people.testing import World
from pillars.rounds import services
from pillars.rounds.choices import AssignmentKind, ItemResult, WorkOrderStatus
from pillars.rounds.models import (
    Inspection,
    InspectionPhoto,
    InspectionResult,
    InspectionTemplate,
    ObservationLevel,
    ObservationOrder,
    ShiftAssignment,
    WorkOrder,
    WorkOrderUpdate,
)
from pillars.rounds.selectors.inspections import ligature_alerts_on
from pillars.rounds.services import inspections as eoc
from pillars.rounds.services.inspections import Answer, ItemSpec

pytestmark = pytest.mark.django_db


def template(code: str = "bedroom-ligature") -> InspectionTemplate:
    return InspectionTemplate.objects.get(code=code, is_current=True)


def all_pass(t: InspectionTemplate, **overrides: Answer) -> dict[str, Answer]:
    """Every item passes, except the positions given as ``p<position>=Answer(...)``."""
    answers = {}
    for item in t.items.all():
        answers[str(item.public_id)] = overrides.get(f"p{item.position}", Answer(ItemResult.PASS))
    return answers


def inspect(world: World, user: str = "bht", **kwargs: Any) -> Inspection:
    t = kwargs.pop("template", None) or template()
    values: dict[str, Any] = {
        "unit": world.unit_a,
        "template": t,
        "room": world.beds_a[0].room,
        "answers": all_pass(t),
    }
    values.update(kwargs)
    return eoc.record_inspection(actor=world.user(user), **values)


def image_bytes(fmt: str, size: tuple[int, int] = (40, 30), **save: Any) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, format=fmt, **save)
    return out.getvalue()


def jpeg_with_gps() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {1: "N", 2: (41.0, 52.0, 3.0), 3: "W", 4: (87.0, 37.0, 48.0)}  # GPS IFD
    return image_bytes("JPEG", exif=exif.tobytes())


def lead_on_shift(world: World, role: str = "supervisor") -> ShiftAssignment:
    now = clock.now()
    return ShiftAssignment.objects.create(
        unit=world.unit_a,
        staff=world.staff[role],
        kind=AssignmentKind.LEAD,
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(hours=7),
        assigned_by=world.staff["nurse"],
        recorded_at=now,
    )


# --- Templates shipped by the data migration --------------------------------------------------


def test_default_templates_ship_with_items() -> None:
    codes = set(InspectionTemplate.objects.filter(is_current=True).values_list("code", flat=True))
    assert codes >= {"bedroom-ligature", "bathroom-ligature", "exits-check", "contraband-sweep"}
    bedroom = template()
    categories = set(bedroom.items.values_list("category", flat=True))
    assert {"ligature", "sharps"} <= categories
    assert bedroom.items.count() >= 10
    assert bedroom.needs_room


# --- Recording an inspection ------------------------------------------------------------------


def test_all_pass_is_stored_whole_and_audited(world: World) -> None:
    inspection = inspect(world)
    t = template()
    assert inspection.results.count() == t.items.count()
    assert set(inspection.results.values_list("result", flat=True)) == {ItemResult.PASS}
    assert inspection.performed_by == world.staff["bht"]
    assert inspection.completed_at == inspection.recorded_at
    assert not WorkOrder.objects.exists()
    event = AuditEvent.objects.get(object_id=str(inspection.public_id))
    assert event.action == "create"
    assert event.detail["results"]["pass"] == t.items.count()
    assert event.detail["template"] == "bedroom-ligature v1"


def test_unanswered_item_and_unexplained_fail_store_nothing(world: World) -> None:
    t = template()
    answers = all_pass(t, p2=Answer(ItemResult.FAIL, note="  "))
    del answers[str(t.items.get(position=3).public_id)]
    with pytest.raises(ValidationError) as caught:
        inspect(world, answers=answers)
    errors = caught.value.message_dict
    assert "failed item needs a note" in errors["note_2"][0]
    assert "Choose pass, fail or not applicable" in errors["result_3"][0]
    assert not Inspection.objects.exists()
    assert not InspectionResult.objects.exists()
    assert not WorkOrder.objects.exists()


def test_a_bedroom_check_names_a_room_on_the_unit(world: World) -> None:
    with pytest.raises(ValidationError) as caught:
        inspect(world, room=None, area="Hallway")
    assert "room" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        inspect(world, room=world.beds_b[0].room)
    assert "room" in caught.value.message_dict
    exits = template("exits-check")
    with pytest.raises(ValidationError) as caught:
        inspect(world, template=exits, room=None, area="", answers=all_pass(exits))
    assert "area" in caught.value.message_dict
    done = inspect(
        world, template=exits, room=None, area="North fire exit", answers=all_pass(exits)
    )
    assert done.place == "North fire exit"
    assert not Inspection.objects.exclude(pk=done.pk).exists()


def test_who_may_inspect(world: World) -> None:
    with pytest.raises(PermissionDenied):
        inspect(world, user="peer")
    with pytest.raises(PermissionDenied):
        inspect(world, user="clinician")
    with pytest.raises(Http404):
        inspect(world, user="outsider")
    assert inspect(world, user="nurse").performed_by == world.staff["nurse"]
    assert inspect(world, user="supervisor").performed_by == world.staff["supervisor"]


def test_a_replaced_template_version_is_refused(world: World) -> None:
    old = template()
    eoc.change_template(
        old,
        actor=world.user("admin"),
        name=old.name,
        area_kind=old.area_kind,
        items=[ItemSpec("Door hinges covered", "ligature")],
    )
    old.refresh_from_db()
    with pytest.raises(ValidationError) as caught:
        inspect(world, template=old)
    assert "template" in caught.value.message_dict


# --- Failed items open work orders ------------------------------------------------------------


def test_each_failed_item_opens_a_work_order_owned_by_the_shift_lead(world: World) -> None:
    lead_on_shift(world, "supervisor")
    t = template()
    ligature = t.items.get(position=3)  # closet rod
    sharps = t.items.get(position=10)
    answers = all_pass(
        t,
        p3=Answer(ItemResult.FAIL, note="Closet rod is fixed; does not release"),
        p10=Answer(ItemResult.FAIL, note="Glass picture frame"),
        p12=Answer(ItemResult.NA),
    )
    inspection = inspect(world, answers=answers)
    orders = {wo.result.item_id: wo for wo in WorkOrder.objects.all()}
    assert set(orders) == {ligature.pk, sharps.pk}
    rod = orders[ligature.pk]
    assert rod.is_ligature
    assert not orders[sharps.pk].is_ligature
    assert rod.owner == world.staff["supervisor"]
    assert rod.status == WorkOrderStatus.OPEN
    assert rod.closed_at is None
    assert rod.room == world.beds_a[0].room
    assert rod.unit == world.unit_a
    assert rod.opened_by == world.staff["bht"]
    assert ligature.text in rod.title
    first = rod.updates.get()
    assert first.to_status == WorkOrderStatus.OPEN
    assert first.note == "Closet rod is fixed; does not release"
    event = AuditEvent.objects.get(object_id=str(rod.public_id))
    assert event.detail["is_ligature"] is True
    audit = AuditEvent.objects.get(object_id=str(inspection.public_id))
    assert audit.detail["results"] == {"pass": 9, "fail": 2, "na": 1}


def test_owner_is_the_chosen_one_or_else_the_inspector(world: World) -> None:
    t = template()
    fail = Answer(ItemResult.FAIL, note="Cord from a phone charger")
    inspect(world, answers=all_pass(t, p5=fail))
    assert WorkOrder.objects.get().owner == world.staff["bht"]  # no lead on duty
    inspect(world, answers=all_pass(t, p5=fail), owner=world.staff["nurse"])
    assert WorkOrder.objects.latest("pk").owner == world.staff["nurse"]
    with pytest.raises(ValidationError) as caught:
        inspect(world, answers=all_pass(t, p5=fail), owner=world.staff["outsider"])
    assert "owner" in caught.value.message_dict
    assert WorkOrder.objects.count() == 2


# --- Photos -----------------------------------------------------------------------------------


def upload(name: str, content: bytes, content_type: str = "image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def test_a_png_called_jpg_is_stored_as_the_png_it_is(world: World) -> None:
    t = template()
    photo = upload("closet.jpg", image_bytes("PNG"), "image/jpeg")
    answers = all_pass(t, p3=Answer(ItemResult.FAIL, note="Rod", photos=[photo]))
    inspection = inspect(world, answers=answers)
    stored = InspectionPhoto.objects.get()
    assert stored.content_type == "image/png"
    name = str(stored.image.name)
    assert name.endswith(".png")
    assert "closet" not in name
    assert str(inspection.public_id) in name
    with stored.image.open("rb") as fh, Image.open(fh) as img:
        assert img.format == "PNG"
        assert img.size == (40, 30)
    assert stored.size == stored.image.size


def test_a_text_file_called_png_is_refused_and_nothing_stored(world: World) -> None:
    t = template()
    fake = upload("door.png", b"#!/bin/sh\necho not a picture\n", "image/png")
    answers = all_pass(t, p1=Answer(ItemResult.PASS, photos=[fake]))
    with pytest.raises(ValidationError) as caught:
        inspect(world, answers=answers)
    assert "JPEG, PNG or WebP" in caught.value.message_dict["photo_1"][0]
    assert not Inspection.objects.exists()
    assert not InspectionPhoto.objects.exists()


def test_other_image_formats_are_refused(world: World) -> None:
    gif = upload("x.gif", image_bytes("GIF"), "image/gif")
    with pytest.raises(ValueError, match="JPEG, PNG or WebP"):
        eoc.clean_photo(gif)


def test_a_photo_over_5_mb_is_refused(world: World) -> None:
    big = upload("big.jpg", image_bytes("JPEG") + b"\0" * (5 * 1024 * 1024))
    with pytest.raises(ValueError, match="at most 5 MB"):
        eoc.clean_photo(big)
    t = template()
    with pytest.raises(ValidationError) as caught:
        inspect(world, answers=all_pass(t, p1=Answer(ItemResult.PASS, photos=[big])))
    assert "5 MB" in caught.value.message_dict["photo_1"][0]


def test_exif_and_gps_are_stripped(world: World) -> None:
    raw = jpeg_with_gps()
    with Image.open(io.BytesIO(raw)) as original:
        assert original.getexif().get(0x010F) == "PhoneMaker"  # the test photo does carry EXIF
    clean = eoc.clean_photo(upload("window.jpg", raw))
    assert clean.content_type == "image/jpeg"
    with Image.open(io.BytesIO(clean.content)) as img:
        assert len(img.getexif()) == 0
        assert "exif" not in img.info
    assert b"PhoneMaker" not in clean.content


def test_webp_is_accepted(world: World) -> None:
    clean = eoc.clean_photo(upload("v.webp", image_bytes("WEBP"), "image/webp"))
    assert (clean.content_type, clean.extension) == ("image/webp", "webp")


def test_attach_photo_later_is_audited(world: World) -> None:
    inspection = inspect(world)
    result = inspection.results.get(item__position=4)
    photo = eoc.attach_photo(
        result, actor=world.user("nurse"), upload=upload("a.jpg", jpeg_with_gps())
    )
    assert photo.uploaded_by == world.staff["nurse"]
    assert AuditEvent.objects.filter(object_id=str(photo.public_id), action="create").exists()
    with pytest.raises(PermissionDenied):
        eoc.attach_photo(
            result, actor=world.user("director"), upload=upload("b.jpg", jpeg_with_gps())
        )
    with pytest.raises(ValidationError):
        eoc.attach_photo(result, actor=world.user("nurse"), upload=upload("c.png", b"text"))
    assert InspectionPhoto.objects.count() == 1


# --- Work order status ------------------------------------------------------------------------


@pytest.fixture
def rod_order(world: World) -> WorkOrder:
    t = template()
    inspect(world, answers=all_pass(t, p3=Answer(ItemResult.FAIL, note="Fixed closet rod")))
    return WorkOrder.objects.get()


def test_status_changes_keep_a_history_and_close_the_order(
    world: World, rod_order: WorkOrder
) -> None:
    nurse = world.user("nurse")
    eoc.update_work_order(rod_order, actor=nurse, status="in_progress", note="Called facilities")
    assert rod_order.status == WorkOrderStatus.IN_PROGRESS
    assert rod_order.closed_at is None
    done = eoc.update_work_order(rod_order, actor=nurse, status="done", note="Breakaway rod fitted")
    rod_order.refresh_from_db()
    assert rod_order.status == WorkOrderStatus.DONE
    assert rod_order.closed_by == world.staff["nurse"]
    assert rod_order.closed_at == done.written_at
    history = list(rod_order.updates.values_list("from_status", "to_status"))
    assert history == [("", "open"), ("open", "in_progress"), ("in_progress", "done")]
    event = AuditEvent.objects.filter(object_id=str(rod_order.public_id), action="update").last()
    assert event is not None
    assert event.detail["changes"]["status"] == {"old": "in_progress", "new": "done"}
    assert event.detail["note"] == "Breakaway rod fitted"
    eoc.update_work_order(rod_order, actor=nurse, status="open", note="Rod came loose again")
    rod_order.refresh_from_db()
    assert rod_order.is_open
    assert rod_order.closed_at is None
    assert rod_order.closed_by is None


def test_status_change_needs_a_note_and_the_right_role(world: World, rod_order: WorkOrder) -> None:
    with pytest.raises(ValidationError) as caught:
        eoc.update_work_order(rod_order, actor=world.user("nurse"), status="done", note=" ")
    assert "note" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        eoc.update_work_order(rod_order, actor=world.user("nurse"), status="fixed", note="x")
    assert "status" in caught.value.message_dict
    with pytest.raises(PermissionDenied):
        eoc.update_work_order(rod_order, actor=world.user("bht"), status="done", note="x")
    with pytest.raises(Http404):
        eoc.update_work_order(rod_order, actor=world.user("outsider"), status="done", note="x")
    rod_order.refresh_from_db()
    assert rod_order.status == WorkOrderStatus.OPEN
    assert WorkOrderUpdate.objects.count() == 1


# --- Template versions ------------------------------------------------------------------------


def test_a_template_change_makes_a_new_version_and_old_inspections_keep_theirs(
    world: World,
) -> None:
    old = template()
    done = inspect(world)
    with pytest.raises(PermissionDenied):
        eoc.change_template(
            old,
            actor=world.user("nurse"),
            name="x",
            area_kind="room",
            items=[ItemSpec("x", "other")],
        )
    new = eoc.change_template(
        old,
        actor=world.user("admin"),
        name="Bedroom check",
        area_kind="room",
        items=[ItemSpec("Door hinges covered", "ligature"), ItemSpec("No sharps", "sharps")],
    )
    old.refresh_from_db()
    assert (new.version, new.is_current, old.is_current) == (2, True, False)
    assert new.code == old.code
    assert list(new.items.values_list("position", "text")) == [
        (1, "Door hinges covered"),
        (2, "No sharps"),
    ]
    done.refresh_from_db()
    assert done.template == old
    assert done.results.count() == old.items.count() == 12
    event = AuditEvent.objects.get(object_id=str(new.public_id))
    assert event.detail["version"] == 2
    assert event.detail["changes"]["name"]["new"] == "Bedroom check"
    with pytest.raises(ValidationError) as caught:
        eoc.change_template(new, actor=world.user("admin"), name=" ", area_kind="nope", items=[])
    assert {"name", "area_kind", "items"} <= set(caught.value.message_dict)
    assert InspectionTemplate.objects.filter(code=old.code).count() == 2


# --- Ligature risk and alerts -----------------------------------------------------------------


def on_precautions(world: World, precautions: list[str]) -> Any:
    return services.order_observation(
        world.person_a,
        actor=world.user("nurse"),
        level=ObservationLevel.objects.get(code="q15", is_current=True),
        reason="Risk assessment",
        precautions=precautions,
    )


def test_ligature_risk_needs_precautions_an_open_finding_and_the_same_room(
    world: World, rod_order: WorkOrder
) -> None:
    now = clock.now()
    assert eoc.ligature_risks(world.unit_a, now) == []  # no order at all
    on_precautions(world, ["fall"])
    assert eoc.ligature_risks(world.unit_a, clock.now()) == []
    on_precautions(world, ["suicide", "fall"])
    risks = eoc.ligature_risks(world.unit_a, clock.now())
    assert [(r.person, r.room, r.work_order) for r in risks] == [
        (world.person_a, world.beds_a[0].room, rod_order)
    ]
    board = ligature_alerts_on(world.unit_a, clock.now())
    assert list(board) == [world.person_a.pk]
    assert "A100" in board[world.person_a.pk]
    assert "ligature" in board[world.person_a.pk]
    assert eoc.ligature_risks(world.unit_b, clock.now()) == []
    eoc.update_work_order(rod_order, actor=world.user("nurse"), status="done", note="Fixed")
    assert eoc.ligature_risks(world.unit_a, clock.now()) == []


def test_a_sharps_finding_or_another_room_is_no_ligature_risk(world: World) -> None:
    on_precautions(world, ["self_harm"])
    t = template()
    inspect(world, answers=all_pass(t, p10=Answer(ItemResult.FAIL, note="Razor found")))
    inspect(
        world,
        room=world.beds_a[2].room,
        answers=all_pass(t, p3=Answer(ItemResult.FAIL, note="Fixed rod")),
    )
    assert WorkOrder.objects.count() == 2
    assert eoc.ligature_risks(world.unit_a, clock.now()) == []


def test_sweep_alerts_the_shift_lead_once(world: World, rod_order: WorkOrder) -> None:
    order = on_precautions(world, ["suicide"])
    lead_on_shift(world, "supervisor")
    written = eoc.sweep_ligature_alerts(clock.now())
    assert len(written) == 1
    alert = written[0]
    assert alert.kind == AlertKind.LIGATURE
    assert alert.recipient == world.staff["supervisor"]
    assert alert.person == world.person_a
    assert alert.unit == world.unit_a
    # The risk began when the last of its conditions held: here the precautions were ordered.
    assert alert.due_at == order.started_at > rod_order.opened_at
    assert AuditEvent.objects.filter(object_id=str(alert.public_id), action="create").exists()
    assert eoc.sweep_ligature_alerts(clock.now()) == []
    assert eoc.sweep_ligature_alerts(clock.now() + timedelta(minutes=5)) == []
    assert Alert.objects.filter(kind=AlertKind.LIGATURE).count() == 1


def test_sweep_falls_back_to_the_units_nurses(world: World, rod_order: WorkOrder) -> None:
    on_precautions(world, ["self_harm"])
    written = eoc.sweep_ligature_alerts(clock.now())
    assert [a.recipient for a in written] == [world.staff["nurse"]]
    eoc.update_work_order(rod_order, actor=world.user("nurse"), status="not_needed", note="Moved")
    assert eoc.sweep_ligature_alerts(clock.now()) == []
    alert = Alert.objects.get()
    assert alert.resolved_at is not None
    assert alert.resolved_reason == "The work order was closed (not needed)."


def test_a_ligature_alert_closes_when_the_precautions_end(
    world: World, rod_order: WorkOrder
) -> None:
    order = on_precautions(world, ["suicide"])
    eoc.sweep_ligature_alerts(clock.now())
    alert = Alert.objects.get()
    assert alert.resolved_at is None
    ObservationOrder.objects.filter(pk=order.pk).update(precautions=["fall"])
    later = clock.now()
    assert eoc.sweep_ligature_alerts(later) == []
    alert.refresh_from_db()
    assert alert.resolved_at == later
    assert alert.resolved_reason == eoc.LIGATURE_GONE


# --- Pages ------------------------------------------------------------------------------------


def form_data(t: InspectionTemplate, world: World, **answers: str) -> dict[str, Any]:
    data: dict[str, Any] = {
        "unit": str(world.unit_a.public_id),
        "template": str(t.public_id),
        "room": str(world.beds_a[0].room.public_id),
    }
    for item in t.items.all():
        data[f"result_{item.position}"] = answers.get(f"p{item.position}", "pass")
    return data


def test_the_page_records_an_inspection_with_a_photo(world: World, signed_in: Any) -> None:
    client = signed_in("bht")
    t = template()
    url = "/rounds/inspections/new/"
    step1 = client.get(url, {"unit": str(world.unit_a.public_id)})
    assert step1.status_code == 200
    assert "Bedroom ligature and sharps check" in step1.content.decode()
    step2 = client.get(
        url, {"template": str(t.public_id), "room": str(world.beds_a[0].room.public_id)}
    )
    page = step2.content.decode()
    assert 'name="result_3"' in page
    assert 'enctype="multipart/form-data"' in page
    data = form_data(t, world, p3="fail")
    data["note_3"] = "Closet rod does not release"
    data["photo_3"] = upload("rod.jpg", jpeg_with_gps())
    response = client.post(url, data)
    assert response.status_code == 302
    inspection = Inspection.objects.get()
    assert response["Location"] == f"/rounds/inspections/{inspection.public_id}/"
    assert WorkOrder.objects.get().is_ligature
    photo = InspectionPhoto.objects.get()
    detail = client.get(response["Location"]).content.decode()
    assert f"/rounds/inspection-photos/{photo.public_id}/" in detail
    assert "Closet rod does not release" in detail


def test_the_page_shows_service_errors_and_stores_nothing(world: World, signed_in: Any) -> None:
    client = signed_in("nurse")
    t = template()
    data = form_data(t, world, p3="fail")
    del data["result_5"]
    data["photo_1"] = upload("x.png", b"not an image", "image/png")
    response = client.post("/rounds/inspections/new/", data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Nothing was saved" in page
    assert "a failed item needs a note" in page
    assert "Choose pass, fail or not applicable" in page
    assert "Only JPEG, PNG or WebP" in page
    assert not Inspection.objects.exists()


def test_a_photo_is_served_only_through_the_audited_view(world: World, signed_in: Any) -> None:
    t = template()
    photo_upload = upload("door.jpg", image_bytes("PNG"))
    inspect(world, answers=all_pass(t, p1=Answer(ItemResult.PASS, photos=[photo_upload])))
    photo = InspectionPhoto.objects.get()
    url = f"/rounds/inspection-photos/{photo.public_id}/"
    response = signed_in("supervisor").get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert "no-store" in response["Cache-Control"]
    assert b"".join(response.streaming_content).startswith(b"\x89PNG")
    assert AuditEvent.objects.filter(
        object_id=str(photo.public_id), action="view", actor_label="t-supervisor"
    ).exists()
    assert signed_in("outsider").get(url).status_code == 404
    assert signed_in("peer").get(url).status_code == 403


def test_work_order_pages_list_open_first_and_update_with_a_note(
    world: World, signed_in: Any, rod_order: WorkOrder
) -> None:
    t = template()
    inspect(world, answers=all_pass(t, p10=Answer(ItemResult.FAIL, note="Razor")))
    sharps = WorkOrder.objects.exclude(pk=rod_order.pk).get()
    eoc.update_work_order(sharps, actor=world.user("nurse"), status="done", note="Removed")
    client = signed_in("nurse")
    listing = client.get("/rounds/work-orders/").content.decode()
    assert listing.index(rod_order.title) < listing.index(sharps.title)
    assert "Ligature" in listing
    only_done = client.get("/rounds/work-orders/", {"status": "done"}).content.decode()
    assert sharps.title in only_done
    assert rod_order.title not in only_done
    url = f"/rounds/work-orders/{rod_order.public_id}/status/"
    refused = client.post(url, {"status": "done", "note": ""})
    assert refused.status_code == 200
    rod_order.refresh_from_db()
    assert rod_order.status == "open"
    done = client.post(url, {"status": "done", "note": "Breakaway rod fitted"})
    assert done.status_code == 302
    rod_order.refresh_from_db()
    assert rod_order.status == "done"
    history = client.get(f"/rounds/work-orders/{rod_order.public_id}/").content.decode()
    assert "Breakaway rod fitted" in history


def test_work_order_page_names_who_is_at_risk(
    world: World, signed_in: Any, rod_order: WorkOrder
) -> None:
    on_precautions(world, ["suicide"])
    page = signed_in("nurse").get(f"/rounds/work-orders/{rod_order.public_id}/").content.decode()
    assert "Ligature risk now" in page
    assert world.person_a.display_name in page
    assert AuditEvent.objects.filter(
        action="view", object_type="people.personserved", actor_label="t-nurse"
    ).exists()
    # The administrator runs work orders but does not see persons served.
    admin_page = signed_in("admin").get(f"/rounds/work-orders/{rod_order.public_id}/")
    assert world.person_a.display_name not in admin_page.content.decode()


def test_the_administrator_edits_a_checklist_into_a_new_version(
    world: World, signed_in: Any
) -> None:
    t = template("exits-check")
    client = signed_in("admin")
    url = f"/rounds/inspection-templates/{t.public_id}/edit/"
    assert "exits | Unit entry doors" in client.get(url).content.decode()
    bad = client.post(url, {"name": "Exits", "area_kind": "exit", "items": "weird | Door"})
    assert bad.status_code == 200
    assert "known category" in bad.content.decode()
    response = client.post(
        url,
        {
            "name": "Exits check",
            "area_kind": "exit",
            "is_active": "on",
            "items": "exits | Doors locked\n\nexits | Alarms sound",
        },
    )
    assert response.status_code == 302
    new = template("exits-check")
    assert new.version == 2
    assert list(new.items.values_list("text", flat=True)) == ["Doors locked", "Alarms sound"]
    # The old version's edit page leads to the current one.
    assert client.get(url)["Location"] == f"/rounds/inspection-templates/{new.public_id}/edit/"


# --- API --------------------------------------------------------------------------------------


def test_api_records_an_inspection_and_changes_a_work_order(world: World) -> None:
    from pillars.core.tests.api_support import api_as, assert_problem

    t = template()
    api = api_as(world.user("nurse"))
    results = [{"item": str(i.public_id), "result": "pass"} for i in t.items.all()]
    results[2] = {"item": results[2]["item"], "result": "fail"}
    body = {"template": str(t.public_id), "room": str(world.beds_a[0].room.public_id)}
    refused = api.post(f"/units/{world.unit_a.public_id}/inspections", {**body, "results": results})
    problem = assert_problem(refused, 422)
    assert "note_3" in str(problem)
    assert not Inspection.objects.exists()
    results[2]["note"] = "Rod fixed to the wall"
    created = api.post(f"/units/{world.unit_a.public_id}/inspections", {**body, "results": results})
    assert created.status_code == 201, created.content
    data = created.json()
    assert data["failed"] == 1
    assert data["results"][2]["result"] == "fail"
    listed = api.get(f"/units/{world.unit_a.public_id}/work-orders").json()
    assert [w["is_ligature"] for w in listed] == [True]
    wo = listed[0]["public_id"]
    changed = api.post(f"/work-orders/{wo}/status", {"status": "done", "note": "Replaced"})
    assert changed.status_code == 200, changed.content
    assert changed.json()["status"] == "done"
    assert changed.json()["closed_at"] is not None
    one = api.get(f"/inspections/{data['public_id']}").json()
    assert len(one["results"]) == t.items.count()
