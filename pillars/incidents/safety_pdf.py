"""The printed copy of a safety plan for the person served: large, plain type, their own words,
the crisis line, and nothing about anyone else served.

fpdf2's built-in Helvetica covers Latin-1 (accented letters included); typographic quotes and
dashes are printed as their plain forms, and anything else outside Latin-1 as "?", so a plan
always prints rather than failing.
"""

from __future__ import annotations

import unicodedata

from fpdf import FPDF

from pillars.core import clock
from pillars.incidents.models.safety import SafetyPlanVersion
from pillars.incidents.selectors.safety import person_zone

PLAIN = str.maketrans(
    {"‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "—": "-", "…": "...", " ": " "}
)
BODY = 16
HEADING = 19
TITLE = 26


def printable(text: str) -> str:
    text = unicodedata.normalize("NFC", text).translate(PLAIN)
    return text.encode("latin-1", "replace").decode("latin-1")


def render(version: SafetyPlanVersion) -> bytes:
    """The PDF of one version (the caller has checked scope and audited the read)."""
    person = version.person
    zone = person_zone(person)
    pdf = FPDF(format="letter")
    pdf.set_title(printable(f"Safety plan for {person.display_name}"))
    pdf.set_author("Pillars")
    pdf.set_margins(20, 18, 20)
    pdf.set_auto_page_break(auto=True, margin=20)
    pdf.add_page()
    width = pdf.epw

    def line(text: str, size: int = BODY, style: str = "", gap: float = 2) -> None:
        pdf.set_font("Helvetica", style=style, size=size)
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
    return bytes(pdf.output())
