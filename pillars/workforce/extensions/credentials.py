"""What the credentials area adds to other pages: the menu entries (my credentials, the
verification queue, compliance) and the credential types and CE categories in the admin
(reference data kept by administrators, every save audited, nothing deleted)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from pillars.core.navigation import NavEntry
from pillars.core.navigation import register as register_nav


def _register_admin() -> None:
    from pillars.people.admin import ReferenceAdmin
    from pillars.people.reference_admins import register_reference_admins
    from pillars.workforce.models.credentials import CeCategory, CredentialType
    from pillars.workforce.services.credentials import MEANING_FIELDS

    class CredentialTypeAdmin(ReferenceAdmin):
        list_display = ["name", "code", "version", "kind", "expiry_rule", "is_current", "is_active"]
        list_filter = ["kind", "is_active", "is_current"]
        search_fields = ["name", "code"]
        m2m_fields = ("required_for",)

        def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
            # Credentials keep the version they were issued under: a change of meaning is a
            # new version (workforce.services.credentials.revise_credential_type).
            if obj is None:
                return ["version", "is_current"]
            return ["code", "version", "is_current", *MEANING_FIELDS]

    class CeCategoryAdmin(ReferenceAdmin):
        list_display = ["name", "code", "is_active"]

        def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
            return ["code"] if obj is not None else []

    register_reference_admins(
        (CredentialType, CredentialTypeAdmin),
        (CeCategory, CeCategoryAdmin),
    )


def install() -> None:
    from pillars.workforce.selectors.credentials import ladder_credential
    from pillars.workforce.selectors.ladder import register_evaluator

    register_evaluator("credential", ladder_credential)
    register_nav(
        [
            NavEntry(
                "My credentials",
                "workforce:my-credentials",
                "workforce.view_own_credentials",
                order=90,
                more=True,
            ),
            NavEntry(
                "Credential verification",
                "workforce:verification-queue",
                "workforce.verify_credential",
                order=91,
                more=True,
            ),
            NavEntry(
                "Credential compliance",
                "workforce:compliance",
                "workforce.view_compliance",
                order=92,
                more=True,
            ),
        ]
    )
    _register_admin()
