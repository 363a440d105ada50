"""After a load the demo does at once on PostgreSQL what autovacuum would do in the next minutes
(``VACUUM ANALYZE``), so the first pages are planned on the data loaded; SQLite keeps no such
statistics."""

from __future__ import annotations

import pytest
from django.db import connection

from pillars.demo.management.commands.demo import update_statistics
from pillars.people.testing import World


@pytest.mark.django_db(transaction=True)  # VACUUM runs outside a transaction
def test_the_tables_statistics_are_updated_on_postgresql(world: World) -> None:
    seconds = update_statistics()
    if connection.vendor != "postgresql":
        assert seconds is None
        return
    assert seconds is not None
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = 'people_personserved'")
        (rows,) = cursor.fetchone()
    # Counted by ANALYZE: a table never analyzed says -1.
    assert rows >= 0
