"""The supervision, drift and caseload rules in the admin (administrators only, every save
audited through people.services.save_reference, nothing deleted). Registered from the areas'
``install`` so the shared ``admin.py`` stays each area's to fill."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from pillars.people.admin import ReferenceAdmin
from pillars.people.reference_admins import register_reference_admins
from pillars.workforce.models.caseloads import CaseloadKindLimit
from pillars.workforce.models.drift import DriftThreshold
from pillars.workforce.models.supervision import (
    CadenceRule,
    CertificationRule,
    SupervisionEligibility,
    SupervisorLoadLimit,
)


class CadenceRuleAdmin(ReferenceAdmin):
    list_display = [
        "name",
        "role",
        "certification_status",
        "period_days",
        "min_sessions",
        "min_face_to_face_minutes",
        "version",
        "is_current",
        "is_active",
    ]
    list_filter = ["is_active", "is_current", "role"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # Sessions were judged by the version in force: a change of meaning is a new version
        # (workforce.services.supervision.revise_cadence_rule), not an edit in place.
        if obj is None:
            return ["version", "is_current", "created_at"]
        return [
            "code",
            "version",
            "is_current",
            "created_at",
            "role",
            "certification_status",
            "period_days",
            "min_sessions",
            "min_face_to_face_minutes",
        ]


class CertificationRuleAdmin(ReferenceAdmin):
    list_display = [
        "name",
        "hours_required",
        "within_years",
        "letters_required",
        "is_legacy",
        "is_active",
    ]


class EligibilityAdmin(ReferenceAdmin):
    list_display = [
        "supervisor_role",
        "supervisee_role",
        "requires_certification",
        "min_years",
        "is_active",
    ]


class LoadLimitAdmin(ReferenceAdmin):
    list_display = ["supervisee_role", "max_supervisees", "source"]


class DriftThresholdAdmin(ReferenceAdmin):
    list_display = ["label", "metric", "limit", "min_notes", "is_active"]


class KindLimitAdmin(ReferenceAdmin):
    list_display = ["kind", "max_persons", "source"]


def register() -> None:
    register_reference_admins(
        (CadenceRule, CadenceRuleAdmin),
        (CertificationRule, CertificationRuleAdmin),
        (SupervisionEligibility, EligibilityAdmin),
        (SupervisorLoadLimit, LoadLimitAdmin),
        (DriftThreshold, DriftThresholdAdmin),
        (CaseloadKindLimit, KindLimitAdmin),
    )
