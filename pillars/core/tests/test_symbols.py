"""Every status symbol the pages show has a glyph in the shipped symbol font, so none renders
as an empty box on a tablet without an emoji font (issue 11, item 13)."""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings
from fontTools.ttLib import TTFont

# The ranges the stylesheet's @font-face serves from the shipped font (static/css/pillars.css).
SYMBOLS = re.compile(
    "[\u2016\u2190-\u21ff\u2212\u2295-\u229b\u2300-\u23ff\u25a0-\u25ff\u2600-\u27bf"
    "\u2900-\u297f\u2b00-\u2bff]"
)
# Anything above the basic plane is an emoji (no shipped glyph): never used.
EMOJI = re.compile("[\U0001f000-\U0001ffff]")


def _sources() -> list[Path]:
    base = Path(settings.BASE_DIR)
    found = [*base.glob("templates/**/*.html"), *base.glob("static/js/*.js")]
    found += [p for p in base.glob("pillars/**/*.py") if "/tests/" not in str(p)]
    return found


def test_every_symbol_in_the_pages_is_in_the_shipped_font() -> None:
    font = TTFont(Path(settings.BASE_DIR) / "static" / "fonts" / "pillars-symbols.ttf")
    glyphs = font.getBestCmap()
    missing: dict[str, set[str]] = {}
    for path in _sources():
        text = path.read_text(encoding="utf-8")
        for char in set(SYMBOLS.findall(text)) | set(EMOJI.findall(text)):
            if ord(char) not in glyphs:
                missing.setdefault(char, set()).add(path.name)
    assert missing == {}, f"symbols with no shipped glyph: {missing}"


def test_the_stylesheet_serves_the_font_for_those_ranges() -> None:
    css = (Path(settings.BASE_DIR) / "static" / "css" / "pillars.css").read_text()
    assert 'font-family: "Pillars Symbols"' in css
    assert "U+2600-27BF" in css
    assert re.search(r":root \{[^}]*font-family: \"Pillars Symbols\"", css, re.S)
