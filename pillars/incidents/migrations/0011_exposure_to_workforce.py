"""The staff exposure ledger moves to the workforce app (workforce.wellbeing): the table is
renamed, its rows and keys kept, and the model leaves this app's state (workforce's
0002_wellbeing takes it up without touching the table)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("incidents", "0010_sweep_retry")]

    operations = [
        migrations.AlterModelTable(name="exposureevent", table="workforce_exposureevent"),
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="ExposureEvent")],
            database_operations=[],
        ),
    ]
