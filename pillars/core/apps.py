from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Clock, roles, the policy engine, sign-in and the app shell."""

    name = "pillars.core"
    label = "core"
    verbose_name = "Pillars core"

    def ready(self) -> None:
        from pillars.core import policies, policy, signals  # noqa: F401  (signals connect)

        policy.register(policies.ACTIONS)
