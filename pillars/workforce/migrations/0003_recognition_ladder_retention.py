"""Recognition, the career ladder and retention, with their defaults (``forwards``): the kind
of separation of each exit reason people records (internal transfer added), and an example
ladder for peers and technicians (Pillars' own; programs change it in the admin)."""

import uuid

import django.db.models.deletion
from django.db import migrations, models

# people.choices.ExitReason, each with the kind of separation it is; "internal_transfer" is for
# an exit interview to name (a move to a sister program is not turnover).
EXIT_REASONS = [
    ("resigned_pay", "Resigned: pay", "voluntary"),
    ("resigned_burnout", "Resigned: burnout or stress", "voluntary"),
    ("resigned_schedule", "Resigned: schedule", "voluntary"),
    ("resigned_career", "Resigned: career move or school", "voluntary"),
    ("resigned_other", "Resigned: other", "voluntary"),
    ("relocated", "Relocated", "voluntary"),
    ("retired", "Retired", "voluntary"),
    ("terminated", "Ended by the organization", "involuntary"),
    ("end_of_contract", "End of contract", "involuntary"),
    ("internal_transfer", "Internal transfer", "transfer"),
]
# (role, rank, title, [(kind, threshold, code, label)])
LADDER = [
    ("peer", 1, "Peer support specialist", []),
    (
        "peer",
        2,
        "Certified peer support specialist",
        [
            ("tenure_months", 6, "", "Six months in the role"),
            ("credential", 1, "state-peer", "State peer certification"),
            ("supervised_hours", 500, "", "500 supervised hours"),
        ],
    ),
    (
        "peer",
        3,
        "Senior peer specialist",
        [
            ("tenure_months", 24, "", "Two years in the role"),
            ("credential", 1, "ncps", "National certified peer specialist (NCPS)"),
            ("supervised_hours", 2000, "", "2,000 supervised hours (the NCPS threshold)"),
            ("recognitions", 3, "", "Recognized by colleagues at least three times"),
        ],
    ),
    ("bht", 1, "Behavioral health technician", []),
    (
        "bht",
        2,
        "Behavioral health technician II",
        [
            ("tenure_months", 12, "", "A year in the role"),
            ("training", 1, "observation", "Observation and rounds course, current"),
            ("recognitions", 2, "", "Recognized by colleagues at least twice"),
        ],
    ),
    (
        "bht",
        3,
        "Senior technician and shift lead",
        [
            ("tenure_months", 36, "", "Three years in the role"),
            ("credential", 1, "cmht", "Certified mental health technician"),
            ("recognitions", 5, "", "Recognized by colleagues at least five times"),
        ],
    ),
]


def forwards(apps, schema_editor):
    Kind = apps.get_model("workforce", "ExitReasonKind")
    for code, label, kind in EXIT_REASONS:
        Kind.objects.get_or_create(code=code, defaults={"label": label, "kind": kind})
    Role = apps.get_model("people", "Role")
    Step = apps.get_model("workforce", "LadderStep")
    Criterion = apps.get_model("workforce", "LadderCriterion")
    for role_code, rank, title, criteria in LADDER:
        role = Role.objects.filter(code=role_code).first()
        if role is None or Step.objects.filter(role=role, rank=rank).exists():
            continue
        step = Step.objects.create(role=role, rank=rank, title=title)
        for kind, threshold, code, label in criteria:
            Criterion.objects.create(
                step=step, kind=kind, threshold=threshold, code=code, label=label
            )


class Migration(migrations.Migration):
    dependencies = [
        ("people", "0004_merge_0003_part2_consents_0003_pending_import"),
        ("workforce", "0002_wellbeing"),
    ]

    operations = [
        migrations.CreateModel(
            name="ExitReasonKind",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("public_id", models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                ("code", models.SlugField(max_length=32, unique=True)),
                ("label", models.CharField(max_length=100)),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("voluntary", "Voluntary"),
                            ("involuntary", "Involuntary"),
                            ("transfer", "Internal transfer (not a separation)"),
                        ],
                        max_length=12,
                    ),
                ),
                ("is_active", models.BooleanField(default=True)),
            ],
            options={
                "ordering": ["kind", "label"],
            },
        ),
        migrations.CreateModel(
            name="ExitInterview",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("public_id", models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                ("held_on", models.DateField()),
                ("would_return", models.BooleanField(blank=True, null=True)),
                ("what_helped", models.TextField(blank=True)),
                ("what_would_change", models.TextField(blank=True)),
                ("recorded_at", models.DateTimeField()),
                (
                    "recorded_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="people.staff",
                    ),
                ),
                (
                    "staff",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="exit_interview",
                        to="people.staff",
                    ),
                ),
                (
                    "reason",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="workforce.exitreasonkind",
                    ),
                ),
            ],
            options={
                "ordering": ["-held_on", "pk"],
            },
        ),
        migrations.CreateModel(
            name="LadderStep",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("public_id", models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                ("rank", models.PositiveSmallIntegerField()),
                ("title", models.CharField(max_length=120)),
                ("description", models.CharField(blank=True, max_length=400)),
                ("is_active", models.BooleanField(default=True)),
                (
                    "role",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="people.role",
                    ),
                ),
            ],
            options={
                "ordering": ["role", "rank"],
            },
        ),
        migrations.CreateModel(
            name="LadderPlacement",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("public_id", models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                ("since_on", models.DateField()),
                ("recorded_at", models.DateTimeField()),
                (
                    "recorded_by",
                    models.ForeignKey(
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
                    "step",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="workforce.ladderstep",
                    ),
                ),
            ],
            options={
                "ordering": ["-since_on", "-pk"],
            },
        ),
        migrations.CreateModel(
            name="LadderCriterion",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("public_id", models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                ("kind", models.SlugField(max_length=40)),
                ("threshold", models.DecimalField(decimal_places=2, default=0, max_digits=8)),
                ("code", models.SlugField(blank=True, max_length=40)),
                ("label", models.CharField(max_length=200)),
                (
                    "step",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="criteria",
                        to="workforce.ladderstep",
                    ),
                ),
            ],
            options={
                "ordering": ["step", "pk"],
            },
        ),
        migrations.CreateModel(
            name="Recognition",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("public_id", models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                ("message", models.CharField(max_length=500)),
                ("given_at", models.DateTimeField(db_index=True)),
                ("is_from_leader", models.BooleanField(default=False)),
                ("client_id", models.UUIDField(blank=True, null=True, unique=True)),
                (
                    "given_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="people.staff",
                    ),
                ),
                (
                    "given_to",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="recognitions",
                        to="people.staff",
                    ),
                ),
            ],
            options={
                "ordering": ["-given_at", "pk"],
            },
        ),
        migrations.AddConstraint(
            model_name="ladderstep",
            constraint=models.UniqueConstraint(
                fields=("role", "rank"), name="ladder_step_rank_once"
            ),
        ),
        migrations.AddConstraint(
            model_name="recognition",
            constraint=models.CheckConstraint(
                condition=models.Q(("given_by", models.F("given_to")), _negated=True),
                name="recognition_not_self",
            ),
        ),
        migrations.RunPython(forwards, migrations.RunPython.noop),
    ]
