"""The printed copy of a wellness plan for the person: large plain type, their own words in the
seven parts, the signatures, and nothing about anyone else served. It leaves only through
``core.exports.release`` (the Part 2 check, the logged disclosure, the 42 CFR 2.32 notice when
the plan was made in a Part 2 program), like the safety plan's copy."""

from __future__ import annotations

from typing import Any

from pillars.core import clock, exports
from pillars.core.pdf import FAMILY, document, printable
from pillars.people.selectors import person_zone
from pillars.recovery.models.plans import WellnessPlanVersion

__all__ = ["export", "render"]

BODY = 14
SECTION = 15
PART = 18
TITLE = 24


def export(user: Any, version: WellnessPlanVersion, *, channel: str) -> bytes:
    """The copy that leaves, through the one export door."""
    release = exports.release(
        user,
        what="recovery.wellnessplanversion",
        fmt="pdf",
        records=[version],
        person_id=version.person.public_id,
        detail={"channel": channel, "version": version.number},
    )
    return render(version, release)


def render(version: WellnessPlanVersion, release: exports.Release | None = None) -> bytes:
    """The PDF of one version (the caller has checked scope and audited the read)."""
    person = version.person
    zone = person_zone(person)
    pdf = document(f"Wellness plan for {person.display_name}")
    width = pdf.epw

    def line(text: str, size: int = BODY, style: str = "", gap: float = 2) -> None:
        pdf.set_font(FAMILY, style=style, size=size)
        pdf.multi_cell(width, size * 0.5, printable(text), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(gap)

    line(f"My wellness plan: {person.display_name}", TITLE, "B", 4)
    if version.is_signed and version.signed_at:
        signed_on = clock.local(version.signed_at, zone).date()
        line(f"Signed on {signed_on:%B %d, %Y}. Version {version.number}.", BODY - 2)
    else:
        line(f"Draft (version {version.number}), not signed yet.", BODY - 2, "B")
    line(f"We look at this plan again together on {version.review_on:%B %d, %Y}.", BODY - 2, gap=6)
    for part in version.parts():
        line(part["title"], PART, "B", 1)
        for section in part["sections"]:
            if len(part["sections"]) > 1 or section["label"] != part["title"]:
                line(section["label"], SECTION, "B", 1)
            if not section["entries"]:
                line("(Nothing written here yet.)", BODY, "I", 3)
                continue
            for entry in section["entries"]:
                line(f"-  {entry.get('text', '')}")
            pdf.ln(2)
        pdf.ln(3)
    if version.is_signed:
        line(
            f"Signed by {version.person_signed_name} ({version.get_person_signature_display()})"
            f" and by {version.signed_by.display_name if version.signed_by else ''}.",
            BODY - 2,
        )
    line("You can call or text 988 at any time, day or night.", BODY, "B")
    if release is not None:
        exports.pdf_notice(pdf, release)
    return bytes(pdf.output())
