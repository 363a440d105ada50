"""The printed copy of a safety plan for the person served: large, plain type, their own words,
the crisis line, and nothing about anyone else served. The type is the bundled DejaVu Sans
(``core.pdf``), so the person's own script prints.
"""

from __future__ import annotations

from typing import Any

from pillars.core import clock, exports
from pillars.core.pdf import FAMILY, document, printable
from pillars.incidents.models.safety import SafetyPlanVersion
from pillars.people.selectors import person_zone

__all__ = ["export", "printable", "render"]

BODY = 16
HEADING = 19
TITLE = 26


def export(user: Any, version: SafetyPlanVersion, *, channel: str) -> bytes:
    """The copy that leaves: through ``core.exports.release`` (the Part 2 check, the logged
    disclosure, the 42 CFR 2.32 notice printed when the plan was made in a Part 2 program)."""
    release = exports.release(
        user,
        what="incidents.safetyplanversion",
        fmt="pdf",
        records=[version],
        person_id=version.person.public_id,
        detail={"channel": channel, "version": version.number},
    )
    return render(version, release)


def render(version: SafetyPlanVersion, release: exports.Release | None = None) -> bytes:
    """The PDF of one version (the caller has checked scope and audited the read); with a
    release, its notice is printed at the end."""
    person = version.person
    zone = person_zone(person)
    pdf = document(f"Safety plan for {person.display_name}")
    width = pdf.epw

    def line(text: str, size: int = BODY, style: str = "", gap: float = 2) -> None:
        pdf.set_font(FAMILY, style=style, size=size)
        pdf.multi_cell(width, size * 0.5, printable(text), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(gap)

    line(f"My safety plan: {person.display_name}", TITLE, "B", 4)
    if version.is_signed and version.signed_at:
        signed_on = clock.local(version.signed_at, zone).date()
        line(f"Signed on {signed_on:%B %d, %Y}. Version {version.number}.", BODY - 2)
    else:
        line(f"Draft (version {version.number}), not signed yet.", BODY - 2, "B")
    line(f"We look at this plan again together on {version.review_on:%B %d, %Y}.", BODY - 2, gap=6)

    for section in version.sections():
        line(section["label"], HEADING, "B", 1)
        entries = section["entries"]
        if not entries:
            line("(Nothing written here yet.)", BODY, "I", 5)
            continue
        for entry in entries:
            if section["is_contacts"]:
                line(f"-  {entry.get('name', '')}: {entry.get('phone', '')}")
            else:
                line(f"-  {entry.get('text', '')}")
        pdf.ln(4)

    line("If you are in danger right now, call 911.", BODY, "B", 1)
    line("You can call or text 988 at any time, day or night.", BODY, "B")
    if release is not None:
        exports.pdf_notice(pdf, release)
    return bytes(pdf.output())
