"""Turning uploaded drafts (.md, .docx) into Markdown."""

from __future__ import annotations

import io
import zipfile

import docx

from core.errors import InvalidInput
from core.i18n import N_

MAX_UPLOAD_BYTES = 5 * 1024 * 1024


def draft_markdown(filename: str, content: bytes) -> str:
    """The Markdown of an uploaded draft, whatever its format."""
    if len(content) > MAX_UPLOAD_BYTES:
        raise InvalidInput(N_("The file is larger than 5 MB."), fields={"file": N_("too large")})
    if filename.lower().endswith(".docx"):
        return docx_to_markdown(content)
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InvalidInput(
            N_("The file is not UTF-8 Markdown or a .docx document."),
            fields={"file": N_("unreadable")},
        ) from error


def docx_to_markdown(content: bytes) -> str:
    """Headings, list paragraphs and body text of a Word document as Markdown."""
    try:
        document = docx.Document(io.BytesIO(content))
    except (zipfile.BadZipFile, KeyError, ValueError) as error:
        raise InvalidInput(
            N_("The .docx file could not be read."), fields={"file": N_("bad")}
        ) from error
    lines = []
    for paragraph in document.paragraphs:
        text = paragraph.text.strip()
        if not text:
            continue
        style = (paragraph.style.name if paragraph.style is not None else "") or ""
        if style.startswith("Heading") and style[-1:].isdigit():
            lines.append("#" * min(int(style[-1]), 6) + " " + text)
        elif style == "Title":
            lines.append("# " + text)
        elif style.startswith("List"):
            lines.append("- " + text)
        else:
            lines.append(text)
    return "\n\n".join(lines) + "\n"
