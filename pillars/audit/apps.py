from django.apps import AppConfig


class AuditConfig(AppConfig):
    """The append-only, hash-chained record of who saw and changed what."""

    name = "pillars.audit"
    label = "audit"
    verbose_name = "Audit log"

    def ready(self) -> None:
        from pillars.audit import archive, policies
        from pillars.core import navigation, policy

        policy.register(policies.ACTIONS)
        archive.register()
        navigation.register(
            [
                navigation.NavEntry("Audit report", "audit:report", "audit.view_report", order=80),
                navigation.NavEntry(
                    "Verify the audit log", "audit:verify", "audit.verify", order=81, more=True
                ),
            ]
        )
