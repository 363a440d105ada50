from django.apps import AppConfig


class RoundsConfig(AppConfig):
    """Observation orders, checks and their clocks (DESIGN.md "rounds")."""

    name = "pillars.rounds"
    label = "rounds"
    verbose_name = "Observation rounds"

    def ready(self) -> None:
        from pillars.rounds import board_alerts, policies, sections, unordered

        policies.install()
        sections.register()
        board_alerts.install()
        unordered.install()
