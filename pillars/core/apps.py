from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Clock, roles, the policy engine, sign-in and the app shell."""

    name = "pillars.core"
    label = "core"
    verbose_name = "Pillars core"

    def ready(self) -> None:
        # signals connect their receivers and demo_guard registers its system check on import.
        from pillars.core import demo_guard, navigation, policies, policy, signals  # noqa: F401

        policy.register(policies.ACTIONS)
        navigation.register([navigation.NavEntry("Home", "core:home", None, order=0)])
