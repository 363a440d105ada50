"""Who may see and do what in the recovery app's matching area.

A request for a peer is visible exactly when its person served is (people.policies), and its
Part 2 label is guarded like every recovery record. Peers, nurses, clinicians and supervisors
on the person's team open one, and the same staff working with the person record the person's
choice (``recovery.record_peer_choice``): this rule alone decides, and the recovery service
writes the caseload assignment itself (``people.assign_caseload`` is for staff who assign
caseloads in general, which peers may not do).
A peer profile is its peer's alone to change; others read only what it shares, through the
candidates a request offers.
"""

from __future__ import annotations

from typing import Any

from pillars.core import policy
from pillars.core.policy import Actor, rule
from pillars.core.policy_shared import register_reference_data
from pillars.core.roles import RoleCode as R
from pillars.people.models import Staff
from pillars.recovery.models.matching import CaseloadLimit, MatchRequest, PeerProfile
from pillars.recovery.policies.persons import person_write, register_person_scope

READERS = (R.NURSE, R.CLINICIAN, R.PEER, R.SUPERVISOR, R.DIRECTOR)
REQUESTERS = (R.NURSE, R.CLINICIAN, R.PEER, R.SUPERVISOR)


def _own_profile(actor: Actor, obj: Any) -> bool:
    """Disclosure is the peer's own choice: nobody else edits or withdraws for them."""
    if isinstance(obj, PeerProfile):
        return actor.staff_id is not None and obj.staff_id == actor.staff_id
    if isinstance(obj, Staff):
        return actor.staff_id is not None and obj.pk == actor.staff_id
    return obj is None


ACTIONS = {
    "recovery.view_peer_matches": rule(
        *READERS, description="read requests for a peer and the candidates they offer"
    ),
    "recovery.request_peer": person_write(
        *REQUESTERS,
        description="open or withdraw a request for a peer for a person served",
    ),
    "recovery.record_peer_choice": person_write(
        *REQUESTERS,
        description="record the peer the person chose, with the person (puts the person on the "
        "chosen peer's caseload)",
    ),
    "recovery.edit_peer_profile": rule(
        R.PEER,
        check=_own_profile,
        scope="write",
        description="share or withdraw one's own matching attributes",
    ),
}


def install() -> None:
    policy.register(ACTIONS)
    register_person_scope(MatchRequest)
    policy.register_scope(
        PeerProfile,
        visible=lambda a, p: a.staff_id is not None and p.staff_id == a.staff_id,
        restrict=lambda a, qs: qs.filter(staff_id=a.staff_id),
    )
    register_reference_data(CaseloadLimit)
