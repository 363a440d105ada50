"""SQLite: refuse an insert that collides with an existing audit row.

`INSERT OR REPLACE` (and `REPLACE INTO`) resolve a conflict by deleting the old row, and SQLite
fires no DELETE trigger for that deletion unless recursive triggers are on
(https://www.sqlite.org/lang_conflict.html). A BEFORE INSERT trigger that refuses a row whose id
or seq already exists closes the hole on every connection, whatever its pragmas. PostgreSQL needs
nothing: `ON CONFLICT DO UPDATE` fires the UPDATE trigger already in place.
"""

from django.db import migrations

TABLE = "audit_auditevent"

SQLITE_UP = (
    f"CREATE TRIGGER IF NOT EXISTS audit_event_no_replace BEFORE INSERT ON {TABLE} "
    f"WHEN EXISTS (SELECT 1 FROM {TABLE} WHERE id = NEW.id OR seq = NEW.seq) "
    "BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;"
)
SQLITE_DOWN = "DROP TRIGGER IF EXISTS audit_event_no_replace;"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(SQLITE_UP)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(SQLITE_DOWN)


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_append_only_triggers")]
    operations = [migrations.RunPython(forwards, backwards)]
