"""The roles Pillars knows.

The codes are fixed because policies name them; everything else about a role (its label, whether
it must use two-factor sign-in, whether it may break the glass, whether it sees the whole
organization) is data in ``people.Role`` that an administrator can change.
"""

from __future__ import annotations

from django.db import models


class RoleCode(models.TextChoices):
    BHT = "bht", "Behavioral health technician"
    NURSE = "nurse", "Nurse (shift lead)"
    CLINICIAN = "clinician", "Clinician"
    PEER = "peer", "Peer support specialist"
    SUPERVISOR = "supervisor", "Supervisor"
    DIRECTOR = "director", "Program director"
    PRIVACY = "privacy", "Privacy officer"
    ADMIN = "admin", "Administrator"


# Defaults loaded into people.Role by a data migration (DESIGN.md "Who uses it").
ROLE_DEFAULTS: dict[str, dict[str, bool]] = {
    RoleCode.BHT: {"requires_two_factor": False, "may_break_glass": False, "is_org_wide": False},
    RoleCode.NURSE: {"requires_two_factor": False, "may_break_glass": True, "is_org_wide": False},
    RoleCode.CLINICIAN: {
        "requires_two_factor": False,
        "may_break_glass": True,
        "is_org_wide": False,
    },
    RoleCode.PEER: {"requires_two_factor": False, "may_break_glass": False, "is_org_wide": False},
    RoleCode.SUPERVISOR: {
        "requires_two_factor": False,
        "may_break_glass": False,
        "is_org_wide": False,
    },
    RoleCode.DIRECTOR: {"requires_two_factor": True, "may_break_glass": False, "is_org_wide": True},
    RoleCode.PRIVACY: {"requires_two_factor": True, "may_break_glass": False, "is_org_wide": True},
    RoleCode.ADMIN: {"requires_two_factor": True, "may_break_glass": False, "is_org_wide": False},
}
