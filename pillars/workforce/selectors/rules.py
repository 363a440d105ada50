"""Reads for the workforce rules kept as versioned data: each rule's current version with the
versions before it, newest first."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pillars.core.versioning import VersionedRule
from pillars.workforce.models.credentials import CeCategory, CredentialType
from pillars.workforce.models.supervision import CadenceRule


@dataclass(frozen=True)
class RuleHistory:
    current: Any
    earlier: list[Any]


def histories(model: type[VersionedRule]) -> list[RuleHistory]:
    """Every rule of a versioned model as its current version and its earlier ones (a rule
    with no current version, which the database forbids, is left out)."""
    by_code: dict[str, list[Any]] = {}
    for version in model._default_manager.order_by("code", "-version"):
        by_code.setdefault(version.code, []).append(version)
    found = []
    for versions in by_code.values():
        current = next((v for v in versions if v.is_current), None)
        if current is not None:
            found.append(RuleHistory(current, [v for v in versions if v is not current]))
    return sorted(found, key=lambda h: str(h.current))


def cadence_rules() -> list[RuleHistory]:
    return histories(CadenceRule)


def credential_types() -> list[RuleHistory]:
    """Credential types, each version with ``ce_lines``: its CE minimums as (category name,
    hours), by name (a JSON column need not keep the order they were written in)."""
    names = dict(CeCategory.objects.values_list("code", "name"))
    found = histories(CredentialType)
    for history in found:
        for version in (history.current, *history.earlier):
            version.ce_lines = sorted(
                (names.get(code, code), hours) for code, hours in version.ce_required().items()
            )
    return found
