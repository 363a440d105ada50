"""Consented peer matching (DESIGN.md "recovery": connect a person to a matching peer).

A peer specialist keeps a ``PeerProfile`` with one share flag per attribute. Matching and every
page read a profile only through ``PeerProfile.shared()``: an attribute whose flag is off does
not exist for matching, ranking or display, and withdrawing it takes effect on the next read.

A ``MatchRequest`` is opened for a person served; its offered candidates (``MatchCandidate``) name
only the peer and a rank, never a copy of the profile, so a later withdrawal also disappears from
offers already made. The person's choice puts them on the peer's caseload through the people
app's caseload service, within the caseload room that ``CaseloadLimit`` rows set.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Q

from pillars.core.model_constraints import unique_in_organization
from pillars.core.models import PublicModel
from pillars.people.models import CaseloadAssignment, Part2Labelled, PersonServed, Program, Staff
from pillars.people.tenancy import OrganizationOwned, reference_link

__all__ = [
    "DEFAULT_CASELOAD_LIMIT",
    "SHAREABLE",
    "AgeBand",
    "Availability",
    "CaseloadLimit",
    "LivedExperienceArea",
    "MatchCandidate",
    "MatchRequest",
    "MatchStatus",
    "PeerGender",
    "PeerProfile",
    "RecoveryPathway",
]

# One state Medicaid program caps a peer specialist at 15 persons served (DESIGN.md "Facts");
# the shipped CaseloadLimit row carries it, and this is the fallback when no row applies.
DEFAULT_CASELOAD_LIMIT = 15


class LivedExperienceArea(models.TextChoices):
    """Areas of lived experience a peer may choose to share."""

    ALCOHOL = "alcohol", "alcohol use"
    OPIOIDS = "opioids", "opioid use"
    STIMULANTS = "stimulants", "stimulant use"
    MENTAL_HEALTH = "mental_health", "mental health challenges"
    CO_OCCURRING = "co_occurring", "co-occurring mental health and substance use"
    JUSTICE = "justice", "involvement with the justice system"
    HOUSING = "housing", "homelessness"
    VETERAN = "veteran", "military service"
    TRAUMA = "trauma", "trauma"
    FAMILY = "family", "a family member's recovery"


class RecoveryPathway(models.TextChoices):
    """Pathways of recovery; many pathways are valid, and none is ranked above another."""

    MUTUAL_AID = "mutual_aid", "Twelve-step or other mutual aid"
    SECULAR = "secular", "Secular or self-management groups"
    FAITH = "faith", "Faith-based"
    MEDICATION = "medication", "Medication-supported recovery"
    HARM_REDUCTION = "harm_reduction", "Harm reduction"
    NATURAL = "natural", "My own way (natural recovery)"


class PeerGender(models.TextChoices):
    WOMAN = "woman", "Woman"
    MAN = "man", "Man"
    NONBINARY = "nonbinary", "Nonbinary"


class AgeBand(models.TextChoices):
    UNDER_26 = "18-25", "18 to 25"
    FROM_26 = "26-35", "26 to 35"
    FROM_36 = "36-50", "36 to 50"
    FROM_51 = "51-64", "51 to 64"
    OVER_64 = "65+", "65 and over"


class Availability(models.TextChoices):
    WEEKDAY_MORNINGS = "weekday_mornings", "Weekday mornings"
    WEEKDAY_AFTERNOONS = "weekday_afternoons", "Weekday afternoons"
    WEEKDAY_EVENINGS = "weekday_evenings", "Weekday evenings"
    WEEKENDS = "weekends", "Weekends"


# The attributes a peer may share, each behind its own flag (``share_<name>``), in the order
# the profile page lists them.
SHAREABLE: dict[str, str] = {
    "lived_experience": "Areas of lived experience",
    "recovery_pathway": "Recovery pathway",
    "languages": "Languages",
    "gender": "Gender",
    "age_band": "Age band",
    "availability": "Availability",
    "intro": "A short introduction in my own words",
}


class PeerProfile(OrganizationOwned, PublicModel):
    """A peer specialist's matching profile: each attribute shared only by the peer's own
    choice (its ``share_`` flag), withdrawable at any time."""

    organization_from = ("staff",)

    staff = models.OneToOneField(Staff, on_delete=models.PROTECT, related_name="peer_profile")
    is_accepting = models.BooleanField(
        default=True, help_text="Open to being offered as a peer to persons served."
    )
    lived_experience = models.JSONField(default=list, blank=True)
    share_lived_experience = models.BooleanField(default=False)
    recovery_pathway = models.CharField(max_length=20, choices=RecoveryPathway.choices, blank=True)
    share_recovery_pathway = models.BooleanField(default=False)
    languages = models.JSONField(default=list, blank=True)
    share_languages = models.BooleanField(default=False)
    gender = models.CharField(max_length=20, choices=PeerGender.choices, blank=True)
    share_gender = models.BooleanField(default=False)
    age_band = models.CharField(max_length=10, choices=AgeBand.choices, blank=True)
    share_age_band = models.BooleanField(default=False)
    availability = models.JSONField(default=list, blank=True)
    share_availability = models.BooleanField(default=False)
    intro = models.TextField(max_length=400, blank=True)
    share_intro = models.BooleanField(default=False)
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["staff__display_name"]

    def __str__(self) -> str:
        return f"Peer profile of {self.staff}"

    def shared(self) -> dict[str, Any]:
        """The attributes the peer chose to share, and nothing else: the only door through
        which matching and pages read a profile. Empty values are left out."""
        out: dict[str, Any] = {}
        for name in SHAREABLE:
            if getattr(self, f"share_{name}"):
                value = getattr(self, name)
                if value:
                    out[name] = list(value) if isinstance(value, list) else value
        return out


class CaseloadLimit(PublicModel):
    """How many persons served a peer may carry: per program, or the default row (no program)
    for everyone else (the first such row). Rules are data (DESIGN.md rule 8): the default ships
    by data migration."""

    program = reference_link(Program, related_name="caseload_limit", one_to_one=True)
    max_persons = models.PositiveIntegerField(default=DEFAULT_CASELOAD_LIMIT)
    source = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["program__name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(max_persons__gte=1), name="caseload_limit_at_least_one"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.program or 'Default'}: {self.max_persons}"


class MatchStatus(models.TextChoices):
    OPEN = "open", "Open: no peer with room yet"
    OFFERED = "offered", "Peers offered"
    CHOSEN = "chosen", "Chosen by the person"
    CANCELLED = "cancelled", "Withdrawn or cancelled"


class MatchRequest(OrganizationOwned, Part2Labelled, PublicModel):
    """A person served's request for a peer, with the preferences they stated; ends when the
    person chooses (recorded by the staff member with them) or the request is withdrawn."""

    organization_from = ("person",)

    PART2_KIND = "recovery"
    PART2_MOMENT = "requested_at"

    person = models.ForeignKey(
        PersonServed, on_delete=models.PROTECT, related_name="peer_match_requests"
    )
    requested_by = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField()
    # What the person asked for, in the attribute names of SHAREABLE (except intro).
    preferences = models.JSONField(default=dict, blank=True)
    note = models.TextField(max_length=500, blank=True)
    status = models.CharField(max_length=12, choices=MatchStatus.choices, default=MatchStatus.OPEN)
    offered_at = models.DateTimeField(null=True, blank=True)
    chosen_peer = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    chosen_at = models.DateTimeField(null=True, blank=True)
    choice_recorded_by = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The staff member confirms that the person made the choice themself.
    chosen_by_person = models.BooleanField(default=False)
    assignment = models.ForeignKey(
        CaseloadAssignment, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        indexes = [models.Index(fields=["status", "requested_at"])]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="chosen")
                | Q(chosen_peer__isnull=False, chosen_at__isnull=False, chosen_by_person=True),
                name="match_chosen_names_peer",
            ),
        ]

    def __str__(self) -> str:
        return f"Peer request for {self.person} ({self.get_status_display()})"

    @property
    def is_active(self) -> bool:
        return self.status in (MatchStatus.OPEN, MatchStatus.OFFERED)


class MatchCandidate(OrganizationOwned, PublicModel, part_of="request"):
    """A peer offered on a request, by rank. Holds no copy of the profile: the page reads the
    peer's shared attributes as they are now."""

    request = models.ForeignKey(MatchRequest, on_delete=models.PROTECT, related_name="candidates")
    peer = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    rank = models.PositiveSmallIntegerField()
    offered_at = models.DateTimeField()

    class Meta:
        ordering = ["request_id", "rank"]
        constraints = [
            unique_in_organization("request", "peer", name="match_candidate_once"),
        ]

    def __str__(self) -> str:
        return f"{self.peer} (#{self.rank})"
