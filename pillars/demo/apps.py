from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The synthetic data generator."""

    name = "pillars.demo"
    label = "demo"
    verbose_name = "Demo data"
