"""Load the default roles (pillars.core.roles) as data an administrator can change."""

from django.db import migrations

from pillars.core.roles import ROLE_DEFAULTS, RoleCode


def forwards(apps, schema_editor):
    Role = apps.get_model("people", "Role")
    for code, flags in ROLE_DEFAULTS.items():
        Role.objects.update_or_create(
            code=str(code), defaults={"name": RoleCode(code).label, **flags}
        )


class Migration(migrations.Migration):
    dependencies = [("people", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
