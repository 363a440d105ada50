"""Shipped outcome reasons for referrals (rules are data; the admin may add or retire rows)."""

from typing import Any

from django.db import migrations

REASONS = [
    ("declined", "The person declined"),
    ("no-show", "The person did not attend"),
    ("unable-to-contact", "Unable to reach the person"),
    ("service-full", "The service was full (waiting list)"),
    ("not-eligible", "Not eligible for the service"),
    ("service-unresponsive", "The service did not respond"),
    ("need-met-elsewhere", "The need was met elsewhere"),
    ("moved", "The person moved away"),
    ("other", "Other (see note)"),
]


def forwards(apps: Any, schema_editor: Any) -> None:
    model = apps.get_model("recovery", "ReferralOutcomeReason")
    for order, (code, label) in enumerate(REASONS):
        model.objects.get_or_create(code=code, defaults={"label": label, "order": order})


def backwards(apps: Any, schema_editor: Any) -> None:
    apps.get_model("recovery", "ReferralOutcomeReason").objects.filter(
        code__in=[code for code, _ in REASONS]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("recovery", "0006_referrals")]
    operations = [migrations.RunPython(forwards, backwards)]
