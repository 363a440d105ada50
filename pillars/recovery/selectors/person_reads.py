"""Reads of one record of a person served, shared by the recovery selectors: found for the user
(404 when out of scope, 403 when not allowed; ``core.entry.get_for``) and audited as a read of
the person's information, for treatment (an emergency read says so)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import models

from pillars.core import policy
from pillars.core.entry import get_for
from pillars.people.models import PersonServed
from pillars.people.selectors import record_person_read

# Append the event of ``user`` reading ``target``, a record of ``person``'s.
audit_person_read = record_person_read


def get_person_record_for[M: models.Model](
    source: type[M] | models.QuerySet[M],
    user: Any,
    public_id: Any,
    action: str,
    *,
    what: str,
    person_of: Callable[[M], PersonServed] = lambda record: record.person,  # type: ignore[attr-defined]
) -> M:
    """The record with this public id on which the user may take ``action``; the read is audited
    under ``what`` against the person the record belongs to (``person_of``)."""
    found = get_for(source, user, public_id, action)
    audit_person_read(user, found, person_of(found), what=what)
    return found


def readable_part[M: models.Model](user: Any, record: M | None) -> M | None:
    """A labelled record shown through another one (an encounter's or a referral's goal): the
    record when ``user`` may read its label, else None. The goal was readable to whoever linked
    it, but a goal written in a Part 2 program keeps its label: outside the program's team it
    is shown only under a consent still active (a revocation holds for every later read). An
    unlabelled one is the same person's and is read with the record that names it."""
    if record is None or not getattr(record, "is_part2", False):
        return record
    return record if policy.is_visible(user, record) else None
