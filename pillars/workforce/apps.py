from django.apps import AppConfig

from pillars.core.apps import install_areas

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
        install_areas("workforce", AREAS, ["policies", "extensions"])
