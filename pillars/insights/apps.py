from django.apps import AppConfig


class InsightsConfig(AppConfig):
    """Insights for leaders (DESIGN.md "insights"): summary tables kept current as records change,
    standard measures, dashboards per role, exports and the FHIR R4 bulk export. It only reads the
    other apps; its own tables are derived and can be rebuilt from them."""

    name = "pillars.insights"
    label = "insights"
    verbose_name = "Insights"

    def ready(self) -> None:
        from pillars.core import navigation
        from pillars.core.navigation import NavEntry
        from pillars.insights import packet, panels, policies
        from pillars.insights.fhir import policies as fhir_policies

        policies.install()
        fhir_policies.install()
        panels.register()
        packet.install()
        packet.install_section()
        navigation.register(
            [
                NavEntry("Insights", "insights:director", "insights.view_organization", order=70),
                NavEntry(
                    "Unit insights", "insights:units", "insights.view_measures", order=71, more=True
                ),
                NavEntry(
                    "Team insights", "insights:team", "insights.view_team", order=72, more=True
                ),
                NavEntry(
                    "Access and disclosures", "insights:privacy", "insights.view_privacy", order=72
                ),
            ]
        )
