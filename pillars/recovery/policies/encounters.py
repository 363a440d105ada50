"""Who may see and do what with peer encounters and virtual sessions.

Peer support specialists write encounters for the persons they may see (their caseload, their
program's and home units' persons: people.policies). Their supervisors read the encounters
their supervisees wrote; clinicians read the encounters of the persons on their team; the
director reads. Nobody else: technicians and nurses see the person but not these notes (403).
A signed encounter is corrected by its author's addendum; the author or the author's
supervisor voids it with a reason.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from pillars.core import policy
from pillars.core.policy import Actor, rule
from pillars.core.policy_shared import own_or_supervisee
from pillars.core.roles import RoleCode as R
from pillars.people.policies import ordinary_scope, person_scope_q, person_visible
from pillars.recovery.models.encounters import Encounter, VirtualSession
from pillars.recovery.policies.persons import person_write

READERS = (R.PEER, R.CLINICIAN, R.SUPERVISOR, R.DIRECTOR)
# Roles that read by the person's scope; a supervisor reads by supervision.
TEAM_READERS = (R.PEER, R.CLINICIAN, R.DIRECTOR)


def _author_of(obj: Any) -> int | None:
    if isinstance(obj, Encounter):
        return obj.written_by_id
    if isinstance(obj, VirtualSession):
        return obj.peer_id
    return None


def _is_author(actor: Actor, obj: Any) -> bool:
    author = _author_of(obj)
    return author is None or author == actor.staff_id


def _author_or_supervisor(actor: Actor, obj: Any) -> bool:
    author = _author_of(obj)
    return author is None or own_or_supervisee(actor, author)


def _may_read(actor: Actor, obj: Any) -> bool:
    """A supervisor who reads only by supervision reads their supervisees' records."""
    if actor.is_org_wide or actor.has_role(*TEAM_READERS):
        return True
    return _author_or_supervisor(actor, obj)


ACTIONS = {
    "recovery.view_encounter": rule(
        *READERS, check=_may_read, description="read peer encounters and their addenda"
    ),
    "recovery.write_encounter": person_write(
        R.PEER,
        description="write and sign a peer encounter (one person or a group)",
    ),
    "recovery.add_encounter_addendum": rule(
        R.PEER,
        check=_is_author,
        scope="write",
        description="add an addendum to one's own signed encounter",
    ),
    "recovery.void_encounter": rule(
        R.PEER,
        R.SUPERVISOR,
        check=_author_or_supervisor,
        scope="write",
        description="void an encounter with a reason (author or the author's supervisor)",
    ),
    "recovery.check_language": rule(
        R.PEER, R.SUPERVISOR, description="check a note's words against the scope-guard list"
    ),
    "recovery.view_virtual_session": rule(
        *READERS, check=_may_read, description="read scheduled video sessions"
    ),
    "recovery.schedule_virtual_session": rule(
        R.PEER,
        check=lambda a, o: ordinary_scope(a, o) and _is_author(a, o),
        scope="write",
        description="schedule a video session, record its link as sent",
    ),
}


def _scope_q(actor: Actor, person: str = "person") -> Q:
    return person_scope_q(actor, person)


def _restrict(author_field: str) -> Any:
    def restrict(actor: Actor, qs: QuerySet[Any]) -> QuerySet[Any]:
        if actor.is_org_wide:
            return qs
        by_supervision = Q(**{f"{author_field}__in": actor.supervisee_staff_ids})
        if not actor.has_role(*TEAM_READERS):
            # Supervision is the supervisor's only way in: their supervisees' records.
            return qs.filter(by_supervision | Q(**{author_field: actor.staff_id}))
        return qs.filter(_scope_q(actor) | by_supervision)

    return restrict


def _visible(actor: Actor, obj: Any) -> bool:
    author = _author_of(obj)
    return person_visible(actor, obj.person) or (
        author is not None and author in actor.supervisee_staff_ids
    )


def install() -> None:
    policy.register(ACTIONS)
    policy.register_scope(Encounter, visible=_visible, restrict=_restrict("written_by_id"))
    policy.register_scope(VirtualSession, visible=_visible, restrict=_restrict("peer_id"))
