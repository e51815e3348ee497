"""Turning uploaded drafts (.md, .docx) into Markdown.

A .docx is a zip of XML parts, so a hostile one can be a zip bomb (a small file that unpacks
to gigabytes) or declare XML entities that expand without end. The archive's directory is
checked before anything is unpacked: Python's zipfile never unpacks a member past the size
the directory states (it stops there, and the CRC check then fails), so bounding the stated
sizes bounds the work. python-docx parses with lxml without resolving entities; a part that
declares any is refused, as Word never writes a DTD.
"""

from __future__ import annotations

import io
import zipfile

import docx
from docx.opc.exceptions import PackageNotFoundError
from docx.opc.part import XmlPart
from lxml import etree  # type: ignore[import-untyped]  # no stubs; only its error class is used

from core.errors import InvalidInput
from core.i18n import N_

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_DOCX_UNPACKED_MB = 25  # a 2,000-paragraph draft is a few MB of Word XML
MAX_DOCX_PARTS = 1000
DOCUMENT_PART = "word/document.xml"
_UNREADABLE = (zipfile.BadZipFile, KeyError, ValueError, PackageNotFoundError, etree.LxmlError)


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


def check_docx_archive(content: bytes) -> None:
    """Refuse what is not a Word document's archive, or unpacks to too much, unpacking nothing."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, ValueError) as error:
        raise InvalidInput(
            N_("The file is not a .docx document (a .docx file is a zip archive)."),
            fields={"file": N_("not a zip archive")},
        ) from error
    unpacked = sum(member.file_size for member in members)
    if len(members) > MAX_DOCX_PARTS or unpacked > MAX_DOCX_UNPACKED_MB * 1024 * 1024:
        raise InvalidInput(
            # MAX_DOCX_UNPACKED_MB and MAX_DOCX_PARTS, spelled out so it can be translated.
            N_("A .docx file may unpack to at most 25 MB in 1,000 parts; this one is larger."),
            fields={"file": N_("too large when unpacked")},
        )
    if DOCUMENT_PART not in {member.filename for member in members}:
        raise InvalidInput(
            N_("The .docx file has no document in it (word/document.xml is missing)."),
            fields={"file": N_("no document")},
        )
    if _prolog_declares_entities(content, members):
        raise _declares_entities_error()


def _prolog_declares_entities(content: bytes, members: list[zipfile.ZipInfo]) -> bool:
    """Whether an XML part starts with a DTD (libxml2 would stop a billion laughs only as
    a syntax error). The first 4 KB hold any real prolog; `_declares_entities` checks the
    parsed parts as well."""
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        for member in members:
            if member.filename.endswith((".xml", ".rels")):
                with archive.open(member) as part:
                    if b"<!DOCTYPE" in part.read(4096):
                        return True
    return False


def _declares_entities_error() -> InvalidInput:
    return InvalidInput(
        N_("The .docx file declares XML entities, which Word documents never do."),
        fields={"file": N_("declares entities")},
    )


def docx_to_markdown(content: bytes) -> str:
    """Headings, list paragraphs and body text of a Word document as Markdown."""
    check_docx_archive(content)
    try:
        document = docx.Document(io.BytesIO(content))
    except _UNREADABLE as error:
        raise InvalidInput(
            N_("The .docx file could not be read."), fields={"file": N_("bad")}
        ) from error
    if any(_declares_entities(part) for part in document.part.package.iter_parts()):
        raise _declares_entities_error()
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


def _declares_entities(part: object) -> bool:
    """Whether an XML part has a DTD (python-docx's parser keeps it, unexpanded)."""
    if not isinstance(part, XmlPart):
        return False
    return part.element.getroottree().docinfo.internalDTD is not None
