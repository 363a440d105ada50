"""Who may see and do what with credentials and CE hours.

A staff member sees and records their own; their supervisor reads them; administrators record
for anyone, verify and waive; the director reads everyone's and the compliance overview. The
evidence files themselves are for the owner, their supervisor and administrators only.
Everybody else is refused (403); a credential outside the reader's reach answers 404.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from pillars.core import policy
from pillars.core.policy import Actor, rule
from pillars.core.policy_shared import checked_writes, own_or_supervisee, own_or_supervisee_q
from pillars.core.roles import RoleCode as R
from pillars.people.models import Staff
from pillars.workforce.models.credentials import CeRecord, Credential

EVERY_STAFF_ROLE = tuple(R)
LEADERS = (R.ADMIN, R.DIRECTOR)


def staff_id_of(obj: Any) -> int | None:
    if isinstance(obj, Staff):
        return obj.pk
    return getattr(obj, "staff_id", None)


def is_self(actor: Actor, obj: Any) -> bool:
    sid = staff_id_of(obj)
    return sid is None or sid == actor.staff_id


def self_or_admin(actor: Actor, obj: Any) -> bool:
    return actor.has_role(R.ADMIN) or is_self(actor, obj)


# A staff member records their own (credentials, CE hours, trainings); an administrator anyone's.
record_own = checked_writes(self_or_admin)


def may_read(actor: Actor, obj: Any) -> bool:
    """Own records, a supervisee's, or any for an administrator or the director."""
    sid = staff_id_of(obj)
    return sid is None or actor.has_role(*LEADERS) or own_or_supervisee(actor, sid)


def may_download(actor: Actor, obj: Any) -> bool:
    """Evidence files: the owner, their supervisor, or an administrator (the director reads
    the records, not the scans)."""
    sid = staff_id_of(obj)
    return actor.has_role(R.ADMIN) or own_or_supervisee(actor, sid)


def restrict_by_staff(actor: Actor, qs: QuerySet[Any]) -> QuerySet[Any]:
    if actor.has_role(*LEADERS):
        return qs
    return qs.filter(own_or_supervisee_q(actor))


ACTIONS = {
    "workforce.view_own_credentials": rule(
        *EVERY_STAFF_ROLE, description="see one's own credentials, CE hours and trainings"
    ),
    "workforce.view_credentials": rule(
        *EVERY_STAFF_ROLE,
        check=may_read,
        description="see a staff member's credentials (self, their supervisor, leaders)",
    ),
    "workforce.record_credential": record_own(
        *EVERY_STAFF_ROLE,
        description="record a credential with its evidence (one's own, or an administrator)",
    ),
    "workforce.record_ce": record_own(
        *EVERY_STAFF_ROLE,
        description="record continuing-education hours (one's own, or an administrator)",
    ),
    "workforce.download_evidence": rule(
        *EVERY_STAFF_ROLE,
        check=may_download,
        description="download the evidence of a credential, CE hours or training (the owner, "
        "their supervisor, administrators)",
    ),
    "workforce.verify_credential": rule(
        R.ADMIN, scope="write", description="verify a credential or waive it for a time"
    ),
    "workforce.view_compliance": rule(
        *LEADERS, description="the credential and training compliance overview and its export"
    ),
}


def install() -> None:
    policy.register(ACTIONS)
    for model in (Credential, CeRecord):
        policy.register_scope(model, visible=may_read, restrict=restrict_by_staff)
