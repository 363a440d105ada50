"""Every write for the environment of care: inspections submitted whole, photos of findings,
work orders and their status, template versions, and the ligature-risk sweep.

A failed item opens a work order in the same transaction as the inspection, so a finding never
exists without someone owning it. A ligature finding in a room where a person on suicide or
self-harm precautions sleeps is an alert for the shift lead (``sweep_ligature_alerts``).
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q

from pillars.audit import log as audit
from pillars.audit.choices import Action, Category, Purpose
from pillars.core import clock, policy, prepared, sweeps
from pillars.core.errors import Conflict, ValidationError, invalid
from pillars.core.versioning import next_version
from pillars.people import alerts
from pillars.people.alerts import Alert, AlertKind
from pillars.people.models import Placement, Room, Staff, Unit
from pillars.rounds.choices import (
    AreaKind,
    AssignmentKind,
    ItemCategory,
    ItemResult,
    Precaution,
    WorkOrderStatus,
)
from pillars.rounds.models import (
    Inspection,
    InspectionPhoto,
    InspectionResult,
    InspectionTemplate,
    ObservationOrder,
    ShiftAssignment,
    TemplateItem,
    WorkOrder,
    WorkOrderUpdate,
)
from pillars.rounds.services.escalation import order_subject

# --- Photos -----------------------------------------------------------------------------------

MAX_PHOTO_BYTES = 5 * 1024 * 1024
MAX_PHOTO_PIXELS = 40_000_000  # a 40-megapixel phone photo; more is a decompression bomb
MAX_PHOTOS_PER_ITEM = 4
# The real format (read from the bytes, never the file name) -> content type and extension.
PHOTO_FORMATS = {
    "JPEG": ("image/jpeg", "jpg"),
    "PNG": ("image/png", "png"),
    "WEBP": ("image/webp", "webp"),
}


@dataclass(frozen=True)
class CleanPhoto:
    """A photo whose bytes were decoded and re-encoded: no EXIF, GPS, comments or profiles
    beyond the pixels."""

    content: bytes
    content_type: str
    extension: str
    width: int
    height: int


def _audit(
    actor: Any,
    action: str,
    target: Any,
    detail: dict[str, Any],
    *,
    purpose: str = Purpose.OPERATIONS,
) -> None:
    """Audit a write to the environment of care: rooms, areas, findings and templates carry no
    protected information about a person served."""
    audit.record(actor, action, target, category=Category.NONE, purpose=purpose, detail=detail)


def clean_photo(upload: Any) -> CleanPhoto:
    """Read an uploaded photo, refuse anything that is not really a JPEG, PNG or WebP of at most
    5 MB, and re-encode it so that nothing but the pixels is kept. The file name and the
    browser's content type are ignored: a PNG called photo.jpg is stored as the PNG it is."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    size = getattr(upload, "size", None)
    if size is not None and size > MAX_PHOTO_BYTES:
        raise ValueError("A photo can be at most 5 MB.")
    upload.seek(0)
    data = upload.read(MAX_PHOTO_BYTES + 1)
    if len(data) > MAX_PHOTO_BYTES:
        raise ValueError("A photo can be at most 5 MB.")
    if not data:
        raise ValueError("The photo is empty.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                kind = probe.format or ""
                if kind not in PHOTO_FORMATS:
                    raise ValueError("Only JPEG, PNG or WebP photos can be attached.")
                if probe.width * probe.height > MAX_PHOTO_PIXELS:
                    raise ValueError("The photo has too many pixels.")
                probe.verify()
            with Image.open(io.BytesIO(data)) as img:
                img.load()
                upright = ImageOps.exif_transpose(img)
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ValueError("Only JPEG, PNG or WebP photos can be attached.") from None
    except (OSError, SyntaxError):
        raise ValueError("The photo could not be read; it may be damaged.") from None
    has_alpha = upright.mode in ("RGBA", "LA", "PA") or (
        upright.mode == "P" and "transparency" in upright.info
    )
    mode = "RGBA" if has_alpha and kind != "JPEG" else "RGB"
    converted = upright.convert(mode)
    # A fresh image from the raw pixels carries no info dict at all: no EXIF, XMP, text chunks.
    bare = Image.frombytes(mode, converted.size, converted.tobytes())
    out = io.BytesIO()
    if kind == "PNG":
        bare.save(out, format="PNG", optimize=True)
    else:
        bare.save(out, format=kind, quality=85)
    content_type, extension = PHOTO_FORMATS[kind]
    return CleanPhoto(out.getvalue(), content_type, extension, bare.width, bare.height)


def _store_photo(
    result: InspectionResult, photo: CleanPhoto, staff_pk: int, now: datetime
) -> InspectionPhoto:
    record = InspectionPhoto(
        result=result,
        content_type=photo.content_type,
        size=len(photo.content),
        width=photo.width,
        height=photo.height,
        uploaded_by_id=staff_pk,
        uploaded_at=now,
    )
    record.image.save(
        f"{record.public_id}.{photo.extension}", ContentFile(photo.content), save=False
    )
    record.save()
    return record


@contextmanager
def _storing_photos() -> Iterator[list[InspectionPhoto]]:
    """One transaction for a write that stores photos: the block adds each photo it stores to
    the list it is given, and if the transaction rolls back their files are taken away again
    (files are not transactional), so nothing is left half-way."""
    stored: list[InspectionPhoto] = []
    try:
        with transaction.atomic():
            yield stored
    except BaseException:
        for photo in stored:
            if photo.image.name:
                photo.image.storage.delete(photo.image.name)
        raise


# --- Inspections ------------------------------------------------------------------------------


@dataclass
class Answer:
    """What the inspector said about one item."""

    result: str
    note: str = ""
    photos: Sequence[Any] = field(default_factory=list)


# How far back an inspection may say it started (a long contraband sweep, a slow connection).
STARTED_WITHIN = timedelta(hours=12)
CLOCK_SKEW = timedelta(minutes=2)


def shift_lead_of(unit: Unit, now: datetime) -> Staff | None:
    """The staff member leading the unit's shift at ``now`` (an active lead assignment)."""
    for assignment in (
        ShiftAssignment.objects.filter(
            unit=unit, kind=AssignmentKind.LEAD, starts_at__lte=now, ends_at__gt=now
        )
        .filter(Q(ended_at__isnull=True) | Q(ended_at__gt=now))
        .select_related("staff")
        .order_by("-starts_at", "-pk")
    ):
        return assignment.staff
    return None


def _works_on(staff: Staff, unit: Unit, today: Any) -> bool:
    return staff.is_employed_on(today) and staff.home_units.filter(pk=unit.pk).exists()


def record_inspection(
    *,
    actor: Any,
    unit: Unit,
    template: InspectionTemplate,
    answers: Mapping[str, Answer],
    room: Room | None = None,
    area: str = "",
    started_at: datetime | None = None,
    owner: Staff | None = None,
) -> Inspection:
    """Record a whole inspection in one submit. ``answers`` maps each item's public id (as a
    string) to its Answer. Every item must be answered and every fail explained, or nothing is
    stored: errors name the item by its position (``result_3``, ``note_3``, ``photo_3``).

    Each failed item opens a work order owned by ``owner`` or, when none is chosen, the shift
    lead on duty (or, with no lead on duty, the inspector, who then hands it on)."""
    acting = policy.require(actor, "rounds.inspect", unit)
    now = clock.now()
    errors: dict[str, list[str]] = {}
    if not template.is_current or not template.is_active:
        raise invalid("template", "That version of the template has been replaced; start again.")
    area = area.strip()
    if room is not None and room.unit_id != unit.pk:
        errors["room"] = ["Choose a room on this unit."]
    if room is None and template.needs_room:
        errors["room"] = ["Choose the bedroom you inspected."]
    elif room is None and not area:
        errors["area"] = ["Say which room or area you inspected."]
    if len(area) > 120:
        errors["area"] = ["Keep the area to 120 characters."]
    started = started_at or now
    if started.tzinfo is None:
        errors["started_at"] = ["The time must include a time zone."]
    elif started > now + CLOCK_SKEW:
        errors["started_at"] = ["An inspection cannot start in the future."]
    elif started < now - STARTED_WITHIN:
        errors["started_at"] = ["An inspection is recorded within 12 hours of starting it."]
    if owner is not None and not _works_on(owner, unit, clock.today_in(unit.time_zone)):
        errors["owner"] = ["Choose a staff member who works on this unit."]
    items = list(template.items.order_by("position"))
    known = {str(item.public_id) for item in items}
    unknown = [key for key in answers if str(key) not in known]
    if unknown:
        errors["results"] = ["Some answers are for items that are not on this template."]
    cleaned: dict[int, list[CleanPhoto]] = {}
    for item in items:
        answer = answers.get(str(item.public_id))
        pos = item.position
        if answer is None or answer.result not in ItemResult.values:
            errors[f"result_{pos}"] = ["Choose pass, fail or not applicable."]
            continue
        note = answer.note.strip()
        if len(note) > 1000:
            errors[f"note_{pos}"] = ["Keep the note to 1,000 characters."]
        elif answer.result == ItemResult.FAIL and not note:
            errors[f"note_{pos}"] = ["Say what is wrong: a failed item needs a note."]
        if len(answer.photos) > MAX_PHOTOS_PER_ITEM:
            errors[f"photo_{pos}"] = [f"Attach at most {MAX_PHOTOS_PER_ITEM} photos per item."]
            continue
        try:
            cleaned[pos] = [clean_photo(upload) for upload in answer.photos]
        except ValueError as exc:
            errors[f"photo_{pos}"] = [str(exc)]
    if errors:
        raise ValidationError(errors)
    with _storing_photos() as stored:
        lead = owner or shift_lead_of(unit, now)
        inspection = Inspection.objects.create(
            unit=unit,
            room=room,
            area="" if room is not None else area,
            template=template,
            performed_by_id=acting.staff_pk,
            started_at=min(started, now),
            completed_at=now,
            recorded_at=now,
        )
        opened: list[WorkOrder] = []
        for item in items:
            answer = answers[str(item.public_id)]
            result = InspectionResult.objects.create(
                inspection=inspection,
                item=item,
                result=answer.result,
                note=answer.note.strip(),
            )
            for photo in cleaned.get(item.position, []):
                stored.append(_store_photo(result, photo, acting.staff_pk, now))
            if answer.result == ItemResult.FAIL:
                opened.append(
                    _open_work_order(
                        inspection, result, item, lead.pk if lead else acting.staff_pk, now
                    )
                )
        counts = {
            value: sum(1 for i in items if answers[str(i.public_id)].result == value)
            for value in ItemResult.values
        }
        _audit(
            actor,
            Action.CREATE,
            inspection,
            {
                "unit": unit.code,
                "template": f"{template.code} v{template.version}",
                "place": inspection.place,
                "results": counts,
                "photos": len(stored),
                "work_orders": [str(w.public_id) for w in opened],
            },
        )
        for work_order in opened:
            _audit(
                actor,
                Action.CREATE,
                work_order,
                {
                    "inspection": str(inspection.public_id),
                    "title": work_order.title,
                    "is_ligature": work_order.is_ligature,
                    "owner": str(work_order.owner.public_id),
                    "status": work_order.status,
                },
            )
    return inspection


def _open_work_order(
    inspection: Inspection,
    result: InspectionResult,
    item: TemplateItem,
    owner_pk: int,
    now: datetime,
) -> WorkOrder:
    title = f"{inspection.place}: {item.text}"[:300]
    work_order = WorkOrder.objects.create(
        unit_id=inspection.unit_id,
        room_id=inspection.room_id,
        area=inspection.area,
        result=result,
        is_ligature=item.category == ItemCategory.LIGATURE,
        title=title,
        owner_id=owner_pk,
        status=WorkOrderStatus.OPEN,
        opened_at=now,
        opened_by_id=inspection.performed_by_id,
    )
    _history(work_order, "", WorkOrderStatus.OPEN, result.note, inspection.performed_by_id, now)
    return work_order


def _history(
    work_order: WorkOrder,
    from_status: str,
    to_status: str,
    note: str,
    written_by_pk: int,
    now: datetime,
) -> WorkOrderUpdate:
    """A line of the work order's history: its status moved from ``from_status`` ("" when it
    opens) to ``to_status``, with the note saying why."""
    return WorkOrderUpdate.objects.create(
        work_order=work_order,
        from_status=from_status,
        to_status=to_status,
        note=note,
        written_by_id=written_by_pk,
        written_at=now,
    )


def attach_photo(result: InspectionResult, *, actor: Any, upload: Any) -> InspectionPhoto:
    """Add a photo to an answered item after the inspection was submitted (the fix, say)."""
    acting = policy.require(actor, "rounds.inspect", result.inspection)
    try:
        photo = clean_photo(upload)
    except ValueError as exc:
        raise invalid("photo", str(exc)) from None
    if result.photos.count() >= MAX_PHOTOS_PER_ITEM:
        raise invalid("photo", f"An item has at most {MAX_PHOTOS_PER_ITEM} photos.")
    now = clock.now()
    with _storing_photos() as stored:
        record = _store_photo(result, photo, acting.staff_pk, now)
        stored.append(record)
        _audit(
            actor,
            Action.CREATE,
            record,
            {
                "inspection": str(result.inspection.public_id),
                "item": result.item.position,
                "content_type": record.content_type,
                "size": record.size,
            },
        )
    return record


# --- Work orders ------------------------------------------------------------------------------


def update_work_order(
    work_order: WorkOrder,
    *,
    actor: Any,
    status: str,
    note: str,
    owner: Staff | None = None,
) -> WorkOrderUpdate:
    """Move a work order to a new status (or hand it to another owner) with a note saying
    why. Closing (done, not needed) stamps who closed it and when; reopening clears that."""
    acting = policy.require(actor, "rounds.manage_work_orders", work_order)
    note = note.strip()
    errors: dict[str, list[str]] = {}
    if status not in WorkOrderStatus.values:
        errors["status"] = ["Choose open, in progress, done or not needed."]
    if not note:
        errors["note"] = ["Say what was done or why the status changes."]
    elif len(note) > 1000:
        errors["note"] = ["Keep the note to 1,000 characters."]
    if owner is not None and not _works_on(
        owner, work_order.unit, clock.today_in(work_order.unit.time_zone)
    ):
        errors["owner"] = ["Choose a staff member who works on this unit."]
    if errors:
        raise ValidationError(errors)
    now = clock.now()
    with transaction.atomic():
        locked = WorkOrder.objects.select_for_update().get(pk=work_order.pk)
        if locked.status != work_order.status:
            raise Conflict("Someone changed this work order a moment ago; reload.")
        new_owner = owner if owner is not None else None
        if status == locked.status and (new_owner is None or new_owner.pk == locked.owner_id):
            raise invalid("status", "The work order already has that status.")
        before = {"status": locked.status, "owner": str(locked.owner.public_id)}
        previous = locked.status
        locked.status = status
        if new_owner is not None:
            locked.owner = new_owner
        if locked.is_open:
            locked.closed_at, locked.closed_by_id = None, None
        elif previous in (WorkOrderStatus.OPEN, WorkOrderStatus.IN_PROGRESS):
            locked.closed_at, locked.closed_by_id = now, acting.staff_pk
        locked.save(update_fields=["status", "owner", "closed_at", "closed_by"])
        if not locked.is_open and locked.is_ligature:
            alerts.resolve(
                alerts.about(key_prefix=f"ligature:{locked.public_id}:"),
                moment=now,
                reason=f"The work order was closed ({locked.get_status_display().lower()}).",
            )
        update = _history(locked, previous, status, note, acting.staff_pk, now)
        _audit(
            actor,
            Action.UPDATE,
            locked,
            {
                "note": note,
                **audit.changes(
                    before, {"status": locked.status, "owner": str(locked.owner.public_id)}
                ),
            },
        )
    work_order.refresh_from_db()
    return update


# --- Templates (administrator) ----------------------------------------------------------------


@dataclass(frozen=True)
class ItemSpec:
    text: str
    category: str


def change_template(
    template: InspectionTemplate,
    *,
    actor: Any,
    name: str,
    area_kind: str,
    items: Iterable[ItemSpec],
    description: str = "",
    is_active: bool = True,
) -> InspectionTemplate:
    """Change a template by making its next version with its own items: inspections already
    answered against the old version keep it; new inspections use the new one."""
    policy.require(actor, "rounds.manage_inspection_templates", template)
    name, description = name.strip(), description.strip()
    specs = [ItemSpec(i.text.strip(), i.category) for i in items if i.text.strip()]
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = ["Give the template a name."]
    elif len(name) > 120:
        errors["name"] = ["Keep the name to 120 characters."]
    if len(description) > 300:
        errors["description"] = ["Keep the description to 300 characters."]
    if area_kind not in AreaKind.values:
        errors["area_kind"] = ["Choose the kind of place."]
    if not specs:
        errors["items"] = ["A template needs at least one item."]
    elif len(specs) > 60:
        errors["items"] = ["A template has at most 60 items."]
    elif any(len(s.text) > 300 for s in specs):
        errors["items"] = ["Keep each item to 300 characters."]
    elif any(s.category not in ItemCategory.values for s in specs):
        errors["items"] = ["Each item needs a known category."]
    if errors:
        raise ValidationError(errors)
    before: dict[str, Any] = {}

    def remember(current: InspectionTemplate) -> None:
        # The old version as it stood under the lock, for the audit event's before/after.
        before.update(
            name=current.name,
            area_kind=current.area_kind,
            description=current.description,
            is_active=current.is_active,
            items=[(i.text, i.category) for i in current.items.order_by("position")],
        )

    with transaction.atomic():
        new = next_version(
            template,
            actor=actor,
            stale="This template was changed a moment ago; reload and try again.",
            check=remember,
            is_active=is_active,
            name=name,
            area_kind=area_kind,
            description=description,
        )
        TemplateItem.objects.bulk_create(
            TemplateItem(template=new, position=n, text=s.text, category=s.category)
            for n, s in enumerate(specs, start=1)
        )
        after = {
            "name": new.name,
            "area_kind": new.area_kind,
            "description": new.description,
            "is_active": new.is_active,
            "items": [(s.text, s.category) for s in specs],
        }
        _audit(
            actor,
            Action.UPDATE,
            new,
            {
                "code": new.code,
                "version": new.version,
                "replaces": str(template.public_id),
                **audit.changes(before, after),
            },
            purpose=Purpose.ADMINISTRATION,
        )
    return new


# --- Ligature risk ----------------------------------------------------------------------------

RISK_PRECAUTIONS = (Precaution.SUICIDE, Precaution.SELF_HARM)


@dataclass(frozen=True)
class LigatureRisk:
    person: Any
    room: Room
    work_order: WorkOrder
    order: ObservationOrder
    since: datetime


@prepared.stepwise
def open_ligature_work_orders(
    unit: Unit, now: datetime
) -> prepared.Steps[dict[int, list[WorkOrder]]]:
    """The unit's open ligature work orders on a room, by room, oldest first (one query; the
    finding's item is read with them, for ``risk_message``). Only the columns a risk is told
    and keyed by are read: the room's name, the finding's text, the work order's id and when
    it opened. Its SQL is compiled once (``core.prepared``): the board reads it on every
    refresh."""
    by_room: dict[int, list[WorkOrder]] = {}
    found = yield prepared.rows_later(
        "open ligature work orders of a unit",
        # The unit's condition is the same on every refresh: resolved once per process.
        prepared.filtered(
            WorkOrder.objects.still_open(), Q(unit_id=unit.pk, is_ligature=True, room__isnull=False)
        )
        .filter(opened_at__lte=now)
        .select_related("room", "result__item")
        .only("public_id", "room_id", "opened_at", "result_id", "room__name", "result__item__text")
        .order_by("opened_at", "pk"),
    )
    for wo in found:
        by_room.setdefault(wo.room_id or 0, []).append(wo)
    return by_room


def has_risk_precautions(order: ObservationOrder) -> bool:
    """Suicide or self-harm precautions: the ones an open ligature finding endangers."""
    return bool(set(order.precautions) & set(RISK_PRECAUTIONS))


def ligature_risks(unit: Unit, now: datetime) -> list[LigatureRisk]:
    """Persons placed on the unit now, in a bed in a room with an open ligature work order, whose
    current observation order has suicide or self-harm precautions. Unscoped: callers (the
    sweep, the board's own scoped read) decide who sees it."""
    by_room = open_ligature_work_orders(unit, now)
    if not by_room:
        return []
    placements = list(
        Placement.objects.at(now)
        .filter(unit=unit, bed__room_id__in=list(by_room))
        .select_related("episode__person", "bed__room")
    )
    if not placements:
        return []
    orders = {
        o.person_id: o
        for o in ObservationOrder.objects.filter(
            person_id__in=[p.episode.person_id for p in placements],
            started_at__lte=now,
        )
        .filter(Q(ended_at__isnull=True) | Q(ended_at__gt=now))
        .order_by("started_at")
    }
    risks = []
    for placement in placements:
        person = placement.episode.person
        order = orders.get(person.pk)
        if order is None or not has_risk_precautions(order):
            continue
        assert placement.bed is not None
        for wo in by_room[placement.bed.room_id]:
            since = max(wo.opened_at, placement.started_at, order.started_at)
            risks.append(LigatureRisk(person, placement.bed.room, wo, order, since))
    return risks


def risk_message(risk: LigatureRisk) -> str:
    return (
        f"{risk.person.display_name} is on suicide or self-harm precautions in room "
        f"{risk.room.name}, which has an open ligature finding: {risk.work_order.result.item.text}"
    )[:300]


SWEEP_LABEL = "system: ligature sweep"


def _alert_risk(
    risk: LigatureRisk, unit: Unit, recipients: list[Staff], now: datetime
) -> list[Alert]:
    """The alerts of one risk (one row of the sweep)."""
    with transaction.atomic():
        return alerts.write(
            recipients,
            kind=AlertKind.LIGATURE,
            message=risk_message(risk),
            due_at=risk.since,
            dedupe_key=_risk_key(risk.work_order.public_id, risk.person.public_id),
            unit=unit,
            person=risk.person,
            subject=order_subject(risk.order),
            now=now,
            audit_as=SWEEP_LABEL,
            detail={"work_order": str(risk.work_order.public_id), "room": risk.room.name},
        )


LIGATURE_GONE = "The person is no longer on precautions in that room, or the room is safe."


def _risk_key(work_order_id: Any, person_id: Any) -> str:
    return f"ligature:{work_order_id}:{person_id}"


def _close_gone_risks(unit: Unit, risks: list[LigatureRisk], now: datetime) -> int:
    """Close the unit's open ligature alerts whose risk is gone (the person moved room, their
    precautions ended, the work order was closed): the alert keeps the time and the reason."""
    current = {_risk_key(r.work_order.public_id, r.person.public_id) for r in risks}
    stale = [
        pk
        for pk, key in Alert.objects.filter(
            unit=unit, kind=AlertKind.LIGATURE, resolved_at__isnull=True
        ).values_list("pk", "dedupe_key")
        if key not in current
    ]
    if not stale:
        return 0
    return alerts.resolve(Q(pk__in=stale), moment=now, reason=LIGATURE_GONE)


def _alert_unit(unit: Unit, now: datetime, result: sweeps.SweepResult) -> list[Alert]:
    risks = ligature_risks(unit, now)
    _close_gone_risks(unit, risks, now)
    if not risks:
        return []
    recipients = alerts.on_duty(unit, now)
    written: list[Alert] = []
    for risk in risks:
        found = sweeps.guarded(
            result,
            lambda risk=risk: _alert_risk(risk, unit, recipients, now),  # type: ignore[misc]
            label=SWEEP_LABEL,
            object_type="rounds.workorder",
            object_id=str(risk.work_order.public_id),
            person_id=risk.person.public_id,
        )
        written.extend(found or [])
    return written


def sweep_ligature_alerts(now: datetime | None = None) -> list[Alert]:
    """Alert the shift lead of each unit where a person on suicide or self-harm precautions is
    in a room with an open ligature finding. The dedupe key names the work order and the
    person (one open alert per recipient): a second sweep (or a second worker) writes nothing
    new, while a new lead coming on shift is told once. Each unit and each risk is guarded
    (core.sweeps): one that raises is logged and audited "failed" and tried again on the next
    loop, and the others are still alerted. Returns the alerts written now."""
    now = now or clock.now()
    unit_ids = (
        WorkOrder.objects.still_open()
        .filter(is_ligature=True, room__isnull=False)
        .values_list("unit_id", flat=True)
        .distinct()
    )
    # Units with an open ligature alert are swept too, so an alert whose risk is gone closes.
    alerted = Alert.objects.filter(kind=AlertKind.LIGATURE, resolved_at__isnull=True).values_list(
        "unit_id", flat=True
    )
    result = sweeps.SweepResult("ligature risks")
    written: list[Alert] = []
    wanted = {*unit_ids, *alerted}
    for unit in sweeps.within_budget(result, Unit.objects.filter(pk__in=wanted).order_by("pk")):
        found = sweeps.guarded(
            result,
            lambda unit=unit: _alert_unit(unit, now, result),  # type: ignore[misc]
            label=SWEEP_LABEL,
            object_type="people.unit",
            object_id=str(unit.public_id),
        )
        written.extend(found or [])
    return written
