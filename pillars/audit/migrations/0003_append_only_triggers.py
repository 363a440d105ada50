"""Database triggers that make the audit table append-only on SQLite and PostgreSQL."""

from django.db import migrations

TABLE = "audit_auditevent"
MESSAGE = "audit log is append-only"

SQLITE_UP = [
    f"CREATE TRIGGER IF NOT EXISTS audit_event_no_update BEFORE UPDATE ON {TABLE} "
    f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;",
    f"CREATE TRIGGER IF NOT EXISTS audit_event_no_delete BEFORE DELETE ON {TABLE} "
    f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS audit_event_no_update;",
    "DROP TRIGGER IF EXISTS audit_event_no_delete;",
]
POSTGRES_UP = [
    # The one exception: moving a month's rows out of the default partition into their own
    # (pillars.core.partitions.make_month, which sets pillars.partition_move for that statement).
    f"""CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger AS $$
        BEGIN
            IF TG_OP = 'DELETE' AND TG_TABLE_NAME = '{TABLE}_default'
               AND current_setting('pillars.partition_move', true) = 'on' THEN
                RETURN OLD;
            END IF;
            RAISE EXCEPTION '{MESSAGE}';
        END; $$ LANGUAGE plpgsql;""",
    f"CREATE OR REPLACE TRIGGER audit_event_no_update BEFORE UPDATE OR DELETE ON {TABLE} "
    "FOR EACH ROW EXECUTE FUNCTION audit_event_append_only();",
    f"CREATE OR REPLACE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON {TABLE} "
    "FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only();",
]
POSTGRES_DOWN = [
    f"DROP TRIGGER IF EXISTS audit_event_no_update ON {TABLE};",
    f"DROP TRIGGER IF EXISTS audit_event_no_truncate ON {TABLE};",
    "DROP FUNCTION IF EXISTS audit_event_append_only();",
]


def forwards(apps, schema_editor):
    # The chain head row exists from the start, so appends only ever lock it, never create it.
    apps.get_model("audit", "ChainHead").objects.get_or_create(pk=1)
    statements = POSTGRES_UP if schema_editor.connection.vendor == "postgresql" else SQLITE_UP
    for sql in statements:
        schema_editor.execute(sql)


def backwards(apps, schema_editor):
    statements = POSTGRES_DOWN if schema_editor.connection.vendor == "postgresql" else SQLITE_DOWN
    for sql in statements:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
