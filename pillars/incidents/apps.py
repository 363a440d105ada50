from importlib import import_module

from django.apps import AppConfig

# The app's areas; each has its own models, services, selectors, views, api, policies and
# extensions module of this name.
AREAS = ("behavior", "incidents", "restraint", "safety")


class IncidentsConfig(AppConfig):
    """Behavior data, incidents, restraint and seclusion, safety plans (DESIGN.md "incidents")."""

    name = "pillars.incidents"
    label = "incidents"
    verbose_name = "Behavior, incidents and safety"

    def ready(self) -> None:
        from pillars.incidents.models import DeescalationStep, NotificationRule
        from pillars.people.services import add_reference_models

        add_reference_models(DeescalationStep, NotificationRule)
        for area in AREAS:
            import_module(f"pillars.incidents.policies.{area}").install()
            import_module(f"pillars.incidents.extensions.{area}").install()
