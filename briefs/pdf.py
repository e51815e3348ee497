"""PDF of a brief's printable HTML document, laid out by WeasyPrint (HTML and CSS, Pango).

The printable document (app/templates/briefs/printable.html) carries its own print styles:
page size, running header, page numbers, repeated table headers. Fonts come from the system
(DejaVu, Debian's ``fonts-dejavu-core``, which has Cyrillic). Nothing is ever fetched: the
document's images and links are the text of people who may be hostile, so every resource
request is refused and an image prints as its alt text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NoReturn

from weasyprint import HTML

__all__ = ["PdfJob", "render_pdf"]


class ResourceRefused(ValueError):
    """Raised for every resource the document asks for; WeasyPrint then leaves it out."""


def _refuse(url: str, *_args: Any, **_kwargs: Any) -> NoReturn:
    raise ResourceRefused(f"not fetched: {url[:80]}")


def render_pdf(document: str, *, base_url: str) -> bytes:
    """The PDF of a standalone HTML document (`base_url` resolves its relative links)."""
    pdf: bytes = HTML(string=document, base_url=base_url, url_fetcher=_refuse).write_pdf()
    return pdf


@dataclass(frozen=True, slots=True)
class PdfJob:
    """Everything a PDF is made of, read from the database beforehand (the printable HTML,
    already rendered): the layout, slow and CPU-bound, then runs after the transaction, away
    from the session, and identical jobs can share a cache entry."""

    document: str
    base_url: str

    def render(self) -> bytes:
        return render_pdf(self.document, base_url=self.base_url)
