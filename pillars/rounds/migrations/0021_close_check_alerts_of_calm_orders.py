"""Close the "check due" and "overdue" alerts still open on orders back at escalation step 0.

Ending a monitoring exception used to move an order's chain back to step 0 without closing the
alerts of the step it had reached; a check closed them later. A check now closes them only
when the order had escalated (``advance_clock``), and ending an exception closes them itself,
so the ones left open that way are closed here, with the reason ending an exception gives."""

from django.db import migrations
from django.db.models import Subquery
from django.utils import timezone

REASON = "The monitoring exception ended; the observation clock starts again."


def forwards(apps, schema_editor):
    Alert = apps.get_model("people", "Alert")
    Order = apps.get_model("rounds", "ObservationOrder")
    calm = Order.objects.filter(escalation_step=0).values("public_id")
    Alert.objects.filter(
        subject_kind="rounds.observationorder",
        subject_id__in=Subquery(calm),
        kind__in=["check_due", "escalation"],
        resolved_at__isnull=True,
    ).update(resolved_at=timezone.now(), resolved_reason=REASON)


class Migration(migrations.Migration):
    dependencies = [
        ("rounds", "0020_check_keys_organization"),
        ("people", "0010_alert_keys_organization"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=False)]
