"""Permission matrix for the workforce rules page (everyone signed in reads it) and the forms
that write a rule's next version (administrators only)."""

from __future__ import annotations

from typing import Any

from pillars.core.tests.matrix_support import Case
from pillars.people.testing import World
from pillars.workforce.models.credentials import CredentialType
from pillars.workforce.models.supervision import CadenceRule


def cadence(w: World, extra: dict[str, Any]) -> dict[str, Any]:
    return {"public_id": CadenceRule.objects.filter(is_current=True).first().public_id}  # type: ignore[union-attr]


def credential_type(w: World, extra: dict[str, Any]) -> dict[str, Any]:
    return {"public_id": CredentialType.objects.filter(is_current=True).first().public_id}  # type: ignore[union-attr]


#                                                 bht nur cli pee sup dir pri adm out anon
PAGES: dict[str, Case] = {
    "workforce:rules": Case("GET", "A A A A A A A A A L"),
    "workforce:cadence-revise": Case("GET", "F F F F F F F A F L", cadence),
    "workforce:credential-type-revise": Case("GET", "F F F F F F F A F L", credential_type),
}

API: dict[str, Case] = {}
