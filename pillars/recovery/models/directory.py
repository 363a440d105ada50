"""The community resource directory (DESIGN.md "recovery"), in Open Referral HSDS 3.0's tables.

Each model is one HSDS 3.0 table with the standard's field names; a row's ``public_id`` IS its
HSDS ``id`` (a UUID), so a re-import updates by id and an export writes the same ids back. The
columns the search and pages use are typed fields; the other columns of the standard's table
are kept verbatim in ``extra`` (column name to the text read), so an export writes back exactly
what came in. Tables Pillars does not use (programs, contacts, funding...) are kept whole as
``HsdsOtherRow`` rows for the same reason.

Two documented extension columns (HSDS allows extra columns; ``docs/`` and
``recovery/hsds/README.md`` name them):

- ``locations.x_timezone``: the location's IANA time zone. HSDS schedules carry only a numeric
  UTC offset, which is wrong for half of the year where daylight saving applies; "open now" is
  reasoned in this zone (DESIGN.md rule 1, "local zone for schedules").
- ``locations.x_confidential`` and ``services.x_confidential``: a domestic-violence or
  trafficking shelter whose address and coordinates must never be shown, exported or sent;
  people reach it through its hotline or a protected referral only.
"""

from __future__ import annotations

import math
from datetime import date, datetime, time

from django.db import models

from pillars.core.models import PublicModel
from pillars.people.models import Part2Labelled, PersonServed, Staff
from pillars.people.tenancy import OrganizationOwned

__all__ = [
    "Address",
    "Attribute",
    "CostOption",
    "HsdsOrganization",
    "HsdsOtherRow",
    "HsdsService",
    "Language",
    "Location",
    "Phone",
    "SavedResource",
    "Schedule",
    "ServiceAtLocation",
    "Taxonomy",
    "TaxonomyTerm",
    "haversine_km",
]

WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


class HsdsRow(PublicModel):
    """What every directory table shares: the HSDS id (``public_id``) and the standard's other
    columns, verbatim."""

    extra = models.JSONField(default=dict, blank=True)

    class Meta:
        abstract = True


def hsds_link[M: models.Model](
    to: type[M], *, related_name: str
) -> models.ForeignKey[M | None, M | None]:
    """A link between directory rows as HSDS has it: optional (a feed may leave it out), and the
    row named is kept while one points at it."""
    return models.ForeignKey(
        to, null=True, blank=True, on_delete=models.PROTECT, related_name=related_name
    )


class Taxonomy(HsdsRow):
    """HSDS ``taxonomy``: a vocabulary the directory's terms come from."""

    name = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    uri = models.CharField(max_length=500, blank=True)
    version = models.CharField(max_length=100, blank=True)

    def __str__(self) -> str:
        return self.name


class TaxonomyTerm(HsdsRow):
    """HSDS ``taxonomy_term``: a need or attribute people search by (Housing, Food...)."""

    code = models.CharField(max_length=100, blank=True)
    name = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    parent_id = models.UUIDField(null=True, blank=True)
    taxonomy = models.CharField(max_length=300, blank=True)
    language = models.CharField(max_length=20, blank=True)
    taxonomy_ref = hsds_link(Taxonomy, related_name="terms")
    term_uri = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class HsdsOrganization(HsdsRow):
    """HSDS ``organization``: who delivers services."""

    name = models.CharField(max_length=300)
    alternate_name = models.CharField(max_length=300, blank=True)
    description = models.TextField(blank=True)
    email = models.CharField(max_length=254, blank=True)
    website = models.CharField(max_length=500, blank=True)

    def __str__(self) -> str:
        return self.name


class Location(HsdsRow):
    """HSDS ``location``, with the two extension columns (zone, confidential)."""

    location_type = models.CharField(max_length=20)
    url = models.CharField(max_length=500, blank=True)
    organization = hsds_link(HsdsOrganization, related_name="+")
    name = models.CharField(max_length=300, blank=True)
    alternate_name = models.CharField(max_length=300, blank=True)
    description = models.TextField(blank=True)
    transportation = models.TextField(blank=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    x_timezone = models.CharField(max_length=64, blank=True)
    x_confidential = models.BooleanField(default=False)

    class Meta:
        indexes = [models.Index(fields=["latitude", "longitude"])]

    def __str__(self) -> str:
        return self.name or str(self.public_id)


class Address(HsdsRow):
    """HSDS ``address``: one table for physical, postal and virtual addresses
    (``address_type``)."""

    location = hsds_link(Location, related_name="addresses")
    attention = models.CharField(max_length=300, blank=True)
    address_1 = models.CharField(max_length=300)
    address_2 = models.CharField(max_length=300, blank=True)
    city = models.CharField(max_length=200)
    region = models.CharField(max_length=200, blank=True)
    state_province = models.CharField(max_length=200)
    postal_code = models.CharField(max_length=40)
    country = models.CharField(max_length=2)
    address_type = models.CharField(max_length=20)

    def one_line(self) -> str:
        parts = [self.address_1, self.address_2, self.city, self.state_province, self.postal_code]
        return ", ".join(p for p in parts if p)


class HsdsService(HsdsRow):
    """HSDS ``service``: what a person can get. Eligibility lives on the service in 3.0."""

    organization = models.ForeignKey(
        HsdsOrganization, on_delete=models.PROTECT, related_name="services"
    )
    name = models.CharField(max_length=300)
    alternate_name = models.CharField(max_length=300, blank=True)
    description = models.TextField(blank=True)
    url = models.CharField(max_length=500, blank=True)
    email = models.CharField(max_length=254, blank=True)
    status = models.CharField(max_length=30)
    interpretation_services = models.TextField(blank=True)
    application_process = models.TextField(blank=True)
    fees_description = models.TextField(blank=True)
    eligibility_description = models.TextField(blank=True)
    minimum_age = models.FloatField(null=True, blank=True)
    maximum_age = models.FloatField(null=True, blank=True)
    alert = models.TextField(blank=True)
    x_confidential = models.BooleanField(default=False)
    # Lower-cased name, description and eligibility, for word search on both databases.
    search_text = models.TextField(blank=True, editable=False)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ServiceAtLocation(HsdsRow):
    """HSDS ``service_at_location``: a service delivered at a location."""

    service = models.ForeignKey(
        HsdsService, on_delete=models.PROTECT, related_name="service_at_locations"
    )
    location = models.ForeignKey(
        Location, on_delete=models.PROTECT, related_name="service_at_locations"
    )
    description = models.TextField(blank=True)


class Phone(HsdsRow):
    """HSDS ``phone``; a confidential shelter's hotline is how people reach it."""

    location = hsds_link(Location, related_name="phones")
    service = hsds_link(HsdsService, related_name="phones")
    organization = hsds_link(HsdsOrganization, related_name="phones")
    service_at_location = hsds_link(ServiceAtLocation, related_name="phones")
    number = models.CharField(max_length=60)
    type = models.CharField(max_length=30, blank=True)
    description = models.TextField(blank=True)


class Schedule(HsdsRow):
    """HSDS ``schedule`` (RFC 5545 recurrence fields). Only weekly opening hours are reasoned
    about for "open now"; every field is kept and exported."""

    service = hsds_link(HsdsService, related_name="schedules")
    location = hsds_link(Location, related_name="schedules")
    service_at_location = hsds_link(ServiceAtLocation, related_name="schedules")
    valid_from = models.DateField(null=True, blank=True)
    valid_to = models.DateField(null=True, blank=True)
    dtstart = models.DateField(null=True, blank=True)
    timezone = models.FloatField(null=True, blank=True)
    until = models.DateField(null=True, blank=True)
    freq = models.CharField(max_length=10, blank=True)
    interval = models.FloatField(null=True, blank=True)
    byday = models.CharField(max_length=60, blank=True)
    description = models.TextField(blank=True)
    opens_at = models.TimeField(null=True, blank=True)
    closes_at = models.TimeField(null=True, blank=True)

    def days(self) -> set[str]:
        """The weekday codes of ``byday`` (a weekly schedule without it means every day)."""
        codes = {d.strip().upper()[-2:] for d in self.byday.split(",") if d.strip()}
        return (codes & set(WEEKDAYS)) or set(WEEKDAYS)

    def open_until(self, local: datetime) -> time | None:
        """The closing time when this schedule has the place open at ``local`` (a wall-clock
        time in the location's own zone), else None. A closing time at or before the opening
        time runs past midnight."""
        if self.freq and self.freq != "WEEKLY":
            return None
        if self.opens_at is None or self.closes_at is None:
            return None
        today = local.date()
        if not self._valid_on(today):
            return None
        now = local.time().replace(tzinfo=None)
        day = WEEKDAYS[local.weekday()]
        overnight = self.closes_at <= self.opens_at
        if day in self.days() and (
            self.opens_at <= now < self.closes_at or (overnight and now >= self.opens_at)
        ):
            return self.closes_at
        yesterday = WEEKDAYS[(local.weekday() - 1) % 7]
        if overnight and yesterday in self.days() and now < self.closes_at:
            return self.closes_at
        return None

    def _valid_on(self, day: date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_to is None or day <= self.valid_to
        )


class Language(HsdsRow):
    """HSDS ``language``: a language a service, location or phone line speaks."""

    service = hsds_link(HsdsService, related_name="languages")
    location = hsds_link(Location, related_name="languages")
    phone = hsds_link(Phone, related_name="languages")
    name = models.CharField(max_length=100, blank=True)
    code = models.CharField(max_length=20, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["code"])]


class CostOption(HsdsRow):
    """HSDS ``cost_option``: what a service costs (an amount of 0 means free)."""

    service = models.ForeignKey(HsdsService, on_delete=models.PROTECT, related_name="cost_options")
    valid_from = models.DateField(null=True, blank=True)
    valid_to = models.DateField(null=True, blank=True)
    option = models.CharField(max_length=300, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    amount = models.FloatField(null=True, blank=True)
    amount_description = models.TextField(blank=True)


class Attribute(HsdsRow):
    """HSDS ``attribute``: links a taxonomy term to any row (``link_entity``, ``link_id``); in
    3.0 it replaces the older per-table taxonomy link tables."""

    link_id = models.UUIDField(db_index=True)
    taxonomy_term = models.ForeignKey(
        TaxonomyTerm, on_delete=models.PROTECT, related_name="attributes"
    )
    link_type = models.CharField(max_length=100, blank=True)
    link_entity = models.CharField(max_length=50)
    value = models.TextField(blank=True)


class HsdsOtherRow(models.Model):
    """A row of an HSDS table the directory keeps but does not use (programs, contacts,
    funding, service areas...), as the columns read, so an export writes it back unchanged."""

    table = models.CharField(max_length=50)
    hsds_id = models.UUIDField()
    data = models.JSONField(default=dict)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["table", "hsds_id"], name="hsds_other_row_unique")
        ]

    def __str__(self) -> str:
        return f"{self.table} {self.hsds_id}"


class SavedResource(OrganizationOwned, Part2Labelled, PublicModel):
    """A directory service a staff member saved for a person served, with a note. It says
    something about the person's needs, so it is a record about the person: labelled like the
    rest of recovery support and visible to those who may see the person."""

    organization_from = ("person",)

    PART2_KIND = "recovery"

    person = models.ForeignKey(
        PersonServed, on_delete=models.PROTECT, related_name="saved_resources"
    )
    service = models.ForeignKey(HsdsService, on_delete=models.PROTECT, related_name="+")
    saved_by = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    saved_at = models.DateTimeField()
    note = models.TextField(blank=True)
    # The save form's key: a form sent twice saves once (DESIGN.md rule 7).
    client_id = models.UUIDField(unique=True, null=True, blank=True)

    class Meta:
        ordering = ["-saved_at"]

    def __str__(self) -> str:
        return f"saved resource {self.public_id}"


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in kilometres (mean Earth radius 6371.0088 km)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0088 * math.asin(min(1.0, math.sqrt(a)))
