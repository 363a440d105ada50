"""SQLite: refuse an insert that would replace an existing audit event.

``INSERT OR REPLACE`` resolves a unique conflict by deleting the old row, and SQLite fires
DELETE triggers for that only when ``recursive_triggers`` is on, which a connection opened by
hand (the sqlite3 shell) does not have. A BEFORE INSERT trigger fires for every insert whatever
its conflict clause, so it closes the hole on every connection. (PostgreSQL's ``ON CONFLICT DO
UPDATE`` is an UPDATE, which the existing trigger refuses.)
"""

from django.db import migrations

MESSAGE = "audit events are append-only"
TABLE = "audit_auditevent"

SQLITE_UP = [
    f"CREATE TRIGGER IF NOT EXISTS audit_event_no_replace BEFORE INSERT ON {TABLE} "
    f"WHEN EXISTS (SELECT 1 FROM {TABLE} WHERE seq = NEW.seq OR id = NEW.id) "
    f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;",
]
SQLITE_DOWN = ["DROP TRIGGER IF EXISTS audit_event_no_replace;"]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for sql in SQLITE_UP:
            schema_editor.execute(sql)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for sql in SQLITE_DOWN:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_append_only_triggers")]

    operations = [migrations.RunPython(forwards, backwards)]
