"""The default escalation chain (rows with no unit; a unit with rows of its own uses those).

DESIGN.md facts: a common escalation chain is the assigned tech at due, the charge nurse (shift
lead) at +5 minutes, the unit manager at +15 and the director at +30.
"""

from django.db import migrations

# position, minutes after the check was due, who is alerted
DEFAULT_CHAIN = [
    (1, 0, "assigned"),
    (2, 5, "lead"),
    (3, 15, "manager"),
    (4, 30, "director"),
]


def forwards(apps, schema_editor):
    Step = apps.get_model("rounds", "EscalationStep")
    if Step.objects.filter(unit__isnull=True, is_active=True).exists():
        return
    for position, minutes, recipient in DEFAULT_CHAIN:
        Step.objects.create(
            unit=None, position=position, after_minutes=minutes, recipient=recipient
        )


class Migration(migrations.Migration):
    dependencies = [("rounds", "0007_sync")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
