"""The annex of a brief: what became of every thread, and who took part.

It is computed once, when a version is published, and stored as JSON with that version, so a
later change of a disposition (or a re-anchored thread) never rewrites a published brief.
Authors appear only as `public_author(...).label`: the annex is public. Each thread's row
keeps its permalink's path as it was when published (exports prefix BASE_URL), made by the
router's `PathFor` the caller gives.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from briefs.citations import citation_url
from briefs.contesting import ContestJSON, contests_for
from consultations.attribution import public_author
from consultations.consensus import participation
from consultations.models import Consultation, DraftVersion, Paragraph, Thread
from core.markdown import plain_text
from core.urls import PathFor

__all__ = ["EXCERPT_CHARS", "build_annex", "excerpt", "with_contests"]

EXCERPT_CHARS = 200


def excerpt(markdown: str, limit: int = EXCERPT_CHARS) -> str:
    """The opening words of a comment, cut at a word boundary."""
    text = " ".join(plain_text(markdown).split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0] or text[:limit]
    return cut.rstrip(" ,.;:") + "…"


def paragraph_ordinals(session: Session, consultation: Consultation) -> dict[str, int]:
    """Each paragraph key's position in the latest version that has it (orphans included)."""
    query = (
        select(Paragraph.key, Paragraph.ordinal)
        .join(DraftVersion, Paragraph.version_id == DraftVersion.id)
        .where(DraftVersion.consultation_id == consultation.id)
        .order_by(DraftVersion.number)
    )
    return {row.key: row.ordinal for row in session.execute(query)}


def _thread_entry(
    thread: Thread, slug: str, ordinals: dict[str, int], paths: PathFor
) -> dict[str, Any]:
    opening = thread.comments[0] if thread.comments else None
    author = public_author(opening) if opening else None
    return {
        "thread_id": thread.id,
        "paragraph_key": thread.paragraph_key,
        "paragraph_ordinal": ordinals.get(thread.paragraph_key),
        "excerpt": excerpt(opening.body) if opening and not opening.hidden else "",
        "author_label": author.label if author else "",
        "stakeholder_group": author.group.value if author and author.group else None,
        "stance": opening.stance.value if opening and opening.stance else None,
        "disposition": thread.disposition.value if thread.disposition else None,
        "rationale": thread.rationale,
        "url": citation_url(paths, slug, thread.paragraph_key, thread.id),
    }


def build_annex(
    session: Session, consultation: Consultation | None, paths: PathFor
) -> dict[str, Any]:
    """The annex for a brief on `consultation` (an empty one for a brief on none)."""
    if consultation is None:
        return {"consultation": None, "dispositions": [], "participation": []}
    threads = session.scalars(
        select(Thread)
        .where(Thread.consultation_id == consultation.id)
        .options(selectinload(Thread.comments))
    ).all()
    ordinals = paragraph_ordinals(session, consultation)
    entries = [_thread_entry(thread, consultation.slug, ordinals, paths) for thread in threads]
    entries.sort(key=lambda entry: (entry["paragraph_ordinal"] or 0, entry["thread_id"]))
    return {
        "consultation": {"slug": consultation.slug, "title": consultation.title},
        "dispositions": entries,
        "participation": [
            {"group": row.group.value, "comments": row.comments, "people": row.people}
            for row in participation(session, consultation)
        ],
    }


def with_contests(session: Session, annex: dict[str, Any]) -> dict[str, Any]:
    """The frozen annex with each thread's contest as it stands now (`contest`: null, or the
    reason and the editor's answer). A contest comes after publication, by design, and adds
    to the record without rewriting the disposition that was published."""
    entries = annex.get("dispositions", [])
    contests = contests_for(session, [entry["thread_id"] for entry in entries])
    rows = []
    for entry in entries:
        contest = contests.get(entry["thread_id"])
        rows.append(entry | {"contest": ContestJSON.of(contest).model_dump() if contest else None})
    return annex | {"dispositions": rows}
