from django.apps import AppConfig

from pillars.core.apps import install_areas

# The app's areas; each has its own models, services, selectors, views, api, policies and
# extensions module of this name (the incidents app's layout).
AREAS = ("encounters", "plans", "capital", "directory", "matching", "referrals", "portal")


class RecoveryConfig(AppConfig):
    """Peer recovery support (DESIGN.md "recovery"): encounters, wellness plans and goals,
    recovery capital, the community resource directory, referrals and peer matching."""

    name = "pillars.recovery"
    label = "recovery"
    verbose_name = "Peer recovery support"

    def ready(self) -> None:
        install_areas("recovery", AREAS, ["policies", "extensions"])
