"""The default peer caseload limit: 15 persons served per peer, one state Medicaid program's cap
(DESIGN.md "Facts and defaults"); administrators add stricter or looser rows per program."""

from typing import Any

from django.db import migrations


def forwards(apps: Any, schema_editor: Any) -> None:
    import uuid

    CaseloadLimit = apps.get_model("recovery", "CaseloadLimit")
    if not CaseloadLimit.objects.filter(program__isnull=True).exists():
        CaseloadLimit.objects.create(
            public_id=uuid.uuid4(),
            program=None,
            max_persons=15,
            source="One state Medicaid program caps a peer specialist at 15 persons served.",
        )


def unship(apps: Any, schema_editor: Any) -> None:
    apps.get_model("recovery", "CaseloadLimit").objects.filter(program__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("recovery", "0002_matching")]

    operations = [migrations.RunPython(forwards, unship)]
