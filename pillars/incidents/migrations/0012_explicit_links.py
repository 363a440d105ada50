"""The many-to-many links become models of their own on the same tables, with nothing changed
in the database, so each row can carry its organization (people.tenancy)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("incidents", "0011_exposure_to_workforce"), ("people", "0007_explicit_links")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="IncidentDeescalationStep",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "incident",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to="incidents.incident",
                            ),
                        ),
                        (
                            "deescalationstep",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to="incidents.deescalationstep",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "incidents_incident_deescalation_steps",
                        "unique_together": {("incident", "deescalationstep")},
                    },
                ),
                migrations.AlterField(
                    model_name="incident",
                    name="deescalation_steps",
                    field=models.ManyToManyField(
                        blank=True,
                        through="incidents.IncidentDeescalationStep",
                        to="incidents.deescalationstep",
                    ),
                ),
            ],
            database_operations=[],
        ),
    ]
