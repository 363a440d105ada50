"""Recovery capital: instruments as data, and a person's assessments over time.

An instrument (its items, response scale, subscales, scoring method and reference lines) is
reference data shipped by a data migration and kept by administrators in the admin, so a
program can add its own without code (DESIGN.md rule 8). Pillars ships only instruments that
are free to use: BARC-10 and MIRC (DESIGN.md "Facts and defaults"); proprietary instruments
are never shipped.

Totals are always computed by the server from the answers (``services.capital.score``); a
client's total is never read. An assessment is never edited: a mistake is voided with a reason
and answered again.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from pillars.core.models import PublicModel
from pillars.people.models import Part2Labelled, PersonServed, Staff
from pillars.people.tenancy import OrganizationOwned

__all__ = [
    "Assessment",
    "Instrument",
    "InstrumentItem",
    "InstrumentSubscale",
    "ScoringMethod",
]


class ScoringMethod(models.TextChoices):
    """How a total is made from the answers. Reverse-scored items are flipped first
    (``scale_min + scale_max - answer``) whatever the method."""

    SUM = "sum", "Sum of the item scores"
    MEAN = "mean", "Mean of the item scores (rounded to two decimals)"


class Instrument(PublicModel):
    """A recovery capital instrument. ``scale_labels`` maps each answer value (as a string) to
    its words; ``reference_lines`` lists ``{"value": n, "label": ...}`` drawn on the trend chart
    as research references, never as targets."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=150)
    description = models.TextField(blank=True, default="")
    source = models.TextField(blank=True, default="", help_text="The publication it comes from.")
    license_note = models.CharField(max_length=300, blank=True, default="")
    scale_min = models.PositiveSmallIntegerField()
    scale_max = models.PositiveSmallIntegerField()
    scale_labels = models.JSONField(default=dict, blank=True)
    scoring = models.CharField(max_length=12, choices=ScoringMethod.choices, default="sum")
    reference_lines = models.JSONField(default=list, blank=True)
    # A person may answer it alone (on a person-facing page); otherwise staff read it with them.
    is_self_administrable = models.BooleanField(default=True)
    is_active = models.BooleanField(default=True)
    sort_order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["sort_order", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(scale_max__gt=models.F("scale_min")), name="instrument_scale_range"
            )
        ]

    def __str__(self) -> str:
        return self.name

    def total_range(self, items: int | None = None) -> tuple[float, float]:
        """The lowest and highest possible total."""
        n = self.items.count() if items is None else items
        if self.scoring == ScoringMethod.MEAN:
            return float(self.scale_min), float(self.scale_max)
        return float(self.scale_min * n), float(self.scale_max * n)

    def label_for(self, value: int) -> str:
        return str((self.scale_labels or {}).get(str(value), value))


class InstrumentSubscale(models.Model):
    """A named group of an instrument's items with its own subtotal."""

    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT, related_name="subscales")
    code = models.SlugField(max_length=40)
    name = models.CharField(max_length=150)
    sort_order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["instrument_id", "sort_order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["instrument", "code"], name="subscale_code_unique")
        ]

    def __str__(self) -> str:
        return self.name


class InstrumentItem(models.Model):
    """One question. ``is_reversed`` marks an item scored the other way round (agreeing with
    it means less capital), as the published instrument's scoring key says."""

    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT, related_name="items")
    number = models.PositiveSmallIntegerField()
    text = models.TextField()
    subscale = models.ForeignKey(
        InstrumentSubscale, on_delete=models.PROTECT, null=True, blank=True, related_name="items"
    )
    is_reversed = models.BooleanField(default=False)

    class Meta:
        ordering = ["instrument_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["instrument", "number"], name="item_number_unique")
        ]

    def __str__(self) -> str:
        return f"{self.number}. {self.text[:60]}"


class Assessment(OrganizationOwned, Part2Labelled, PublicModel):
    """One administration of an instrument with a person: the answers as given (``answers``
    maps item number to the value chosen), and the scores the server computed from them
    (``total``; ``subscale_scores`` maps subscale code to its subtotal). Never edited;
    ``voided_at`` with a reason takes a mistaken one out of the trend."""

    organization_from = ("person",)

    PART2_KIND = "recovery"

    person = models.ForeignKey(
        PersonServed, on_delete=models.PROTECT, related_name="recovery_assessments"
    )
    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT, related_name="+")
    administered_on = models.DateField()
    is_self_administered = models.BooleanField(default=False)
    answers = models.JSONField(default=dict)
    total = models.DecimalField(max_digits=7, decimal_places=2)
    subscale_scores = models.JSONField(default=dict, blank=True)
    note = models.TextField(blank=True, default="")
    recorded_by = models.ForeignKey(
        Staff, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    recorded_at = models.DateTimeField()
    client_id = models.UUIDField(unique=True, null=True, blank=True)
    voided_at = models.DateTimeField(null=True, blank=True)
    voided_by = models.ForeignKey(
        Staff, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    void_reason = models.CharField(max_length=300, blank=True, default="")

    class Meta:
        ordering = ["person_id", "administered_on", "recorded_at", "id"]
        indexes = [models.Index(fields=["person", "instrument", "administered_on"])]

    def __str__(self) -> str:
        return f"{self.instrument_id} on {self.administered_on}: {self.total}"

    @property
    def is_void(self) -> bool:
        return self.voided_at is not None
