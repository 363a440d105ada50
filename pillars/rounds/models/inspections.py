"""Environment of care: inspection templates (versioned data), inspections with a result per
item, photos of findings, and the work orders that failed items open.

Nothing here is deleted. A template change makes the template's next version (as observation
levels do), so a completed inspection keeps the items it was answered against; a work order's
history is the chain of its status updates, each with a note.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from pillars.core.model_constraints import filled_unless, unique_in_organization
from pillars.core.models import PublicModel
from pillars.core.versioning import VersionedRule, versioned_constraints
from pillars.people.models import Room, Staff, Unit
from pillars.people.tenancy import OrganizationOwned, TenantQuerySet, reference_link
from pillars.rounds.choices import (
    WORK_ORDER_OPEN_STATES,
    AreaKind,
    ItemCategory,
    ItemResult,
    WorkOrderStatus,
)


class InspectionTemplate(VersionedRule, PublicModel):
    """One version of an inspection checklist for a kind of place (a bedroom, a bathroom, the
    exits, the whole unit). A change makes a new version and retires the old one; inspections
    point at the version they were answered against."""

    # Longer than the shared 32: template codes name a kind of place and its purpose.
    code = models.SlugField(max_length=40)
    # A retired template (is_active False) stays readable on old inspections but is not offered.
    is_active = models.BooleanField(default=True)
    name = models.CharField(max_length=120)
    area_kind = models.CharField(max_length=10, choices=AreaKind.choices)
    description = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField()
    created_by = reference_link(Staff, related_name="+")

    class Meta:
        ordering = ["name", "-version"]
        constraints = [
            *versioned_constraints(
                version_name="template_version_unique", current_name="one_current_template_version"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} (version {self.version})"

    @property
    def needs_room(self) -> bool:
        """A bedroom check is about one bedroom; other kinds may name a room or an area."""
        return self.area_kind == AreaKind.ROOM


class TemplateItem(PublicModel):
    """One thing to look at, in the order the inspector walks the space."""

    template = models.ForeignKey(InspectionTemplate, on_delete=models.PROTECT, related_name="items")
    position = models.PositiveSmallIntegerField()
    text = models.CharField(max_length=300)
    category = models.CharField(max_length=12, choices=ItemCategory.choices)

    class Meta:
        ordering = ["template_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["template", "position"], name="item_position_unique")
        ]

    def __str__(self) -> str:
        return self.text


class PlaceOnUnit(OrganizationOwned, PublicModel):
    """A record about a place on a unit: one of its rooms, or an area named in words."""

    organization_from = ("unit",)

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    room = models.ForeignKey(
        Room, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    area = models.CharField(max_length=120, blank=True)

    class Meta:
        abstract = True

    @property
    def place(self) -> str:
        return f"Room {self.room.name}" if self.room_id and self.room else self.area


class Inspection(PlaceOnUnit):
    """One walk-through of a room or an area with one template version, submitted whole: every
    item answered, or nothing stored."""

    area = models.CharField(max_length=120, blank=True, help_text="Where, when not a room.")
    template = models.ForeignKey(
        InspectionTemplate, on_delete=models.PROTECT, related_name="inspections"
    )
    performed_by = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField()
    completed_at = models.DateTimeField()
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["-completed_at", "pk"]
        indexes = [models.Index(fields=["unit", "completed_at"])]
        constraints = [
            filled_unless("area", Q(room__isnull=False), name="inspection_names_a_place"),
            models.CheckConstraint(
                condition=Q(completed_at__gte=models.F("started_at")),
                name="inspection_completes_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.template.name}: {self.place}"


class InspectionResult(OrganizationOwned, PublicModel):
    """The answer to one item: pass, fail or not applicable; a fail always says what is wrong."""

    organization_from = ("inspection",)

    inspection = models.ForeignKey(Inspection, on_delete=models.PROTECT, related_name="results")
    item = models.ForeignKey(TemplateItem, on_delete=models.PROTECT, related_name="+")
    result = models.CharField(max_length=4, choices=ItemResult.choices)
    note = models.CharField(max_length=1000, blank=True)

    class Meta:
        ordering = ["inspection_id", "item__position"]
        constraints = [
            unique_in_organization("inspection", "item", name="one_result_per_item"),
            filled_unless("note", ~Q(result=ItemResult.FAIL), name="failed_item_has_note"),
        ]

    def __str__(self) -> str:
        return f"{self.item}: {self.get_result_display()}"


def photo_path(photo: InspectionPhoto, filename: str) -> str:
    """Photos live under MEDIA_ROOT/inspections/, named by public ids only (never the uploaded
    name), and are served through an audited view, never a public media URL."""
    return f"inspections/{photo.result.inspection.public_id}/{filename}"


class InspectionPhoto(OrganizationOwned, PublicModel):
    """A photo of what an inspector saw. The bytes were checked to be a JPEG, PNG or WebP and
    re-encoded without metadata (a phone's EXIF carries GPS and device details)."""

    organization_from = ("result",)

    result = models.ForeignKey(InspectionResult, on_delete=models.PROTECT, related_name="photos")
    image = models.FileField(upload_to=photo_path, max_length=200)
    content_type = models.CharField(max_length=20)
    size = models.PositiveIntegerField(help_text="Bytes, after re-encoding.")
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField()

    class Meta:
        ordering = ["uploaded_at", "pk"]

    def __str__(self) -> str:
        return f"Photo of {self.result}"


class WorkOrderQuerySet(TenantQuerySet["WorkOrder"]):
    def still_open(self) -> WorkOrderQuerySet:
        return self.filter(status__in=WORK_ORDER_OPEN_STATES)


class WorkOrder(PlaceOnUnit):
    """A repair or removal that a failed item asks for, with an owner and a status. A ligature
    finding (``is_ligature``) in a room makes that room unsafe for a person on suicide or
    self-harm precautions until the work order is closed."""

    result = models.OneToOneField(
        InspectionResult, on_delete=models.PROTECT, related_name="work_order"
    )
    is_ligature = models.BooleanField(default=False)
    title = models.CharField(max_length=300)
    owner = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        max_length=12, choices=WorkOrderStatus.choices, default=WorkOrderStatus.OPEN
    )
    opened_at = models.DateTimeField()
    opened_by = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = WorkOrderQuerySet.as_manager()  # type: ignore[misc]  # a TenantQuerySet

    class Meta:
        ordering = ["-opened_at", "pk"]
        indexes = [
            models.Index(fields=["unit", "status"]),
            models.Index(fields=["room", "is_ligature", "status"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(status__in=WORK_ORDER_OPEN_STATES, closed_at__isnull=True)
                    | (~Q(status__in=WORK_ORDER_OPEN_STATES) & Q(closed_at__isnull=False))
                ),
                name="work_order_closed_when_done",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status in WORK_ORDER_OPEN_STATES


class WorkOrderUpdate(OrganizationOwned, PublicModel):
    """One change of a work order's status (or owner), with the note that explains it."""

    organization_from = ("work_order",)

    work_order = models.ForeignKey(WorkOrder, on_delete=models.PROTECT, related_name="updates")
    from_status = models.CharField(max_length=12, choices=WorkOrderStatus.choices, blank=True)
    to_status = models.CharField(max_length=12, choices=WorkOrderStatus.choices)
    note = models.CharField(max_length=1000)
    written_by = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    written_at = models.DateTimeField()

    class Meta:
        ordering = ["written_at", "pk"]

    def __str__(self) -> str:
        return f"{self.work_order}: {self.to_status}"
