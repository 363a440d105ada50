"""Supervision (DESIGN.md "workforce"; issue 15 "Supervision").

A session is held by a supervisor with one supervisee (individual) or several (group), is
administrative, supportive or clinical, face-to-face or not, and is signed by the supervisor and
by each supervisee; once every signature is in it is never changed (DESIGN.md rule 2): an
addendum corrects it. Action items raised in a session stay on the supervisee's agenda until a
later session closes them; drift items (the drift area) land on the same agenda.

Rules are data an administrator edits: how often supervision is due (``CadenceRule``), the
certification thresholds the supervised-hours ledger counts toward (``CertificationRule``), who
may supervise whom (``SupervisionEligibility``) and how many supervisees one supervisor may
carry (``SupervisorLoadLimit``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from pillars.core.model_constraints import unique_in_organization
from pillars.core.models import PublicModel
from pillars.core.roles import RoleCode
from pillars.core.versioning import VersionedRule, versioned_constraints
from pillars.people.models import Addendum, Staff
from pillars.people.tenancy import OrganizationOwned

__all__ = [
    "ActionItem",
    "AgendaItem",
    "AgendaSource",
    "CadenceRule",
    "CadenceState",
    "CertificationRule",
    "CertificationStatus",
    "SessionAddendum",
    "SessionAttendee",
    "SupervisedWorkHours",
    "SupervisionEligibility",
    "SupervisionKind",
    "SupervisionProfile",
    "SupervisionSession",
    "SupervisorLoadLimit",
    "VerificationLetter",
]


class SupervisionKind(models.TextChoices):
    ADMINISTRATIVE = "administrative", "Administrative"
    SUPPORTIVE = "supportive", "Supportive"
    CLINICAL = "clinical", "Clinical"


class CertificationStatus(models.TextChoices):
    """Where a staff member stands with their role's certification (drives the cadence)."""

    INITIAL = "initial", "Working toward initial certification"
    CERTIFIED = "certified", "Certified"
    NOT_APPLICABLE = "not_applicable", "No certification for this role"


# --- Rules as data ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CadenceState:
    """Where one supervisee stands against their cadence rule at a moment."""

    status: str  # "on_cadence", "due_soon", "overdue" or "no_rule"
    due_at: datetime | None
    last_session_at: datetime | None
    sessions_in_window: int
    face_to_face_minutes_in_window: int

    @property
    def label(self) -> str:
        return {
            "on_cadence": "On cadence",
            "due_soon": "Due soon",
            "overdue": "Overdue",
            "no_rule": "No cadence rule",
        }[self.status]

    @property
    def is_overdue(self) -> bool:
        return self.status == "overdue"


class CadenceRule(VersionedRule, PublicModel):
    """How often supervision is due: in every window of ``period_days`` days, at least
    ``min_sessions`` signed sessions and at least ``min_face_to_face_minutes`` minutes of them
    face to face. The days are the supervisee's own (their unit's zone, DESIGN.md rule 1): a
    week runs seven days on their clock, across a change of clocks, and the first one starts
    at the beginning of their hire day there, not UTC's. A rule applies to a role (blank: any)
    and a certification status (blank: any); the most specific active current rule wins, and
    a staff member's profile may name one outright (by its code: the current version
    applies). A change of meaning makes the next version (core.versioning,
    ``revise_cadence_rule``); the rules shipped are version 1.

    Shipped defaults (DESIGN.md "Facts and defaults"): peers weekly during initial certification
    (one state's rule) and monthly after; the rule of another state, at least one hour face to
    face every week, ships inactive for an administrator to switch on."""

    code = models.SlugField(max_length=40)
    name = models.CharField(max_length=120)
    role = models.CharField(max_length=20, blank=True, help_text="Role code; blank: any role.")
    certification_status = models.CharField(
        max_length=16, choices=CertificationStatus.choices, blank=True
    )
    period_days = models.PositiveSmallIntegerField(default=7)
    min_sessions = models.PositiveSmallIntegerField(default=1)
    min_face_to_face_minutes = models.PositiveIntegerField(default=0)
    due_soon_days = models.PositiveSmallIntegerField(default=2)
    source = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(null=True, blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["code", "version"]
        constraints = [
            *versioned_constraints(
                version_name="cadence_rule_version_unique",
                current_name="cadence_rule_current_unique",
            ),
            models.CheckConstraint(
                condition=Q(period_days__gte=1) & Q(min_sessions__gte=0),
                name="cadence_rule_sane",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        """A window of at least a day, with "due soon" starting inside it."""
        if self.period_days is None or self.period_days < 1:
            raise ValidationError({"period_days": "A window is at least one day."})
        if self.due_soon_days is not None and self.due_soon_days >= self.period_days:
            raise ValidationError({"due_soon_days": "'Due soon' must start inside the window."})

    def specificity(self) -> int:
        return (2 if self.role else 0) + (1 if self.certification_status else 0)

    def applies_to(self) -> str:
        """Whom the rule is for, in words: "Peer support specialist, certified"."""
        role = dict(RoleCode.choices).get(self.role, self.role) if self.role else "Any role"
        status = self.get_certification_status_display() if self.certification_status else ""
        return f"{role}, {status.lower()}" if status else str(role)

    def describe(self) -> str:
        """What the rule asks, in words: "At least 1 signed session every 7 days"."""
        sessions = "session" if self.min_sessions == 1 else "sessions"
        text = f"At least {self.min_sessions} signed {sessions} every {self.period_days} days"
        if self.min_face_to_face_minutes:
            text += f", {self.min_face_to_face_minutes} minutes of them face to face"
        return text

    def state_at(
        self,
        now: datetime,
        sessions: list[tuple[datetime, int, bool]],
        anchor: datetime,
        zone: tzinfo,
    ) -> CadenceState:
        """The cadence at ``now`` from the supervisee's signed sessions, as (started_at,
        minutes, face_to_face). Each requirement fails once the window no longer holds enough
        sessions (or face-to-face minutes); ``due_at`` is the first moment one of them fails:
        the oldest session still needed, plus the period. With too few sessions ever, the
        window counts from ``anchor`` (the start of the hire day, or when the rule began to
        apply). Days are counted on the clock of ``zone``, the supervisee's: a session at 20:00
        on a Sunday in Chicago is due again at 20:00 the next Sunday there, though the clocks
        went back in between. Moments come back in UTC."""

        def shifted(moment: datetime, days: int) -> datetime:
            # Aware arithmetic moves the local wall clock; compared only once back in UTC.
            return (moment.astimezone(zone) + timedelta(days=days)).astimezone(UTC)

        period = self.period_days
        past = sorted((s for s in sessions if s[0] <= now), key=lambda s: s[0], reverse=True)
        window = [s for s in past if s[0] > shifted(now, -period)]
        due_moments: list[datetime] = []
        if self.min_sessions:
            if len(past) >= self.min_sessions:
                due_moments.append(shifted(past[self.min_sessions - 1][0], period))
            else:
                due_moments.append(shifted(anchor, period))
        if self.min_face_to_face_minutes:
            total, needed_from = 0, None
            for started, minutes, face in past:
                if face:
                    total += minutes
                    if total >= self.min_face_to_face_minutes:
                        needed_from = started
                        break
            due_moments.append(shifted(needed_from or anchor, period))
        due_at = min(due_moments) if due_moments else None
        if due_at is None:
            status = "on_cadence"
        elif now >= due_at:
            status = "overdue"
        elif now >= shifted(due_at, -self.due_soon_days):
            status = "due_soon"
        else:
            status = "on_cadence"
        return CadenceState(
            status=status,
            due_at=due_at,
            last_session_at=past[0][0] if past else None,
            sessions_in_window=len(window),
            face_to_face_minutes_in_window=sum(m for _, m, face in window if face),
        )


class CertificationRule(PublicModel):
    """A certification threshold the supervised-hours ledger counts toward: hours within a
    number of years (counted back from today) and a number of verification letters. A letter
    counts toward the rule when it was signed for this rule and verifies hours that end inside
    the window; ``letters_required`` is a number of supervisors, each vouching for the hours,
    so a second letter from the same supervisor adds hours verified, not a letter.

    Shipped (DESIGN.md): NCPS today, 2,000 supervised hours within 5 years and three letters;
    the older NCPS rule, 3,000 hours within 6 years, kept as a legacy rule. A state's initial
    hours are added by an administrator as another row."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=120)
    certifying_body = models.CharField(max_length=160, blank=True)
    hours_required = models.DecimalField(max_digits=7, decimal_places=1)
    within_years = models.PositiveSmallIntegerField(null=True, blank=True)
    letters_required = models.PositiveSmallIntegerField(default=0)
    is_legacy = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    source = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["is_legacy", "code"]
        constraints = [
            models.CheckConstraint(condition=Q(hours_required__gt=0), name="cert_rule_hours")
        ]

    def __str__(self) -> str:
        return f"{self.name} (legacy)" if self.is_legacy else self.name

    def window_start(self, today: date) -> date | None:
        if self.within_years is None:
            return None
        try:
            return today.replace(year=today.year - self.within_years)
        except ValueError:  # 29 February
            return today.replace(year=today.year - self.within_years, day=28)


class SupervisionEligibility(PublicModel):
    """Who may supervise whom: a supervisor holding ``supervisor_role`` may supervise staff
    holding ``supervisee_role`` (blank: anyone), provided the supervisor is certified (when
    ``requires_certification``) and has at least ``min_years`` years since hire. Federal
    guidance since 2024 lets experienced peers supervise peers; each state sets the terms,
    so the terms are this row."""

    supervisor_role = models.CharField(max_length=20)
    supervisee_role = models.CharField(max_length=20, blank=True)
    requires_certification = models.BooleanField(default=False)
    min_years = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(default=True)
    source = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["supervisor_role", "supervisee_role"]
        verbose_name_plural = "supervision eligibility rules"

    def __str__(self) -> str:
        whom = self.supervisee_role or "anyone"
        return f"{self.supervisor_role} may supervise {whom}"


class SupervisorLoadLimit(PublicModel):
    """The most supervisees of one role a supervisor may carry (DESIGN.md: one payer caps a
    supervisor at 8 peers)."""

    supervisee_role = models.CharField(max_length=20, unique=True)
    max_supervisees = models.PositiveSmallIntegerField(default=8)
    source = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["supervisee_role"]
        constraints = [
            models.CheckConstraint(condition=Q(max_supervisees__gte=1), name="load_limit_sane")
        ]

    def __str__(self) -> str:
        return f"At most {self.max_supervisees} {self.supervisee_role} supervisees"


class SupervisionProfile(OrganizationOwned, PublicModel):
    """A staff member's supervision facts: certification status (which picks the cadence),
    an optional cadence rule that overrides the role's, and the certification the ledger counts
    toward."""

    organization_from = ("staff",)

    staff = models.OneToOneField(Staff, on_delete=models.PROTECT, related_name="supervision")
    status = models.CharField(
        max_length=16, choices=CertificationStatus.choices, default=CertificationStatus.INITIAL
    )
    cadence_rule = models.ForeignKey(
        CadenceRule, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    target = models.ForeignKey(
        CertificationRule, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    cadence_since = models.DateTimeField(null=True, blank=True)
    # The overdue sweep's claim: the due moment it last alerted for, so each lapse alerts once.
    alerted_due_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Supervision profile of {self.staff}"


# --- Sessions --------------------------------------------------------------------------------

# A session is usually written up the day it is held; after a day, it is a late entry.
LATE_ENTRY_AFTER = timedelta(hours=24)


class SupervisionSession(OrganizationOwned, PublicModel):
    """One supervision session. Signed when the supervisor and every supervisee have signed;
    from then on only an addendum changes what it says."""

    organization_from = ("supervisor",)

    supervisor = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=16, choices=SupervisionKind.choices)
    is_group = models.BooleanField(default=False)
    is_face_to_face = models.BooleanField(default=True)
    started_at = models.DateTimeField()
    minutes = models.PositiveIntegerField()
    topics = models.JSONField(default=list, blank=True)
    notes = models.TextField(blank=True)
    recorded_by = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()
    supervisor_signed_at = models.DateTimeField(null=True, blank=True)
    signed_at = models.DateTimeField(null=True, blank=True)  # when the last signature came in
    client_id = models.UUIDField(null=True, blank=True, unique=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["supervisor", "started_at"])]
        constraints = [
            models.CheckConstraint(condition=Q(minutes__gte=1), name="session_has_minutes")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} supervision {self.started_at:%Y-%m-%d}"

    @property
    def is_signed(self) -> bool:
        return self.signed_at is not None

    @property
    def hours(self) -> Decimal:
        return (Decimal(self.minutes) / Decimal(60)).quantize(Decimal("0.01"))

    @property
    def is_late_entry(self) -> bool:
        """Entered more than ``LATE_ENTRY_AFTER`` after the session ended: a session counts
        toward the cadence and the supervised-hours ledger, so one written up late (back-filled)
        is flagged wherever it is shown (DESIGN.md rule 1), never hidden."""
        ended = self.started_at + timedelta(minutes=self.minutes)
        return self.recorded_at - ended > LATE_ENTRY_AFTER


class SessionAttendee(OrganizationOwned, models.Model):
    """A supervisee in a session, with their own signature."""

    organization_from = ("session",)

    session = models.ForeignKey(
        SupervisionSession, on_delete=models.PROTECT, related_name="attendees"
    )
    supervisee = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [unique_in_organization("session", "supervisee", name="one_attendance")]
        indexes = [models.Index(fields=["supervisee", "session"])]

    def __str__(self) -> str:
        return f"{self.supervisee_id} in {self.session_id}"


class SessionAddendum(Addendum):
    """A correction to a signed session; the session stays as it was signed."""

    organization_from = ("session",)

    session = models.ForeignKey(
        SupervisionSession, on_delete=models.PROTECT, related_name="addenda"
    )

    def __str__(self) -> str:
        return f"Addendum {self.written_at:%Y-%m-%d}"


class ActionItem(OrganizationOwned, PublicModel):
    """Something agreed in a session for one supervisee; open until a later session closes it,
    and shown on every next session's agenda until then."""

    organization_from = ("supervisee",)

    raised_in = models.ForeignKey(
        SupervisionSession, on_delete=models.PROTECT, related_name="action_items"
    )
    supervisee = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    text = models.CharField(max_length=300)
    closed_in = models.ForeignKey(
        SupervisionSession, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["supervisee", "closed_at"])]

    def __str__(self) -> str:
        return self.text

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class AgendaSource(models.TextChoices):
    DRIFT = "drift", "Role drift"
    CASELOAD = "caseload", "Caseload"
    OTHER = "other", "Other"


class AgendaItem(OrganizationOwned, PublicModel):
    """An item waiting for a supervisee's next session (a drift threshold crossed, ...);
    the next session recorded with the supervisee takes it up (``addressed_in``).
    ``dedupe_key`` makes a second writer's insert fail, so an item lands once."""

    organization_from = ("supervisee",)

    supervisee = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    source = models.CharField(max_length=12, choices=AgendaSource.choices)
    text = models.CharField(max_length=300)
    detail = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()
    addressed_in = models.ForeignKey(
        SupervisionSession, null=True, blank=True, on_delete=models.PROTECT, related_name="agenda"
    )
    dedupe_key = models.CharField(max_length=200, unique=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["supervisee", "addressed_in"])]

    def __str__(self) -> str:
        return self.text


# --- The supervised-hours ledger -------------------------------------------------------------


class SupervisedWorkHours(OrganizationOwned, PublicModel):
    """Hours worked under supervision (the certifying bodies count supervised work, not only
    supervision sessions), recorded by the supervisor who supervised them."""

    organization_from = ("staff",)

    staff = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    supervisor = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    period_start = models.DateField()
    period_end = models.DateField()
    hours = models.DecimalField(max_digits=6, decimal_places=1)
    note = models.CharField(max_length=300, blank=True)
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["-period_end", "-id"]
        indexes = [models.Index(fields=["staff", "period_end"])]
        constraints = [
            models.CheckConstraint(condition=Q(hours__gt=0), name="work_hours_positive"),
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")),
                name="work_hours_period_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.hours} h {self.period_start}..{self.period_end}"


class VerificationLetter(OrganizationOwned, PublicModel):
    """A supervisor's signed letter verifying a supervisee's supervised hours for a certifying
    body; the figures are fixed when it is signed and the printed copy is drawn from them."""

    organization_from = ("staff",)

    staff = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    supervisor = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    rule = models.ForeignKey(CertificationRule, on_delete=models.PROTECT, related_name="+")
    period_start = models.DateField()
    period_end = models.DateField()
    session_hours = models.DecimalField(max_digits=7, decimal_places=2)
    work_hours = models.DecimalField(max_digits=7, decimal_places=1)
    supervisor_credential = models.CharField(max_length=100)
    statement = models.TextField()
    signed_at = models.DateTimeField()

    class Meta:
        ordering = ["-signed_at", "-id"]

    def __str__(self) -> str:
        return f"Verification letter {self.signed_at:%Y-%m-%d}"

    @property
    def total_hours(self) -> Decimal:
        return self.session_hours + self.work_hours
