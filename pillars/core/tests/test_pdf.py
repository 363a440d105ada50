"""The printed copies' shared type (``core.pdf``): each style joins a document when first set,
copied from the one parse per process, and every document carries the glyphs it prints."""

from __future__ import annotations

import io
from typing import Any

import pytest
from fpdf.errors import FPDFException
from pypdf import PdfReader

from pillars.core.pdf import document, writer


def _printed(lines: list[tuple[str, str]]) -> PdfReader:
    pdf = document("A test copy")
    line = writer(pdf)
    for text, style in lines:
        line(text, style=style)
    return PdfReader(io.BytesIO(bytes(pdf.output())))


def _fonts(reader: PdfReader) -> list[str]:
    fonts: Any = reader.pages[0]["/Resources"]["/Font"]  # type: ignore[index]
    return sorted(str(font.get_object()["/BaseFont"]).split("+")[1] for font in fonts.values())


def test_a_copy_embeds_only_the_styles_it_prints_in() -> None:
    assert _fonts(_printed([("Plain words", "")])) == ["DejaVuSansBook"]
    assert _fonts(_printed([("Heading", "B"), ("Body", ""), ("Aside", "I")])) == [
        "DejaVuSansBold",
        "DejaVuSansBook",
        "DejaVuSansOblique",
    ]


def test_documents_made_one_after_another_each_print_their_own_text() -> None:
    # Saving a document cuts its font file down to the glyphs it used; the next document's
    # copy of the style must still have every glyph.
    first = _printed([("Ärzte Ωmega", "B"), ("abc", "")])
    second = _printed([("Жизнь xyz ✓", "B"), ("QRST 0123", "")])
    third = _printed([("Ärzte Ωmega", "B"), ("Жизнь", "")])
    assert first.pages[0].extract_text().split("\n") == ["Ärzte Ωmega", "abc"]
    assert second.pages[0].extract_text().split("\n") == ["Жизнь xyz ✓", "QRST 0123"]
    assert third.pages[0].extract_text().split("\n") == ["Ärzte Ωmega", "Жизнь"]


def test_a_style_the_type_does_not_have_is_refused_as_before() -> None:
    pdf = document("A test copy")
    with pytest.raises(FPDFException, match="Undefined font"):
        pdf.set_font("DejaVuSans", style="BI", size=12)
