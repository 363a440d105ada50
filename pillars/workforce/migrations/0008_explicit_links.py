"""The many-to-many links become models of their own on the same tables, with nothing changed
in the database, so each row can carry its organization (people.tenancy)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("workforce", "0007_cadence_rule_versions"), ("people", "0007_explicit_links")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="HandoverAssignment",
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
                            "handover",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to="workforce.handover",
                            ),
                        ),
                        (
                            "caseloadassignment",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to="people.caseloadassignment",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "workforce_handover_assignments",
                        "unique_together": {("handover", "caseloadassignment")},
                    },
                ),
                migrations.CreateModel(
                    name="HandoverReceiver",
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
                            "handover",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to="workforce.handover",
                            ),
                        ),
                        (
                            "staff",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to="people.staff",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "workforce_handover_receivers",
                        "unique_together": {("handover", "staff")},
                    },
                ),
                migrations.AlterField(
                    model_name="handover",
                    name="assignments",
                    field=models.ManyToManyField(
                        related_name="+",
                        through="workforce.HandoverAssignment",
                        to="people.caseloadassignment",
                    ),
                ),
                migrations.AlterField(
                    model_name="handover",
                    name="receivers",
                    field=models.ManyToManyField(
                        related_name="handovers_received",
                        through="workforce.HandoverReceiver",
                        to="people.staff",
                    ),
                ),
            ],
            database_operations=[],
        ),
    ]
