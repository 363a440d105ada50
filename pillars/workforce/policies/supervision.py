"""Who may see and do what in supervision.

A staff member sees their own supervision (sessions they were in, their ledger and letters);
a supervisor sees their supervisees'; the director sees everyone's. Anyone else: the record is
out of scope (404) or the action is not theirs (403). Only a supervisor records a session, and
only with their own supervisees; each signer signs for themselves; the ledger's hours and
letters are the supervisor's to record and sign.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from pillars.core import policy
from pillars.core.policy import Actor, rule
from pillars.core.policy_shared import checked_writes, own_or_supervisee, own_or_supervisee_q
from pillars.core.roles import RoleCode as R
from pillars.people.models import Staff
from pillars.workforce.models.supervision import (
    ActionItem,
    SupervisedWorkHours,
    SupervisionSession,
    VerificationLetter,
)

# Every role that works with people may be supervised or supervise (a clinician supervising
# peers, a senior peer supervising peers); privacy and admin hold no supervision record.
STAFF_ROLES = (R.BHT, R.NURSE, R.CLINICIAN, R.PEER, R.SUPERVISOR, R.DIRECTOR)


def is_own_or_supervised(actor: Actor, staff: Any) -> bool:
    """The staff member is the actor, one of the actor's supervisees, or the actor is
    org-wide (the director)."""
    if not isinstance(staff, Staff):
        return True
    return actor.is_org_wide or own_or_supervisee(actor, staff.pk)


def supervises(actor: Actor, staff: Any) -> bool:
    if not isinstance(staff, Staff):
        return bool(actor.supervisee_staff_ids)
    return staff.pk in actor.supervisee_staff_ids


def supervises_or_org_wide(actor: Actor, staff: Any) -> bool:
    """The actor supervises the staff member, or reads everyone's (the director)."""
    return actor.is_org_wide or supervises(actor, staff)


# A supervisor's writes about their supervisees' hours and letters.
_supervisor_write = checked_writes(supervises)


def _session_people(session: SupervisionSession) -> set[int]:
    return {a.supervisee_id for a in session.attendees.all()}


def _session_visible(actor: Actor, session: SupervisionSession) -> bool:
    if actor.is_org_wide or session.supervisor_id == actor.staff_id:
        return True
    people = _session_people(session)
    return actor.staff_id in people or bool(people & actor.supervisee_staff_ids)


def _restrict_sessions(actor: Actor, qs: QuerySet[Any]) -> QuerySet[Any]:
    if actor.is_org_wide:
        return qs
    return qs.filter(
        Q(supervisor_id=actor.staff_id) | own_or_supervisee_q(actor, "attendees__supervisee_id")
    ).distinct()


def _may_sign(actor: Actor, session: Any) -> bool:
    if not isinstance(session, SupervisionSession):
        return True
    if session.is_signed:
        return False
    if session.supervisor_id == actor.staff_id:
        return session.supervisor_signed_at is None
    return any(
        a.supervisee_id == actor.staff_id and a.signed_at is None for a in session.attendees.all()
    )


def _in_session(actor: Actor, session: Any) -> bool:
    if not isinstance(session, SupervisionSession):
        return True
    return session.supervisor_id == actor.staff_id or actor.staff_id in _session_people(session)


def _is_session_supervisor(actor: Actor, session: Any) -> bool:
    if not isinstance(session, SupervisionSession):
        return bool(actor.supervisee_staff_ids)
    return session.supervisor_id == actor.staff_id


def _ledger_row_visible(actor: Actor, row: Any) -> bool:
    return (
        actor.is_org_wide
        or own_or_supervisee(actor, row.staff_id)
        or row.supervisor_id == actor.staff_id
    )


def _restrict_ledger_rows(actor: Actor, qs: QuerySet[Any]) -> QuerySet[Any]:
    if actor.is_org_wide:
        return qs
    return qs.filter(own_or_supervisee_q(actor) | Q(supervisor_id=actor.staff_id))


ACTIONS = {
    "workforce.view_own_supervision": rule(
        *STAFF_ROLES, description="read one's own supervision: sessions, agenda, ledger"
    ),
    "workforce.supervise": rule(
        *STAFF_ROLES,
        check=supervises_or_org_wide,
        description="the supervisor's week: cadence, sessions, ledgers of one's supervisees",
    ),
    "workforce.view_session": rule(
        *STAFF_ROLES, description="read a supervision session (its people, its supervisors)"
    ),
    "workforce.record_session": rule(
        *STAFF_ROLES,
        check=_is_session_supervisor,
        scope="write",
        description="record a supervision session with one's own supervisees",
    ),
    "workforce.sign_session": rule(
        *STAFF_ROLES, check=_may_sign, scope="write", description="sign a session for oneself"
    ),
    "workforce.add_session_addendum": rule(
        *STAFF_ROLES,
        check=lambda a, o: _in_session(a, o) and getattr(o, "is_signed", True),
        scope="write",
        description="correct a signed session by an addendum (its supervisor or supervisee)",
    ),
    "workforce.close_action_item": rule(
        *STAFF_ROLES,
        check=lambda a, o: (
            o is None
            or o.raised_in.supervisor_id == a.staff_id
            or o.supervisee_id in a.supervisee_staff_ids
        ),
        scope="write",
        description="close an action item (the supervisor)",
    ),
    "workforce.view_ledger": rule(
        *STAFF_ROLES,
        check=is_own_or_supervised,
        description="read a supervised-hours ledger (one's own, a supervisee's; the director)",
    ),
    "workforce.record_work_hours": _supervisor_write(
        *STAFF_ROLES, description="record hours a supervisee worked under one's supervision"
    ),
    "workforce.sign_letter": _supervisor_write(
        *STAFF_ROLES, description="sign a verification letter of a supervisee's supervised hours"
    ),
    "workforce.view_letter": rule(
        *STAFF_ROLES,
        check=lambda a, o: o is None or _ledger_row_visible(a, o),
        description="read or print a verification letter",
    ),
}


def install() -> None:
    policy.register(ACTIONS)
    policy.register_scope(SupervisionSession, visible=_session_visible, restrict=_restrict_sessions)
    policy.register_scope(
        ActionItem,
        visible=lambda a, item: _session_visible(a, item.raised_in),
        restrict=lambda a, qs: qs.filter(
            raised_in__in=_restrict_sessions(a, SupervisionSession.objects.all())
        ),
    )
    for model in (SupervisedWorkHours, VerificationLetter):
        policy.register_scope(model, visible=_ledger_row_visible, restrict=_restrict_ledger_rows)
