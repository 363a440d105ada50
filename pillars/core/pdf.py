"""What every printed copy shares: the bundled type and the text it can draw.

The type is DejaVu Sans, bundled in ``fonts/`` (its licence beside it): Latin, Greek, Cyrillic,
Armenian, Georgian and many symbols print as written. A character the font has no glyph for
(Chinese, Japanese, Korean, most emoji) prints as "?", so a document always prints rather than
failing. Right-to-left scripts print their letters unshaped.
"""

from __future__ import annotations

import copy
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
    """A letter-size document in the bundled type, with its first page open. Each style of the
    type joins the document the first time it is set, so a copy embeds only the styles it
    prints in."""
    pdf = _document_class()(format="letter")
    pdf.set_title(printable(title))
    pdf.set_author("Pillars")
    pdf.set_margins(20, 18, 20)
    pdf.set_auto_page_break(auto=True, margin=20)
    pdf.add_page()
    return pdf


@cache
def _document_class() -> type[FPDF]:
    from fpdf import FPDF

    class Document(FPDF):
        def set_font(self, family: str | None = None, style: Any = "", size: float = 0) -> None:
            if (family or self.font_family).lower() == FAMILY.lower():
                _add_style(self, getattr(style, "style", style))
            super().set_font(family, style, size)

    return Document


def _add_style(pdf: FPDF, style: str) -> None:
    """Add the style of the bundled type that ``style`` names (underline and strike-through
    aside) to ``pdf`` unless it is there, as a copy of the style parsed once per process."""
    from collections import defaultdict

    from fontTools.ttLib import TTFont
    from fpdf.fonts import SubsetMap

    style = "".join(sorted(set(style.upper()) - {"U", "S"}))
    parsed = _parsed(style) if style in FILES else None
    if parsed is None or parsed.fontkey in pdf.fonts:
        return
    # What fpdf derives from the font file (its widths, glyph ids, metrics) is shared; what one
    # document changes is its own: its number among the document's fonts, the glyphs it uses,
    # and the font file itself, which fpdf cuts down to those glyphs when the document is saved.
    font = copy.copy(parsed)
    font.i = len(pdf.fonts) + 1
    font.ttfont = TTFont(FONTS / FILES[style], recalcTimestamp=False, lazy=True)
    font.cw = defaultdict(parsed.cw.default_factory, parsed.cw)
    font.glyph_ids = dict(parsed.glyph_ids)
    font.missing_glyphs = []
    font.biggest_size_pt = 0
    font._hbfont = None
    font.subset = SubsetMap(font)
    pdf.fonts[font.fontkey] = font


@cache
def _parsed(style: str) -> Any:
    """One style of the bundled type as fpdf reads it from its file (about 0.04 s a style)."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_font(FAMILY, style=style, fname=FONTS / FILES[style])
    return pdf.fonts[f"{FAMILY.lower()}{style}"]


def writer(pdf: FPDF, body: int = 12, *, leading: float = 0.5, gap: float = 2) -> Any:
    """``line(text, size, style, gap)``: a paragraph across the page's width, its lines
    ``leading`` times its size apart, ``gap`` below it unless told otherwise."""
    paragraph_gap = gap

    def line(text: str, size: int = body, style: str = "", gap: float = paragraph_gap) -> None:
        pdf.set_font(FAMILY, style=style, size=size)
        pdf.multi_cell(pdf.epw, size * leading, printable(text), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(gap)

    return line
