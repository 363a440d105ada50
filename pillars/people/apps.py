from django.apps import AppConfig


class PeopleConfig(AppConfig):
    """Sites, units, beds, staff, persons served, episodes of care and caseloads."""

    name = "pillars.people"
    label = "people"
    verbose_name = "People and census"

    def ready(self) -> None:
        from pillars.audit import persons
        from pillars.core import navigation, versioning
        from pillars.core.navigation import NavEntry
        from pillars.people import consent_views, panels, policies, selectors, services, tablets

        policies.install()
        tablets.install()
        versioning.set_guard(services.refuse_shared_change)
        persons.register(
            by_record_number=selectors.person_id_for_record_number,
            record_numbers=selectors.record_numbers_for,
        )
        panels.register()
        consent_views.register()
        navigation.register(
            [
                NavEntry("Persons served", "people:person-list", "people.list_persons", order=20),
                NavEntry("Units", "people:unit-list", "people.view_unit", order=21),
                NavEntry("Staff", "people:staff-list", "people.view_staff", order=22),
                NavEntry("Emergency access", "people:emergency-start", "people.break_glass", 70),
                NavEntry(
                    "Access reviews",
                    "people:emergency-review-list",
                    "people.review_emergency_access",
                    order=71,
                ),
                NavEntry(
                    "Part 2 consents",
                    "people:consent-index",
                    "people.view_disclosures",
                    order=72,
                ),
                NavEntry("Import", "people:import", "people.import", order=95, more=True),
            ]
        )
