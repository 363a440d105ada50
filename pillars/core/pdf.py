"""What every printed copy shares: the bundled type and the text it can draw.

The type is DejaVu Sans, bundled in ``fonts/`` (its licence beside it): Latin, Greek, Cyrillic,
Armenian, Georgian and many symbols print as written. A character the font has no glyph for
(Chinese, Japanese, Korean, most emoji) prints as "?", so a document always prints rather than
failing. Right-to-left scripts print their letters unshaped.
"""

from __future__ import annotations

import unicodedata
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fpdf import FPDF

# fpdf and fontTools are imported where a document is drawn, not at start-up: together they
# are most of the time every process (the web server, the worker, each command) takes to start.

FONTS = Path(__file__).resolve().parent / "fonts"
FAMILY = "DejaVuSans"
FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf", "I": "DejaVuSans-Oblique.ttf"}


@cache
def _covered() -> frozenset[int]:
    """The code points every style of the font has a glyph for."""
    from fontTools.ttLib import TTFont

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


def document(title: str) -> FPDF:
    """A letter-size document in the bundled type, with its first page open."""
    from fpdf import FPDF

    pdf = FPDF(format="letter")
    for style, name in FILES.items():
        pdf.add_font(FAMILY, style=style, fname=FONTS / name)
    pdf.set_title(printable(title))
    pdf.set_author("Pillars")
    pdf.set_margins(20, 18, 20)
    pdf.set_auto_page_break(auto=True, margin=20)
    pdf.add_page()
    return pdf


def writer(pdf: FPDF, body: int = 12, *, leading: float = 0.5, gap: float = 2) -> Any:
    """``line(text, size, style, gap)``: a paragraph across the page's width, its lines
    ``leading`` times its size apart, ``gap`` below it unless told otherwise."""
    paragraph_gap = gap

    def line(text: str, size: int = body, style: str = "", gap: float = paragraph_gap) -> None:
        pdf.set_font(FAMILY, style=style, size=size)
        pdf.multi_cell(pdf.epw, size * leading, printable(text), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(gap)

    return line
