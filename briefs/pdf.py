"""PDF rendering of a brief's printable HTML with fpdf2 (pure Python, no system libraries).

The DejaVu fonts (Debian package ``fonts-dejavu-core``) are embedded because the PDF core
fonts have no Cyrillic: a Ukrainian brief must print in Ukrainian. Images are replaced by
their alt text so that rendering never fetches anything from the network.
"""

from __future__ import annotations

import html
import logging
import re
from datetime import datetime
from pathlib import Path
from typing import Protocol

from fpdf import FPDF
from fpdf.fonts import FontFace
from fpdf.html import DEFAULT_TAG_STYLES

__all__ = ["FONT_DIR", "FpdfRenderer", "PdfRenderer"]

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
_FONTS = {
    ("DejaVu", ""): "DejaVuSans.ttf",
    ("DejaVu", "B"): "DejaVuSans-Bold.ttf",
    ("DejaVu", "I"): "DejaVuSans-Oblique.ttf",
    ("DejaVu", "BI"): "DejaVuSans-BoldOblique.ttf",
    ("DejaVuMono", ""): "DejaVuSansMono.ttf",
}
_IMAGE = re.compile(r"<img\b[^>]*?\balt=\"([^\"]*)\"[^>]*>", re.IGNORECASE)
_ANY_IMAGE = re.compile(r"<img\b[^>]*>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]+>")
_CELL = re.compile(r"<(t[dh])\b[^>]*>(.*?)</\1>", re.IGNORECASE | re.DOTALL)
_BLOCK_END = re.compile(r"</(?:p|h[1-6]|li|tr|blockquote|pre|table)>", re.IGNORECASE)
_INK = (25, 25, 25)
# fpdf2's default headings are dark red; a policy brief prints in black.
_TAG_STYLES: dict[str, FontFace] = {
    **{f"h{level}": DEFAULT_TAG_STYLES[f"h{level}"].replace(color=_INK) for level in range(1, 7)},
    "blockquote": DEFAULT_TAG_STYLES["blockquote"].replace(color=(70, 70, 70), l_margin=8),
    # Courier, the default, has no Cyrillic either.
    "code": DEFAULT_TAG_STYLES["code"].replace(family="DejaVuMono"),
    "pre": DEFAULT_TAG_STYLES["pre"].replace(font_family="DejaVuMono"),
}
log = logging.getLogger(__name__)


class PdfRenderer(Protocol):
    def render(self, body_html: str, *, title: str, language: str, created: datetime) -> bytes:
        """A PDF of an HTML fragment made of the tags core.markdown produces."""
        ...


def _printable(body_html: str) -> str:
    """What fpdf2 can lay out: images become their alt text, table cells plain text (its
    tables take no markup inside a cell)."""
    without_images = _ANY_IMAGE.sub("", _IMAGE.sub(r"\1", body_html))
    return _CELL.sub(
        lambda cell: f"<{cell.group(1)}>{_TAG.sub('', cell.group(2))}</{cell.group(1)}>",
        without_images,
    )


def _plain_lines(body_html: str) -> str:
    """The text of the HTML, one block per line: the fallback when layout fails."""
    text = _TAG.sub("", _BLOCK_END.sub("\n", body_html))
    return html.unescape(re.sub(r"\n{3,}", "\n\n", text)).strip()


class FpdfRenderer:
    """The real renderer. fpdf2 lays out a subset of HTML; if a document defeats its layout
    engine, the same text is printed as plain paragraphs rather than failing the download."""

    def __init__(self, font_dir: Path = FONT_DIR) -> None:
        self.font_dir = font_dir

    def render(self, body_html: str, *, title: str, language: str, created: datetime) -> bytes:
        pdf = self._document(title, language, created)
        try:
            pdf.write_html(
                _printable(body_html),
                font_family="DejaVu",
                table_line_separators=True,
                li_prefix_color=_INK,
                tag_styles=_TAG_STYLES,
            )
        except Exception:  # fpdf2 raises many kinds of layout errors; the text still prints
            log.warning("PDF layout failed for %r; printing plain text", title, exc_info=True)
            pdf = self._document(title, language, created)
            pdf.multi_cell(0, 6, _plain_lines(body_html))
        return bytes(pdf.output())

    def _document(self, title: str, language: str, created: datetime) -> FPDF:
        pdf = FPDF(format="A4")
        for (family, style), filename in _FONTS.items():
            pdf.add_font(family, style, str(self.font_dir / filename))
        pdf.set_title(title)
        pdf.set_lang(language)
        pdf.set_creator("Roundtable")
        pdf.set_creation_date(created)
        pdf.set_margins(20, 20, 20)
        pdf.set_auto_page_break(auto=True, margin=20)
        pdf.add_page()
        pdf.set_font("DejaVu", size=11)
        return pdf
