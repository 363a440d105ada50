from django.apps import AppConfig

from pillars.core.apps import install_areas

# The app's areas; each has its own models, services, selectors, views, api, policies and
# extensions module of this name.
AREAS = ("behavior", "incidents", "restraint", "safety")


class IncidentsConfig(AppConfig):
    """Behavior data, incidents, restraint and seclusion, safety plans (DESIGN.md "incidents")."""

    name = "pillars.incidents"
    label = "incidents"
    verbose_name = "Behavior, incidents and safety"

    def ready(self) -> None:
        from pillars.core import navigation
        from pillars.core.navigation import NavEntry
        from pillars.incidents.models import DeescalationStep, NotificationRule
        from pillars.people.services import add_reference_models

        add_reference_models(DeescalationStep, NotificationRule)
        install_areas("incidents", AREAS, ["policies", "extensions"])
        navigation.register(
            [
                NavEntry("Incident reports", "incidents:incident-drafts", "incidents.report", 30),
                NavEntry(
                    "Incidents to review",
                    "incidents:incident-review-queue",
                    "incidents.review",
                    order=31,
                ),
                NavEntry(
                    "Restraint report",
                    "incidents:restraint-report",
                    "incidents.restraint_report",
                    order=32,
                ),
                NavEntry(
                    "Behavior contract reviews",
                    "incidents:behavior-reviews-due",
                    "incidents.view_behavior",
                    order=33,
                    more=True,
                ),
                NavEntry(
                    "Restraint rules",
                    "incidents:restraint-profiles",
                    "incidents.restraint_profiles",
                    order=91,
                    more=True,
                ),
            ]
        )
