"""Wellbeing: the exposure ledger (moved from incidents), check-in instruments, rules,
invitations and check-ins, self-care resources and the employee assistance contact; with the
defaults (``forwards``): the Copenhagen Burnout Inventory's work-related and client-related
scales as the shipped check-in, and the rules that invite a check-in after a serious event."""

import uuid

import django.db.models.deletion
from django.db import migrations, models

# The Copenhagen Burnout Inventory (Kristensen TS, Borritz M, Villadsen E, Christensen KB. The
# Copenhagen Burnout Inventory: a new tool for the assessment of burnout. Work & Stress
# 2005;19(3):192-207), from the PUMA study of the Danish National Institute of Occupational
# Health, which made it free for anyone to use; the questionnaire's words are kept unmodified.
# Work-related items 1-7 (item 7 reverse-scored), client-related items 8-13; the answers are
# scored 100, 75, 50, 25, 0 and a scale's score is the mean of its items. Items 4-7, 12 and
# 13 are answered by frequency, the others by degree; one 0-100 scale carries both labels.
CBI_CREDIT = (
    "Copenhagen Burnout Inventory, work-related and client-related scales. Kristensen TS, "
    "Borritz M, Villadsen E, Christensen KB (2005), Work & Stress 19(3):192-207. Developed in "
    "the PUMA study at the National Institute of Occupational Health, Copenhagen, and free to "
    "use; the items are shown unmodified."
)
CBI_SCALE = [
    {"value": 100, "label": "Always / to a very high degree"},
    {"value": 75, "label": "Often / to a high degree"},
    {"value": 50, "label": "Sometimes / somewhat"},
    {"value": 25, "label": "Seldom / to a low degree"},
    {"value": 0, "label": "Never or almost never / to a very low degree"},
]
CBI_ITEMS = [
    ("work", "Is your work emotionally exhausting?", False),
    ("work", "Do you feel burnt out because of your work?", False),
    ("work", "Does your work frustrate you?", False),
    ("work", "Do you feel worn out at the end of the working day?", False),
    ("work", "Are you exhausted in the morning at the thought of another day at work?", False),
    ("work", "Do you feel that every working hour is tiring for you?", False),
    ("work", "Do you have enough energy for family and friends during leisure time?", True),
    ("client", "Do you find it hard to work with clients?", False),
    ("client", "Do you find it frustrating to work with clients?", False),
    ("client", "Does it drain your energy to work with clients?", False),
    (
        "client",
        "Do you feel that you give more than you get back when you work with clients?",
        False,
    ),
    ("client", "Are you tired of working with clients?", False),
    (
        "client",
        "Do you sometimes wonder how long you will be able to continue working with clients?",
        False,
    ),
]
# The serious events that invite a check-in (Pillars' defaults; an administrator may change
# them): an assault received, a restraint taken part in, a death or a serious self-harm
# witnessed, an injury at work.
INVITING = ("assault", "restraint", "death_witnessed", "self_harm_witnessed", "injury")


def forwards(apps, schema_editor):
    Instrument = apps.get_model("workforce", "CheckInInstrument")
    Item = apps.get_model("workforce", "CheckInItem")
    Rule = apps.get_model("workforce", "CheckInRule")
    cbi, created = Instrument.objects.get_or_create(
        code="cbi-work-client",
        defaults={
            "name": "Copenhagen Burnout Inventory (work and client scales)",
            "introduction": (
                "Thirteen short questions about the last few weeks. Your answers and scores are "
                "yours alone: nobody else, not your supervisor and not an administrator, can "
                "see them."
            ),
            "credit": CBI_CREDIT,
            "scale": CBI_SCALE,
            "subscales": {"work": "Work-related burnout", "client": "Client-related burnout"},
        },
    )
    if created:
        Item.objects.bulk_create(
            Item(instrument=cbi, number=n, text=text, subscale=scale, is_reversed=rev)
            for n, (scale, text, rev) in enumerate(CBI_ITEMS, start=1)
        )
    for kind in INVITING:
        if not Rule.objects.filter(exposure_kind=kind).exists():
            Rule.objects.create(exposure_kind=kind, instrument=cbi)


class Migration(migrations.Migration):
    dependencies = [
        ("people", "0004_merge_0003_part2_consents_0003_pending_import"),
        ("workforce", "0001_initial"),
        ("incidents", "0011_exposure_to_workforce"),
    ]

    operations = [
        # The exposure ledger moves here from incidents (incidents 0011 renamed its table):
        # the model enters this app's state, the table and its rows stay as they are.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="ExposureEvent",
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
                            "public_id",
                            models.UUIDField(default=uuid.uuid4, editable=False, unique=True),
                        ),
                        (
                            "kind",
                            models.CharField(
                                choices=[
                                    ("restraint", "Restraint"),
                                    ("assault", "Assault"),
                                    ("assault_witnessed", "Assault witnessed"),
                                    ("injury", "Injury"),
                                    ("death_witnessed", "Death witnessed"),
                                    ("self_harm_witnessed", "Serious self-harm witnessed"),
                                ],
                                max_length=20,
                            ),
                        ),
                        ("occurred_at", models.DateTimeField()),
                        ("recorded_at", models.DateTimeField()),
                        ("source_type", models.CharField(max_length=60)),
                        ("source_id", models.UUIDField()),
                        (
                            "staff",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="exposures",
                                to="people.staff",
                            ),
                        ),
                    ],
                    options={
                        "ordering": ["-occurred_at", "pk"],
                    },
                ),
                migrations.AddConstraint(
                    model_name="exposureevent",
                    constraint=models.UniqueConstraint(
                        fields=("staff", "kind", "source_type", "source_id"), name="exposure_once"
                    ),
                ),
            ],
            database_operations=[],
        ),
        migrations.CreateModel(
            name="CheckInInstrument",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("public_id", models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                ("code", models.SlugField(max_length=40, unique=True)),
                ("name", models.CharField(max_length=150)),
                ("version", models.PositiveSmallIntegerField(default=1)),
                ("introduction", models.TextField(blank=True, default="")),
                (
                    "credit",
                    models.TextField(help_text="The source and the terms it may be used on."),
                ),
                ("scale", models.JSONField(default=list)),
                (
                    "subscales",
                    models.JSONField(
                        blank=True,
                        default=dict,
                        help_text='Subscale code to its name, e.g. {"work": "Work"}.',
                    ),
                ),
                ("is_active", models.BooleanField(default=True)),
            ],
            options={
                "ordering": ["name"],
            },
        ),
        migrations.CreateModel(
            name="CheckInRule",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("public_id", models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                (
                    "exposure_kind",
                    models.CharField(
                        choices=[
                            ("restraint", "Restraint"),
                            ("assault", "Assault"),
                            ("assault_witnessed", "Assault witnessed"),
                            ("injury", "Injury"),
                            ("death_witnessed", "Death witnessed"),
                            ("self_harm_witnessed", "Serious self-harm witnessed"),
                        ],
                        max_length=20,
                    ),
                ),
                ("version", models.PositiveSmallIntegerField(default=1)),
                ("remind_after_days", models.PositiveSmallIntegerField(default=3)),
                ("max_reminders", models.PositiveSmallIntegerField(default=2)),
                ("is_active", models.BooleanField(default=True)),
                (
                    "instrument",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="workforce.checkininstrument",
                    ),
                ),
            ],
            options={
                "ordering": ["exposure_kind", "-version"],
            },
        ),
        migrations.CreateModel(
            name="EmployeeAssistance",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("public_id", models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                ("name", models.CharField(max_length=150)),
                ("phone", models.CharField(max_length=40)),
                ("url", models.URLField(blank=True)),
                ("hours", models.CharField(blank=True, max_length=150)),
                ("note", models.CharField(blank=True, max_length=400)),
                (
                    "organization",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="employee_assistance",
                        to="people.organization",
                    ),
                ),
            ],
            options={
                "abstract": False,
            },
        ),
        migrations.CreateModel(
            name="Invitation",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("public_id", models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("open", "Waiting for an answer"),
                            ("answered", "Answered"),
                            ("declined", "Declined"),
                        ],
                        default="open",
                        max_length=10,
                    ),
                ),
                ("invited_at", models.DateTimeField()),
                ("closed_at", models.DateTimeField(blank=True, null=True)),
                ("reminders_sent", models.PositiveSmallIntegerField(default=0)),
                ("next_reminder_at", models.DateTimeField(blank=True, db_index=True, null=True)),
                ("sweep_failures", models.PositiveSmallIntegerField(default=0)),
                (
                    "exposure",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="invitation",
                        to="workforce.exposureevent",
                    ),
                ),
                (
                    "instrument",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="workforce.checkininstrument",
                    ),
                ),
                (
                    "rule",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="workforce.checkinrule",
                    ),
                ),
                (
                    "staff",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="people.staff",
                    ),
                ),
            ],
            options={
                "ordering": ["-invited_at", "pk"],
            },
        ),
        migrations.CreateModel(
            name="CheckIn",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("public_id", models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                ("answered_at", models.DateTimeField(db_index=True)),
                ("answers", models.JSONField()),
                ("scores", models.JSONField()),
                ("client_id", models.UUIDField(blank=True, null=True, unique=True)),
                (
                    "unit",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="people.unit",
                    ),
                ),
                (
                    "supervisor",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="people.staff",
                    ),
                ),
                (
                    "staff",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="people.staff",
                    ),
                ),
                (
                    "instrument",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="workforce.checkininstrument",
                    ),
                ),
                (
                    "invitation",
                    models.OneToOneField(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="check_in",
                        to="workforce.invitation",
                    ),
                ),
            ],
            options={
                "ordering": ["-answered_at", "pk"],
            },
        ),
        migrations.CreateModel(
            name="SelfCareResource",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("public_id", models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                ("title", models.CharField(max_length=150)),
                ("description", models.CharField(blank=True, max_length=400)),
                ("url", models.URLField(blank=True)),
                ("sort_order", models.PositiveSmallIntegerField(default=100)),
                ("is_active", models.BooleanField(default=True)),
                (
                    "organization",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="people.organization",
                    ),
                ),
            ],
            options={
                "ordering": ["sort_order", "title"],
            },
        ),
        migrations.CreateModel(
            name="CheckInItem",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("number", models.PositiveSmallIntegerField()),
                ("text", models.CharField(max_length=300)),
                ("subscale", models.CharField(max_length=40)),
                ("is_reversed", models.BooleanField(default=False)),
                (
                    "instrument",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="items",
                        to="workforce.checkininstrument",
                    ),
                ),
            ],
            options={
                "ordering": ["instrument", "number"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("instrument", "number"), name="checkin_item_once"
                    )
                ],
            },
        ),
        migrations.AddConstraint(
            model_name="checkinrule",
            constraint=models.UniqueConstraint(
                condition=models.Q(("is_active", True)),
                fields=("exposure_kind",),
                name="checkin_rule_one_active_per_kind",
            ),
        ),
        migrations.RunPython(forwards, migrations.RunPython.noop),
    ]
