"""Shipped defaults for credentials, trainings and the floor rules (rules as data: an
administrator changes them in the admin; credential types change by new versions).

Facts (DESIGN.md "Facts and defaults"):
- State credentials expire either N years after issue or on a fixed date, with CE minimums by
  category: the state technician certification here runs 2 years after issue; the state peer
  certification renews on 1 September of odd years with 36 CE hours per period, of which 24
  peer/recovery and 3 ethics (the issue's example; set your state's terms).
- Nonviolent crisis intervention certification usually lasts 12 months.
- NCPS (the national board's peer credential), CPR/BLS and QPR: renewal periods as data, 24
  months by default.
Reminders at 90, 60, 30 and 7 days before expiry (the issue).

The floor rules ship with ``missing_effect`` "ignore": until a program has recorded its staff's
credentials, a missing record would warn on every assignment; the compliance overview shows the
missing ones, and an administrator turns the rules to warn or block once records are in. A
LAPSED credential blocks a 1:1 assignment and billing a peer service; on a restraint team it
warns, because staff are named after the hold has happened and refusing a name would hide a
participant from the record.
"""

from decimal import Decimal

from django.db import migrations

REMINDERS = [90, 60, 30, 7]

CE_CATEGORIES = [
    ("peer_recovery", "Peer support and recovery"),
    ("ethics", "Ethics"),
    ("general", "General"),
]

TYPES = [
    # code, name, kind, rule, valid_months, (month, day, parity), ce total, ce minimums, roles
    (
        "state-technician",
        "State behavioral health technician certification",
        "state_technician",
        "after_issue",
        24,
        None,
        Decimal(0),
        {},
        ["bht"],
    ),
    (
        "state-peer",
        "State peer certification",
        "state_peer",
        "fixed_date",
        None,
        (9, 1, "odd"),
        Decimal(36),
        {"peer_recovery": "24", "ethics": "3"},
        ["peer"],
    ),
    (
        "ncps",
        "National Certified Peer Specialist (NCPS)",
        "national_peer",
        "after_issue",
        24,
        None,
        Decimal(0),
        {},
        [],
    ),
    (
        "cpr-bls",
        "CPR / basic life support",
        "cpr_bls",
        "after_issue",
        24,
        None,
        Decimal(0),
        {},
        [
            "bht",
            "nurse",
        ],
    ),
    (
        "nci",
        "Nonviolent crisis intervention",
        "crisis_intervention",
        "after_issue",
        12,
        None,
        Decimal(0),
        {},
        ["bht", "nurse"],
    ),
    (
        "qpr",
        "QPR suicide prevention gatekeeper",
        "suicide_prevention",
        "after_issue",
        24,
        None,
        Decimal(0),
        {},
        [],
    ),
]

COURSES = [
    # code, name, renewal months, roles
    ("observation", "Observation and rounds", 12, ["bht", "nurse"]),
    ("trauma-informed", "Trauma-informed care", 24, ["bht", "nurse", "peer", "clinician"]),
    (
        "privacy",
        "Privacy and confidentiality (HIPAA and 42 CFR Part 2)",
        12,
        ["bht", "nurse", "clinician", "peer", "supervisor", "director", "privacy", "admin"],
    ),
    ("peer-ethics", "Peer role and ethics", 24, ["peer"]),
]

RULES = [
    # name, task, credential codes, course codes, effect
    (
        "1:1 coverage needs CPR/BLS, crisis intervention and observation training",
        "one_to_one",
        ["cpr-bls", "nci"],
        ["observation"],
        "block",
    ),
    ("Restraint team needs crisis intervention", "restraint_team", ["nci"], [], "warn"),
    (
        "Billable peer services need the state peer certification",
        "billable_peer_service",
        ["state-peer"],
        [],
        "block",
    ),
]


def forwards(apps, schema_editor):
    Role = apps.get_model("people", "Role")
    CeCategory = apps.get_model("workforce", "CeCategory")
    CredentialType = apps.get_model("workforce", "CredentialType")
    Course = apps.get_model("workforce", "Course")
    FloorRule = apps.get_model("workforce", "FloorRule")
    roles = {r.code: r for r in Role.objects.all()}
    for code, name in CE_CATEGORIES:
        CeCategory.objects.get_or_create(code=code, defaults={"name": name})
    types = {}
    for code, name, kind, rule, months, fixed, total, minimums, role_codes in TYPES:
        kind_row = CredentialType.objects.filter(code=code, is_current=True).first()
        if kind_row is None:
            month, day, parity = fixed or (None, None, "any")
            kind_row = CredentialType.objects.create(
                code=code,
                name=name,
                kind=kind,
                expiry_rule=rule,
                valid_months=months,
                fixed_month=month,
                fixed_day=day,
                fixed_year_parity=parity,
                ce_total_hours=total,
                ce_minimums=minimums,
                reminder_days=REMINDERS,
            )
            kind_row.required_for.set([roles[c] for c in role_codes if c in roles])
        types[code] = kind_row
    courses = {}
    for code, name, months, role_codes in COURSES:
        course, made = Course.objects.get_or_create(
            code=code, defaults={"name": name, "renewal_months": months}
        )
        if made:
            course.required_for.set([roles[c] for c in role_codes if c in roles])
        courses[code] = course
    for name, task, codes, course_codes, effect in RULES:
        if FloorRule.objects.filter(task=task, name=name).exists():
            continue
        rule = FloorRule.objects.create(
            name=name, task=task, effect=effect, missing_effect="ignore"
        )
        rule.credential_types.set([types[c] for c in codes])
        rule.courses.set([courses[c] for c in course_codes])


class Migration(migrations.Migration):
    dependencies = [
        ("workforce", "0002_credentials"),
        ("people", "0002_default_roles"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
