"""The printed copy of a safety plan for the person served: large, plain type, their own words,
the crisis line, and nothing about anyone else served.

The type is DejaVu Sans, bundled in ``fonts/`` (its licence beside it): Latin, Greek, Cyrillic,
Armenian, Georgian and many symbols print as written. A character the font has no glyph for
(Chinese, Japanese, Korean, most emoji) prints as "?", so a plan always prints rather than
failing. Right-to-left scripts print their letters unshaped.
"""

from __future__ import annotations

import unicodedata
from functools import cache
from pathlib import Path

from fontTools.ttLib import TTFont
from fpdf import FPDF

from pillars.core import clock
from pillars.incidents.models.safety import SafetyPlanVersion
from pillars.people.selectors import person_zone

FONTS = Path(__file__).resolve().parent / "fonts"
FAMILY = "DejaVuSans"
FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf", "I": "DejaVuSans-Oblique.ttf"}
BODY = 16
HEADING = 19
TITLE = 26


@cache
def _covered() -> frozenset[int]:
    """The code points every style of the font has a glyph for."""
    points: frozenset[int] | None = None
    for name in FILES.values():
        with TTFont(FONTS / name, lazy=True) as font:
            cmap = frozenset(font.getBestCmap())
        points = cmap if points is None else points & cmap
    return points or frozenset()


def printable(text: str) -> str:
    """The text in composed form, with "?" for what the font cannot draw (line breaks kept)."""
    covered = _covered()
    text = unicodedata.normalize("NFC", text)
    return "".join(c if c == "\n" or ord(c) in covered else "?" for c in text)


def render(version: SafetyPlanVersion) -> bytes:
    """The PDF of one version (the caller has checked scope and audited the read)."""
    person = version.person
    zone = person_zone(person)
    pdf = FPDF(format="letter")
    for style, name in FILES.items():
        pdf.add_font(FAMILY, style=style, fname=FONTS / name)
    pdf.set_title(printable(f"Safety plan for {person.display_name}"))
    pdf.set_author("Pillars")
    pdf.set_margins(20, 18, 20)
    pdf.set_auto_page_break(auto=True, margin=20)
    pdf.add_page()
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
    return bytes(pdf.output())
