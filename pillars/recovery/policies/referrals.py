"""Who may see and do what in the recovery app's referrals area.

A referral is visible exactly when its person served is (people.policies), and its Part 2
label is guarded like every recovery record. Peers (their caseload and program) and clinicians
on the person's team make and update referrals; supervisors read their supervisees' work and,
with the director, the outcome counts; nobody else.
"""

from __future__ import annotations

from pillars.core import policy
from pillars.core.policy import rule
from pillars.core.policy_shared import register_reference_data
from pillars.core.roles import RoleCode as R
from pillars.recovery.models.referrals import Referral, ReferralOutcomeReason
from pillars.recovery.policies.persons import person_write, register_person_scope

READERS = (R.CLINICIAN, R.PEER, R.SUPERVISOR, R.DIRECTOR)
MAKERS = (R.CLINICIAN, R.PEER)

ACTIONS = {
    "recovery.view_referrals": rule(
        *READERS, description="read a person's referrals to services and their history"
    ),
    "recovery.make_referral": person_write(
        *MAKERS,
        description="refer a person to a service, log an outside referral, update or reopen it",
    ),
    "recovery.view_referral_outcomes": rule(
        R.SUPERVISOR, R.DIRECTOR, description="read referral outcomes counted by service and peer"
    ),
}


def install() -> None:
    policy.register(ACTIONS)
    register_person_scope(Referral)
    register_reference_data(ReferralOutcomeReason)
