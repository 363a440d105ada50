"""Who may read the audit log: the privacy officer."""

from pillars.core.policy import rule
from pillars.core.roles import RoleCode

ACTIONS = {
    "audit.view_report": rule(RoleCode.PRIVACY, description="read and filter the audit report"),
    "audit.export": rule(RoleCode.PRIVACY, description="export the audit report as CSV"),
    "audit.verify": rule(
        RoleCode.PRIVACY, scope="write", description="run the audit chain verifier"
    ),
}
