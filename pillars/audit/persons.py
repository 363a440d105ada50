"""How the audit report names persons served, without importing the app that keeps them.

Audit sits below the domain apps (test_import_walls): the people app registers, from its
``AppConfig.ready``, how a record number becomes a person's public id and back. With nothing
registered the report still works, showing public ids only."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any
from uuid import UUID

PersonByRecordNumber = Callable[[str, Any], UUID | None]
RecordNumbers = Callable[[Iterable[UUID]], dict[str, str]]

_by_record_number: PersonByRecordNumber | None = None
_record_numbers: RecordNumbers | None = None


def register(*, by_record_number: PersonByRecordNumber, record_numbers: RecordNumbers) -> None:
    """Install the person lookups (once per process)."""
    global _by_record_number, _record_numbers
    _by_record_number = by_record_number
    _record_numbers = record_numbers


def person_by_record_number(term: str, user: Any) -> UUID | None:
    """The public id of the person served with this record number (exact, any case) in the
    user's organization, if any."""
    return _by_record_number(term, user) if _by_record_number is not None else None


def record_numbers(person_ids: Iterable[UUID]) -> dict[str, str]:
    """Record numbers by public id (as text) of the persons served named."""
    return _record_numbers(person_ids) if _record_numbers is not None else {}
