"""Who may see and do what with recovery capital assessments and instruments.

Assessments are visible exactly when their person served is (people.policies). Peer
specialists record them with the person; the person's clinicians, supervisors and the director
read them; nobody else. The instruments themselves hold nothing about anyone: every reader of
assessments may list them; administrators keep them in the admin (reference data).
"""

from __future__ import annotations

from pillars.core import policy
from pillars.core.policy import rule
from pillars.core.policy_shared import register_reference_data
from pillars.recovery.models.capital import Assessment, Instrument
from pillars.recovery.policies.persons import person_write, register_person_scope
from pillars.recovery.policies.plans import READERS, WRITERS

ACTIONS = {
    "recovery.view_capital": rule(
        *READERS, description="read a person's recovery capital assessments and trend"
    ),
    "recovery.record_assessment": person_write(
        *WRITERS,
        description="record a recovery capital assessment with the person",
    ),
    "recovery.view_instruments": rule(
        *READERS, description="list the recovery capital instruments and their items"
    ),
}


def install() -> None:
    """Register this area's actions and scopes with the one policy layer."""
    policy.register(ACTIONS)
    register_person_scope(Assessment)
    register_reference_data(Instrument)
