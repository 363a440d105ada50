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
