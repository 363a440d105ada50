from importlib import import_module

from django.apps import AppConfig

# The app's areas; each has its own models, services, selectors, views, api, policies and
# extensions module of this name (the incidents and recovery apps' layout).
AREAS = (
    "credentials",
    "trainings",
    "gating",
    "supervision",
    "drift",
    "caseloads",
    "wellbeing",
    "recognition",
    "ladder",
    "retention",
)


class WorkforceConfig(AppConfig):
    """The workforce (DESIGN.md "workforce"): credentials and trainings that gate the floor,
    supervision and its hours ledger, role drift and caseload balance, private wellbeing,
    recognition, the career ladder, hires and exits."""

    name = "pillars.workforce"
    label = "workforce"
    verbose_name = "Workforce"

    def ready(self) -> None:
        for area in AREAS:
            import_module(f"pillars.workforce.policies.{area}").install()
            import_module(f"pillars.workforce.extensions.{area}").install()
