"""Audit lanes: each event names the chain (lane) it was appended to; the lanes' head rows exist
from the start; on PostgreSQL ``seq`` comes from a sequence, so concurrent lanes never wait on
one another for it. Existing events stay in lane 1, their chain unchanged."""

from django.db import migrations, models

from pillars.audit.log import SEQUENCE
from pillars.audit.models import LANES


def create_sequence(connection) -> None:
    """The sequence that numbers events on PostgreSQL, started after the highest ``seq``."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE SEQUENCE IF NOT EXISTS {SEQUENCE} AS bigint")
        cursor.execute(
            f"SELECT setval('{SEQUENCE}', GREATEST("
            "(SELECT COALESCE(MAX(seq), 0) FROM audit_auditevent),"
            f" (SELECT last_value FROM {SEQUENCE}), 1))"
        )


def forwards(apps, schema_editor):
    from django.db import connection

    target = schema_editor.connection if schema_editor else connection
    create_sequence(target)
    if apps is None:
        from django.apps import apps as installed

        apps = installed
    heads = apps.get_model("audit", "ChainHead")
    for lane in range(1, LANES + 1):
        heads.objects.get_or_create(pk=lane)


class Migration(migrations.Migration):
    dependencies = [("audit", "0005_chain_check")]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="lane",
            field=models.PositiveSmallIntegerField(
                default=1,
                help_text="The chain this event was appended to (its previous event's lane).",
            ),
        ),
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(fields=["lane", "seq"], name="audit_event_lane_seq"),
        ),
        migrations.RunPython(forwards, migrations.RunPython.noop, elidable=False),
    ]
