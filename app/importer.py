"""`roundtable import-draft`: a consultation from a Markdown or .docx file."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from accounts.models import User
from consultations.creating import NewConsultation, create_consultation
from consultations.importing import draft_markdown
from consultations.services import NOT_CREATED, ConsultationService
from core.clock import SystemClock
from core.db import unit_of_work
from core.enums import ConsultationStatus, Role
from core.errors import InvalidInput
from core.inputs import parse
from core.markdown import strip_front_matter


def import_draft_file(
    sessions: sessionmaker[Session],
    file: Path,
    *,
    slug: str,
    topics: Sequence[str] = (),
    title: str | None = None,
    language: str = "en",
    opens: str | None = None,
    closes: str | None = None,
    editor_email: str | None = None,
) -> str:
    """Create the consultation; with a period it is opened (and accepts comments when due).
    Dates are ISO 8601 (without a zone, UTC), checked by `NewConsultation` like the form's."""
    markdown = draft_markdown(file.name, file.read_bytes())
    meta, _body = strip_front_matter(markdown)
    typed = {
        "slug": slug,
        "title": title or meta.get("title") or _first_heading(markdown) or slug,
        "markdown": markdown,
        "language": language,
        "topics": topics,
        "opens_at": opens,
        "closes_at": closes,
    }
    data = parse(NewConsultation, typed, NOT_CREATED)
    clock = SystemClock()
    with unit_of_work(sessions) as session:
        editor = _editor(session, editor_email)
        created = create_consultation(session, clock, editor, data)
        if opens or closes:
            service = ConsultationService(session, clock=clock)
            service.set_status(service.get(created.slug), ConsultationStatus.OPEN, editor=editor)
        return created.slug


def _editor(session: Session, email: str | None) -> User:
    query = select(User).where(User.role.in_([Role.EDITOR, Role.ADMIN])).order_by(User.id)
    if email:
        query = query.where(User.email == email.strip().lower())
    editor = session.scalars(query).first()
    if editor is None:
        raise InvalidInput(
            "No editor account found; create one with `roundtable users create --role editor`."
        )
    return editor


def _first_heading(markdown: str) -> str | None:
    for line in markdown.splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    return None
