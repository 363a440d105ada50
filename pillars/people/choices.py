from django.db import models


class UnitKind(models.TextChoices):
    ACUTE_ADULT = "acute_adult", "Acute adult"
    ADOLESCENT = "adolescent", "Adolescent acute"
    CRISIS = "crisis", "Crisis stabilization"
    RESIDENTIAL = "residential", "Residential"
    COMMUNITY = "community", "Outpatient / community"


class ExitReason(models.TextChoices):
    """Why a staff member left: the categories turnover reports group by."""

    RESIGNED_PAY = "resigned_pay", "Resigned: pay"
    RESIGNED_BURNOUT = "resigned_burnout", "Resigned: burnout or stress"
    RESIGNED_SCHEDULE = "resigned_schedule", "Resigned: schedule"
    RESIGNED_CAREER = "resigned_career", "Resigned: career move or school"
    RESIGNED_OTHER = "resigned_other", "Resigned: other"
    RELOCATED = "relocated", "Relocated"
    TERMINATED = "terminated", "Ended by the organization"
    END_OF_CONTRACT = "end_of_contract", "End of contract"
    RETIRED = "retired", "Retired"


class CaseloadKind(models.TextChoices):
    PEER = "peer", "Peer support"
    PRIMARY_TECH = "primary_tech", "Primary technician"
    CLINICIAN = "clinician", "Clinician"
    CASE_MANAGER = "case_manager", "Case manager"


class Disposition(models.TextChoices):
    HOME = "home", "Home or self-care"
    STEP_DOWN = "step_down", "Step-down or residential program"
    OTHER_FACILITY = "other_facility", "Another facility"
    AGAINST_ADVICE = "against_advice", "Left against advice"
    OTHER = "other", "Other"


class ReviewFinding(models.TextChoices):
    APPROPRIATE = "appropriate", "Appropriate"
    INAPPROPRIATE = "inappropriate", "Inappropriate: refer for follow-up"


class AlertKind(models.TextChoices):
    """What an alert in a staff member's inbox is about. One list for every app: an app that
    raises a new kind of alert adds its kind here (the values are stored, never renamed)."""

    CHECK_DUE = "check_due", "Check due"
    ESCALATION = "escalation", "Check overdue"
    COVERAGE_LAPSE = "coverage_lapse", "1:1 coverage lapsed"
    LIGATURE = "ligature", "Ligature risk in room"
    CHECK_NOT_SAFE = "check_not_safe", "Check not safe"
    EMERGENCY = "emergency", "Emergency not acknowledged"
    OTHER = "other", "Other"
