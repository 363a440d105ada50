from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The synthetic data generator."""

    name = "pillars.demo"
    label = "demo"
    verbose_name = "Demo data"

    def ready(self) -> None:
        from pillars.core import banner
        from pillars.demo.accounts import sign_in_banner

        banner.register(sign_in_banner)
