"""The recovery capital instruments Pillars ships (free to use; DESIGN.md "Facts and defaults").

BARC-10 (Vilsaint et al., 2017, Drug and Alcohol Dependence 177:71-76): ten items, answered 1
(strongly disagree) to 6 (strongly agree), summed to 10-60; in one study a total of 47 or more
predicted sustained remission, drawn as a research reference line, never as a target.

MIRC, the Multidimensional Inventory of Recovery Capital (Bowen et al., 2023, Drug and Alcohol
Dependence 247:109875): 28 items answered 1 (strongly disagree) to 4 (strongly agree), four
subscales of seven items (social, physical, human and cultural capital), total 28-112. Its item
wording and scoring key (which items are reverse-scored) come with the publication's
supplement; Pillars ships the structure with each item named by number and subscale, no item
marked reversed, and it is given with a staff member reading from the published form. A
program enters the published wording and ticks ``is_reversed`` on the items the key names, in
the admin (Recovery > Instrument items); the server's scoring follows the flags.
"""

from django.db import migrations

AGREE6 = {
    "1": "Strongly disagree",
    "2": "Disagree",
    "3": "Somewhat disagree",
    "4": "Somewhat agree",
    "5": "Agree",
    "6": "Strongly agree",
}
AGREE4 = {"1": "Strongly disagree", "2": "Disagree", "3": "Agree", "4": "Strongly agree"}

BARC10_ITEMS = [
    "There are more important things to me in life than using substances.",
    "In general I am happy with my life.",
    "I have enough energy to complete the tasks I set myself.",
    "I am proud of the community I live in and feel a part of it.",
    "I get lots of support from friends.",
    "I regard my life as challenging and fulfilling without the need for using drugs or alcohol.",
    "My living space has helped to drive my recovery journey.",
    "I take full responsibility for my actions.",
    "I am happy dealing with a range of professional people.",
    "I am making good progress on my recovery journey.",
]

MIRC_SUBSCALES = [
    ("social", "Social capital"),
    ("physical", "Physical capital"),
    ("human", "Human capital"),
    ("cultural", "Cultural capital"),
]


def forwards(apps, schema_editor):
    Instrument = apps.get_model("recovery", "Instrument")
    Subscale = apps.get_model("recovery", "InstrumentSubscale")
    Item = apps.get_model("recovery", "InstrumentItem")
    if not Instrument.objects.filter(code="barc-10").exists():
        barc = Instrument.objects.create(
            code="barc-10",
            name="BARC-10 (Brief Assessment of Recovery Capital)",
            description="Ten statements about the resources a person has for recovery. "
            "Higher totals mean more recovery capital.",
            source="Vilsaint CL, Kelly JF, Bergman BG, et al. Development and validation of a "
            "Brief Assessment of Recovery Capital (BARC-10) for alcohol and drug use "
            "disorder. Drug Alcohol Depend. 2017;177:71-76.",
            license_note="Free to use.",
            scale_min=1,
            scale_max=6,
            scale_labels=AGREE6,
            scoring="sum",
            reference_lines=[
                {
                    "value": 47,
                    "label": "47: in one study, totals at or above this went with "
                    "sustained remission (a research reference, not a target)",
                }
            ],
            is_self_administrable=True,
            sort_order=10,
        )
        for n, text in enumerate(BARC10_ITEMS, start=1):
            Item.objects.create(instrument=barc, number=n, text=text)
    if not Instrument.objects.filter(code="mirc").exists():
        mirc = Instrument.objects.create(
            code="mirc",
            name="MIRC (Multidimensional Inventory of Recovery Capital)",
            description="Twenty-eight statements in four parts: social, physical, human and "
            "cultural capital. Read the statements from the published form; a program may "
            "enter their wording in the admin.",
            source="Bowen EA, Irish A, LaBarre C, et al. Development and psychometric "
            "properties of the Multidimensional Inventory of Recovery Capital (MIRC). Drug "
            "Alcohol Depend. 2023;247:109875.",
            license_note="Free to use in treatment and community settings.",
            scale_min=1,
            scale_max=4,
            scale_labels=AGREE4,
            scoring="sum",
            reference_lines=[],
            is_self_administrable=False,
            sort_order=20,
        )
        number = 1
        for order, (code, name) in enumerate(MIRC_SUBSCALES):
            sub = Subscale.objects.create(instrument=mirc, code=code, name=name, sort_order=order)
            for k in range(1, 8):
                Item.objects.create(
                    instrument=mirc,
                    number=number,
                    text=f"{name}, statement {k} of 7 (item {number} on the published form)",
                    subscale=sub,
                    is_reversed=False,
                )
                number += 1


class Migration(migrations.Migration):
    dependencies = [("recovery", "0002_plans_capital")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
