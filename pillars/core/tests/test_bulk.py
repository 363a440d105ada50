"""insert_objects: many rows at once, each value prepared by its own field, conflicts skipped."""

from __future__ import annotations

from typing import Any

import pytest

from pillars.core.bulk import insert_objects
from pillars.people.models import Organization, Site

pytestmark = pytest.mark.django_db


def test_rows_arrive_as_a_save_would_store_them() -> None:
    org = Organization.objects.create(name="Riverbend")
    sites = [Site(organization=org, name=f"Site {n}") for n in range(3)]
    insert_objects(sites)
    stored = {s.name: s for s in Site.objects.filter(organization=org)}
    assert set(stored) == {"Site 0", "Site 1", "Site 2"}
    assert {s.public_id for s in stored.values()} == {s.public_id for s in sites}


def test_a_stored_value_is_skipped_and_a_second_call_stores_only_its_own_rows() -> None:
    org = Organization.objects.create(name="Riverbend")
    first = Site(organization=org, name="North")
    insert_objects([first])
    again = Site(organization=org, name="North again")
    again.public_id = first.public_id  # the unique value is already stored
    insert_objects([again, Site(organization=org, name="South")], skip_conflicts_on="public_id")
    insert_objects([Site(organization=org, name="East")], skip_conflicts_on="public_id")
    names = sorted(Site.objects.filter(organization=org).values_list("name", flat=True))
    assert names == ["East", "North", "South"]


def test_each_preparer_gives_what_a_save_would() -> None:
    """The short ways for UUIDs and JSON exist where the database has no type of its own for
    them (SQLite); elsewhere the preparer is the field's own."""
    import uuid

    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("the short preparers are SQLite's")

    from pillars.core.bulk import preparers
    from pillars.recovery.models.directory import HsdsService as Service

    names = ["public_id", "extra"]
    fields = {f.attname: f for f in Service._meta.concrete_fields}
    values: dict[str, list[Any]] = {
        "public_id": [uuid.uuid4(), str(uuid.uuid4())],
        "extra": [{}, {"x_note": "ünïcode", "n": [1.5, None]}, [], ["a"], None, "text"],
    }
    for name, prepare in zip(names, preparers(Service, names), strict=True):
        assert prepare is not None
        for value in values[name]:
            expected = fields[name].get_db_prep_save(value, connection)
            assert prepare(value) == expected, (name, value)
