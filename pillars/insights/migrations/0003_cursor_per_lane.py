"""The summary sweep keeps a cursor per audit lane; the one cursor it had becomes lane 1's."""

from django.db import migrations, models


def forwards(apps, schema_editor):
    for cursor in apps.get_model("insights", "SweepCursor").objects.all():
        cursor.lanes = {"1": cursor.seq}
        cursor.save(update_fields=["lanes"])


def backwards(apps, schema_editor):
    for cursor in apps.get_model("insights", "SweepCursor").objects.all():
        cursor.seq = int(cursor.lanes.get("1", 0))
        cursor.save(update_fields=["seq"])


class Migration(migrations.Migration):
    dependencies = [("insights", "0002_fhir_export"), ("audit", "0006_lanes")]

    operations = [
        migrations.AddField(
            model_name="sweepcursor",
            name="lanes",
            field=models.JSONField(
                default=dict, help_text="Lane number to the last seq read in it."
            ),
        ),
        migrations.RunPython(forwards, backwards),
        migrations.RemoveField(model_name="sweepcursor", name="seq"),
    ]
