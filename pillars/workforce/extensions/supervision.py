"""What supervision adds to other apps: the supervisor check people runs when a supervisor
is chosen (who may supervise whom, load limits: a hook, so people imports no workforce
module), the menu entries, and the rules the admin edits."""

from __future__ import annotations

from pillars.core import navigation
from pillars.core.navigation import NavEntry
from pillars.people.hooks import add_supervisor_check
from pillars.people.services import add_reference_models
from pillars.workforce.models.supervision import (
    CadenceRule,
    CertificationRule,
    SupervisionEligibility,
    SupervisorLoadLimit,
)
from pillars.workforce.services.supervision import supervisor_check


def install() -> None:
    """Register this area's hooks."""
    from pillars.workforce.selectors.ladder import register_evaluator
    from pillars.workforce.selectors.supervision import ladder_supervised_hours

    register_evaluator("supervised_hours", ladder_supervised_hours)
    add_supervisor_check(supervisor_check)
    add_reference_models(
        CadenceRule, CertificationRule, SupervisionEligibility, SupervisorLoadLimit
    )
    from pillars.workforce import admin_supervision

    admin_supervision.register()
    navigation.register(
        [
            NavEntry("Supervision", "workforce:supervision-week", "workforce.supervise", order=60),
            NavEntry(
                "My supervision",
                "workforce:my-supervision",
                "workforce.view_own_supervision",
                order=61,
                more=True,
            ),
        ]
    )
