"""Default environment-of-care templates: a bedroom ligature and sharps check, a bathroom
ligature check, an exits check and a contraband sweep. Most inpatient suicides happen in
bedrooms and bathrooms (DESIGN.md facts), so those two walk every fixed point a cord, sheet or
belt could be tied to. Administrators change them by making new versions."""

from django.db import migrations
from django.utils import timezone

L, S, E, C, OTHER = "ligature", "sharps", "exits", "contraband", "other"

DEFAULTS = [
    (
        "bedroom-ligature",
        "Bedroom ligature and sharps check",
        "room",
        "Walk the bedroom from the door inward; look, touch and try every fixed point.",
        [
            (L, "Door hinges are continuous (piano) hinges or covered; no gap a cord could catch"),
            (
                L,
                "Door handles and levers are anti-ligature on both sides; nothing loops over the door top",
            ),
            (L, "Closet or wardrobe has no rod or hook, or the rod releases under a small load"),
            (
                L,
                "Bed frame has no gaps, slats or exposed springs a sheet could be threaded through",
            ),
            (
                L,
                "No cords, cables, tubing or drawstrings in the room (chargers, lamps, blinds, oxygen)",
            ),
            (L, "Window hardware, blinds and curtain fittings are flush, sealed or breakaway"),
            (L, "Air vents and grilles are fine-mesh, flush and tightly fixed"),
            (L, "Light fittings, smoke detector and sprinkler heads are recessed or tamper-proof"),
            (L, "Furniture is heavy or fixed down and cannot be stood on to reach the ceiling"),
            (
                S,
                "No glass, mirrors that break, razors, pens with metal parts or other sharps found",
            ),
            (S, "Sharps count for the room matches the sign-out log (shaving kits, nail clippers)"),
            (OTHER, "Ceiling tiles are in place and not loose; no holes in walls"),
        ],
    ),
    (
        "bathroom-ligature",
        "Bathroom ligature check",
        "bathroom",
        "Check with the door open and with it shut; bathrooms are rarely seen by staff.",
        [
            (L, "Shower head is flush or a collapsing anti-ligature head; no hose"),
            (L, "Taps, shower controls and spouts are anti-ligature (no loops, no gaps behind)"),
            (L, "No shower curtain rail or rod, or it gives way under a small load"),
            (L, "Towel, robe and toilet-roll holders are recessed or breakaway; no hooks"),
            (L, "Toilet has no exposed pipes, flush handle loop or seat-hinge gap"),
            (L, "Sink has boxed-in pipes and a flush waste; no exposed trap"),
            (
                L,
                "Door has no hinges or closers to tie to; it opens outward or can be removed quickly",
            ),
            (L, "Grab rails are closed to the wall with no gap a cloth could pass behind"),
            (S, "Mirror is polished metal or safety film, firmly fixed and unbroken"),
            (OTHER, "Nurse call or alarm cord is a pull-button or short breakaway cord"),
        ],
    ),
    (
        "exits-check",
        "Exits check",
        "exit",
        "Try each exit in person; an alarm that is not heard is not working.",
        [
            (E, "Unit entry doors are locked and close and latch on their own"),
            (E, "Door alarms sound when each exit is opened (test, then reset)"),
            (E, "Fire exits are clear inside and out and their release works"),
            (E, "Windows that open are restricted so no one can get through"),
            (E, "Courtyard fence and gates are intact and locked; nothing to climb on"),
            (E, "Sally port or airlock doors cannot both be open at once"),
            (E, "Staff keys and fobs are all accounted for"),
        ],
    ),
    (
        "contraband-sweep",
        "Contraband sweep",
        "unit",
        "Search common areas and, with the person present where possible, their room.",
        [
            (C, "Mattress seams, pillows and bedding checked for hidden items"),
            (C, "Drawers, shelves, closets and under furniture searched"),
            (C, "Vents, light fittings and ceiling tiles checked for hidden items"),
            (C, "Personal belongings searched for drugs, alcohol, lighters and matches"),
            (C, "Belts, shoelaces, cords and plastic bags removed or accounted for"),
            (C, "Common-area furniture, cushions and games searched"),
            (S, "Kitchen and activity-room sharps counted and locked away"),
            (C, "Items found are logged, bagged and handed to the nurse in charge"),
        ],
    ),
]


def forwards(apps, schema_editor):
    Template = apps.get_model("rounds", "InspectionTemplate")
    Item = apps.get_model("rounds", "TemplateItem")
    now = timezone.now()
    for code, name, kind, description, items in DEFAULTS:
        if Template.objects.filter(code=code).exists():
            continue
        template = Template.objects.create(
            code=code,
            version=1,
            is_current=True,
            is_active=True,
            name=name,
            area_kind=kind,
            description=description,
            created_at=now,
        )
        for position, (category, text) in enumerate(items, start=1):
            Item.objects.create(template=template, position=position, text=text, category=category)


class Migration(migrations.Migration):
    dependencies = [("rounds", "0004_inspections")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
