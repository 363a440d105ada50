from django.apps import AppConfig


class PeopleConfig(AppConfig):
    """Sites, units, beds, staff, persons served, episodes of care and caseloads."""

    name = "pillars.people"
    label = "people"
    verbose_name = "People and census"

    def ready(self) -> None:
        from pillars.people import consent_views, panels, policies

        policies.install()
        panels.register()
        consent_views.register()
