"""Shipped defaults for peer encounters: the peer-role activity taxonomy and the scope-guard word
list (DESIGN.md rule 8: rules are data with sane defaults). Administrators edit both afterwards;
running again adds only what is missing, and nothing is ever removed."""

from django.db import migrations

ACTIVITIES = [
    ("sharing-story", "Sharing recovery story", "Purposeful sharing of lived experience."),
    ("coaching-goals", "Coaching and goal setting", "Working on goals the person chose."),
    ("advocacy", "Advocacy", "Speaking up with or for the person, as they ask."),
    ("resource-navigation", "Resource navigation", "Finding and connecting to resources."),
    ("mutual-support-group", "Mutual-support group", "A peer-led group."),
    ("crisis-support", "Crisis support", "Being with the person through a hard moment."),
    ("system-navigation", "System navigation", "Finding a way through services and benefits."),
    ("relationship-building", "Relationship building", "Building trust and connection."),
    ("wellness-planning", "Wellness planning", "Writing or using the person's wellness plan."),
    ("community-connection", "Community connection", "Linking to community and natural supports."),
]

# (term, regex pattern or "", category, suggestion)
TERMS = [
    ("patient", r"\bpatients?\b", "clinical_label", "person, participant, or the person's name"),
    ("client", r"\bclients?\b", "clinical_label", "person, participant, or the person's name"),
    ("non-compliant", r"\bnon-?complian(?:t|ce)\b", "deficit", "chose not to / not ready to"),
    ("refused", "", "deficit", "chose not to / decided against"),
    ("manipulative", "", "deficit", "describe what happened and what the person needed"),
    ("attention-seeking", r"\battention[- ]seeking\b", "deficit", "reaching out for connection"),
    ("in denial", "", "deficit", "not ready to talk about it yet"),
    (
        "should take (his/her/their) medication",
        r"\bshould (?:take|stay on|keep taking) (?:his|her|their|the|your) (?:med(?:ication)?s?)\b",
        "medication",
        "talked about what helps (and who to ask about medication)",
    ),
    (
        "medication advice",
        r"\b(?:increase|decrease|stop|double|skip) (?:his|her|their|the|your) "
        r"(?:dose|med(?:ication)?s?)\b",
        "medication",
        "talked about what helps; the prescriber decides about medication",
    ),
    ("schizophrenic", "", "diagnosis", "a person living with schizophrenia (if they say so)"),
    ("bipolar", r"\b(?:is|a|the) bipolar\b", "diagnosis", "a person who lives with bipolar"),
    ("addict", r"\baddicts?\b", "diagnosis", "a person in recovery / who uses substances"),
    ("alcoholic", r"\balcoholics?\b", "diagnosis", "a person in recovery from alcohol use"),
    ("junkie", r"\bjunkies?\b", "diagnosis", "a person who uses drugs"),
    ("diagnosed with", "", "diagnosis", "leave diagnosis to the clinical record"),
    ("psychotic", "", "diagnosis", "describe what the person experienced, in their words"),
    ("risk score", r"\brisk (?:score|level|rating)\b", "risk", "describe what the person shared"),
    ("high risk", r"\bhigh[- ]risk\b", "risk", "describe what the person shared"),
    ("symptoms", r"\bsymptoms?\b", "clinical_label", "what the person is going through"),
]


def forwards(apps, schema_editor):
    Activity = apps.get_model("recovery", "PeerActivity")
    Term = apps.get_model("recovery", "ScopeGuardTerm")
    for n, (code, label, description) in enumerate(ACTIVITIES):
        Activity.objects.get_or_create(
            code=code,
            defaults={"label": label, "description": description, "sort_order": (n + 1) * 10},
        )
    for term, pattern, category, suggestion in TERMS:
        Term.objects.get_or_create(
            term=term,
            defaults={"pattern": pattern, "category": category, "suggestion": suggestion},
        )


class Migration(migrations.Migration):
    dependencies = [("recovery", "0002_encounters")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
