"""The insights summary tables: derived figures per unit and hour (and per unit and local day),
never edited by hand. Everything here can be recomputed from the other apps' records
(``pillars insights rebuild``); the sweep keeps it current within a minute (``sweeps.py``).

Every figure is an additive count or a sum (seconds, not rounded hours), so a program's,
site's or organization's figure is the sum of its units' rows, a day the sum of its hours and a
month the sum of its days, with no rounding carried between them.
"""

from __future__ import annotations

from django.db import models

from pillars.core.model_constraints import unique_in_organization
from pillars.people.models import Unit
from pillars.people.tenancy import OrganizationOwned


class Figures(models.Model):
    """The counters a bucket holds (see ``compute.py`` for how each is counted)."""

    # Rounds: every due check is on time, late (within the grace) or missed.
    checks_done = models.PositiveIntegerField(default=0)
    checks_due = models.PositiveIntegerField(default=0)
    checks_on_time = models.PositiveIntegerField(default=0)
    checks_late = models.PositiveIntegerField(default=0)
    checks_missed = models.PositiveIntegerField(default=0)
    late_entries = models.PositiveIntegerField(default=0)
    backfilled = models.PositiveIntegerField(default=0)
    check_addenda = models.PositiveIntegerField(default=0)
    escalations = models.PositiveIntegerField(default=0)
    escalations_answered = models.PositiveIntegerField(default=0)
    escalation_answer_seconds = models.BigIntegerField(default=0)
    # Census in seconds by age stratum (HBIPS strata: 1-12, 13-17, 18-64, 65+).
    patient_seconds_child = models.BigIntegerField(default=0)
    patient_seconds_adolescent = models.BigIntegerField(default=0)
    patient_seconds_adult = models.BigIntegerField(default=0)
    patient_seconds_older = models.BigIntegerField(default=0)
    restraint_seconds_child = models.BigIntegerField(default=0)
    restraint_seconds_adolescent = models.BigIntegerField(default=0)
    restraint_seconds_adult = models.BigIntegerField(default=0)
    restraint_seconds_older = models.BigIntegerField(default=0)
    seclusion_seconds_child = models.BigIntegerField(default=0)
    seclusion_seconds_adolescent = models.BigIntegerField(default=0)
    seclusion_seconds_adult = models.BigIntegerField(default=0)
    seclusion_seconds_older = models.BigIntegerField(default=0)
    restraint_starts = models.PositiveIntegerField(default=0)
    seclusion_starts = models.PositiveIntegerField(default=0)
    # Incidents (submitted or later) by type; the shift is the bucket's local hour.
    incidents = models.PositiveIntegerField(default=0)
    incidents_with_injury = models.PositiveIntegerField(default=0)
    incidents_aggression_staff = models.PositiveIntegerField(default=0)
    incidents_aggression_peer = models.PositiveIntegerField(default=0)
    incidents_self_harm = models.PositiveIntegerField(default=0)
    incidents_suicide_attempt = models.PositiveIntegerField(default=0)
    incidents_elopement = models.PositiveIntegerField(default=0)
    incidents_fall = models.PositiveIntegerField(default=0)
    incidents_contraband = models.PositiveIntegerField(default=0)
    incidents_medication_refusal = models.PositiveIntegerField(default=0)
    incidents_sexual_safety = models.PositiveIntegerField(default=0)
    incidents_property_damage = models.PositiveIntegerField(default=0)
    incidents_other = models.PositiveIntegerField(default=0)
    # Recovery.
    peer_encounters = models.PositiveIntegerField(default=0)
    peer_encounter_minutes = models.PositiveIntegerField(default=0)
    referrals_closed = models.PositiveIntegerField(default=0)
    referral_close_seconds = models.BigIntegerField(default=0)
    barc_changes = models.PositiveIntegerField(default=0)
    # Sum of the change in BARC-10 total since the person's previous assessment, in hundredths.
    barc_change_hundredths = models.BigIntegerField(default=0)

    class Meta:
        abstract = True


FIGURES: tuple[str, ...] = tuple(f.name for f in Figures._meta.fields)


class UnitFigures(OrganizationOwned, Figures):
    """One unit's figures for one time bucket (an hour or a day; the subclass names it)."""

    organization_from = ("unit",)

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+")

    class Meta:
        abstract = True


class UnitHour(UnitFigures):
    """One unit's figures for one UTC hour (``hour`` is the hour's start)."""

    hour = models.DateTimeField()

    class Meta:
        constraints = [unique_in_organization("unit", "hour", name="insights_unit_hour_unique")]
        indexes = [models.Index(fields=["hour"], name="insights_unithour_hour")]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.hour:%Y-%m-%d %H:00}"


class UnitDay(UnitFigures):
    """One unit's figures for one day in the unit's own zone: the sum of its hours."""

    day = models.DateField()

    class Meta:
        constraints = [unique_in_organization("unit", "day", name="insights_unit_day_unique")]
        indexes = [models.Index(fields=["day"], name="insights_unitday_day")]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.day}"


class SweepCursor(models.Model):
    """Where the summary sweep stopped: the last audit event it read in each audit lane (a lane's
    ``seq`` is assigned under its head's lock, held until commit, so a smaller one can never
    commit later in the same lane) and the moment of its last pass (time alone moves open
    figures: missed checks, census, restraint)."""

    lanes = models.JSONField(default=dict, help_text="Lane number to the last seq read in it.")
    swept_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"insights sweep at {self.lanes}"

    def read(self, lane: int) -> int:
        return int(self.lanes.get(str(lane), 0))


from pillars.insights.fhir.models import *  # noqa: E402, F403
