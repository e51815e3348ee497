"""Open data: a consultation's public comments as CSV and JSON, one row per comment.

The rows say exactly what the consultation's pages say, and no more: the author through
`public_author` (a comment under the Chatham House rule stays a stakeholder group), the
thread's disposition, the version and paragraph the thread was opened on. Visibility is the
caller's: it passes a consultation the reader may see (`ConsultationService.visible`).

A CSV is read by spreadsheets, which run a cell that starts with ``=``, ``+``, ``-``, ``@``
(or a tab or carriage return) as a formula: such text cells are prefixed with an apostrophe
(OWASP's advice), which spreadsheets show as text and hide.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from consultations.attribution import public_author
from consultations.models import Comment, Consultation, DraftVersion, Paragraph, Thread
from core.urls import PathFor

__all__ = ["CommentRow", "as_csv", "as_json", "public_comments"]

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True, slots=True)
class CommentRow:
    """One public comment, flat (the CSV's columns, in order)."""

    comment_id: int
    thread_id: int
    reply_to: int | None
    created_at: str
    version: int
    paragraph_key: str
    paragraph_number: int | None
    stance: str | None
    stakeholder_group: str | None
    author: str
    body: str
    suggestion: str | None
    disposition: str | None
    url: str
    hidden_by_moderator: str | None  # the moderator's reason; then no body nor suggestion


def _numbers(session: Session, consultation: Consultation) -> dict[tuple[int, str], int]:
    """(version number, paragraph key) → the paragraph's number in that version."""
    query = (
        select(DraftVersion.number, Paragraph.key, Paragraph.ordinal)
        .join(Paragraph, Paragraph.version_id == DraftVersion.id)
        .where(DraftVersion.consultation_id == consultation.id)
    )
    return {(number, key): ordinal for number, key, ordinal in session.execute(query)}


def _row(comment: Comment, thread: Thread, number: int | None, url: str) -> CommentRow:
    author = public_author(comment)
    return CommentRow(
        comment_id=comment.id,
        thread_id=thread.id,
        reply_to=comment.parent_id,
        created_at=comment.created_at.isoformat(),
        version=thread.version_number,
        paragraph_key=thread.paragraph_key,
        paragraph_number=number,
        stance=comment.stance.value if comment.stance else None,
        stakeholder_group=author.group.value if author.group else None,
        author=author.label,
        body="" if comment.hidden else comment.body,
        suggestion=None if comment.hidden else comment.suggestion,
        disposition=thread.disposition.value if thread.disposition else None,
        url=url,
        hidden_by_moderator=comment.hidden_reason if comment.hidden else None,
    )


def public_comments(
    session: Session, consultation: Consultation, urls: PathFor
) -> list[CommentRow]:
    """Every comment and reply of `consultation`, thread by thread, oldest first; `urls`
    makes each thread's permalink (absolute with a `core.urls.Urls`)."""
    threads = session.scalars(
        select(Thread)
        .where(Thread.consultation_id == consultation.id)
        .options(selectinload(Thread.comments))
        .order_by(Thread.id)
    ).all()
    numbers = _numbers(session, consultation)
    rows = []
    for thread in threads:
        path = urls("paragraph", slug=consultation.slug, key=thread.paragraph_key)
        number = numbers.get((thread.version_number, thread.paragraph_key))
        url = f"{path}#t-{thread.id}"
        rows += [_row(comment, thread, number, url) for comment in thread.comments]
    return rows


def cell(value: object) -> object:
    """A text cell a spreadsheet will show as text, never run as a formula."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return "" if value is None else value


COLUMNS = [field.name for field in fields(CommentRow)]


def as_csv(rows: Sequence[CommentRow]) -> str:
    """RFC 4180 CSV with a header row, every text cell quoted; the caller sends it as UTF-8
    with a byte order mark, which is how spreadsheets recognise UTF-8 (Cyrillic)."""
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([cell(getattr(row, name)) for name in COLUMNS])
    return out.getvalue()


def as_json(consultation: Consultation, rows: Sequence[CommentRow], url: str) -> dict[str, Any]:
    """The consultation named, then its comments as objects (nothing escaped for a
    spreadsheet: JSON readers take text as text)."""
    return {
        "consultation": {
            "slug": consultation.slug,
            "title": consultation.title,
            "language": consultation.language.value,
            "url": url,
        },
        "columns": COLUMNS,
        "comments": [asdict(row) for row in rows],
    }
