from django.apps import AppConfig

from pillars.core.apps import install_areas

# The app's policy areas, one module each in policies/ (the incidents app's layout).
AREAS = ("orders", "coverage", "escalation", "handoffs", "inspections")


class RoundsConfig(AppConfig):
    """Observation orders, checks and their clocks (DESIGN.md "rounds")."""

    name = "pillars.rounds"
    label = "rounds"
    verbose_name = "Observation rounds"

    def ready(self) -> None:
        from pillars.core import navigation
        from pillars.core.navigation import NavEntry
        from pillars.people import alerts
        from pillars.rounds import board_alerts, board_coverage, sections, unordered
        from pillars.rounds.services import escalation

        install_areas("rounds", AREAS, ["policies"])
        # Who leads a unit's shift (shift assignments are rounds'), behind people's one on-duty
        # rule; and a lead's acknowledgement of an unsafe check ends its emergency climb.
        alerts.set_lead_rule(escalation.shift_leads)
        alerts.when_acknowledged(escalation.close_climb)
        sections.register()
        board_alerts.install()
        board_coverage.install()
        unordered.install()
        navigation.register(
            [
                NavEntry("Unit board", "rounds:board-list", "rounds.view", order=10),
                NavEntry("Inspections", "rounds:inspection-list", "rounds.view_inspections", 60),
                NavEntry("Work orders", "rounds:workorder-list", "rounds.view_inspections", 61),
                NavEntry(
                    "Inspection checklists",
                    "rounds:inspection-templates",
                    "rounds.manage_inspection_templates",
                    order=62,
                    more=True,
                ),
                NavEntry(
                    "Observation levels",
                    "rounds:level-list",
                    "rounds.manage_levels",
                    order=90,
                    more=True,
                ),
            ]
        )
