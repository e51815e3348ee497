"""What the public archive holds, as Whoosh documents derived from the database.

The database is the source of truth; everything here is a pure function of its current
state, so re-deriving a document is always safe (the index can be rebuilt at any time).

Attribution holds inside the index itself: a comment's author is stored only as
`public_author(comment)` allows, so a hidden name or organisation never reaches a field
that a query, a snippet or a leaked index file could reveal.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload
from whoosh import columns, fields
from whoosh.analysis import LowercaseFilter, RegexTokenizer

from briefs.citations import CITATION
from briefs.models import Brief, BriefVersion
from consultations.attribution import public_author
from consultations.models import Comment, Consultation, DraftVersion, Paragraph, Thread
from core.enums import ConsultationStatus
from core.markdown import plain_text
from search.analyzers import ApostropheFilter, multilingual_analyzer

Document = dict[str, Any]

PARAGRAPH, COMMENT, BRIEF = "paragraph", "comment", "brief"
TYPES = (PARAGRAPH, COMMENT, BRIEF)
SPELLING_WORD = r"\w+(?:['\u2019\u02bc`]\w+)*"


def make_schema() -> fields.Schema:
    """The index schema.

    `spell` holds the unstemmed words for "did you mean", from the current edited texts
    only (paragraphs and briefs: commenters' typos must not become suggestions, and old
    versions add few new words but much indexing time); `owner` groups every document
    derived from one consultation or brief, so they can be replaced together; `current` is
    a column read while scoring, to rank the latest version first; `topic_set` is the
    topics as one column value, so topic facets are counted without walking the whole index.
    """
    text = multilingual_analyzer()
    return fields.Schema(
        id=fields.ID(unique=True, stored=True),
        owner=fields.ID(),
        type=fields.ID(stored=True, sortable=_few_values()),
        title=fields.TEXT(analyzer=text, phrase=True, chars=True, stored=True),
        text=fields.TEXT(analyzer=text, phrase=True, chars=True, stored=True),
        spell=fields.TEXT(analyzer=_spelling_analyzer(), phrase=False),
        url=fields.STORED(),
        topics=fields.KEYWORD(stored=True, commas=True, lowercase=True, scorable=False),
        topic_set=fields.ID(sortable=_few_values()),
        group=fields.KEYWORD(stored=True, commas=True, sortable=_few_values()),
        language=fields.ID(stored=True, sortable=_few_values()),
        date=fields.DATETIME(stored=True, sortable=True),
        current=fields.NUMERIC(int, bits=8, stored=True, sortable=True),
        author=fields.STORED(),
        stance=fields.STORED(),
    )


def _few_values() -> columns.Column:
    """A column for fields with a handful of distinct values: a table of values plus a small
    number per document, which a search loads far faster than one string per document."""
    return columns.RefBytesColumn()


def _spelling_analyzer() -> Any:
    """Whole words, lowercased, never stemmed: suggestions must be words people type."""
    return RegexTokenizer(SPELLING_WORD) | LowercaseFilter() | ApostropheFilter()


def consultation_owner(consultation_id: int) -> str:
    return f"consultation:{consultation_id}"


def brief_owner(brief_id: int) -> str:
    return f"brief:{brief_id}"


def comment_doc_id(comment_id: int) -> str:
    return f"comment:{comment_id}"


def index_time(moment: datetime) -> datetime:
    """Whoosh compares naive datetimes; we index UTC without its zone."""
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


@dataclass(frozen=True, slots=True)
class _Source:
    """What every document derived from one consultation shares."""

    consultation_id: int
    slug: str
    title: str
    topics: str
    language: str

    @classmethod
    def of(cls, consultation: Consultation) -> _Source:
        return cls(
            consultation.id,
            consultation.slug,
            consultation.title,
            ",".join(topic.slug for topic in consultation.topics),
            consultation.language.value,
        )

    def base(self, doc_id: str, kind: str, text: str, when: datetime) -> Document:
        return {
            "id": doc_id,
            "owner": consultation_owner(self.consultation_id),
            "type": kind,
            "title": self.title,
            "text": text,
            "topics": self.topics,
            "topic_set": self.topics,
            "language": self.language,
            "date": index_time(when),
        }


def is_public(consultation: Consultation | None) -> bool:
    """Drafts are visible to editors only, so nothing of theirs is searchable."""
    return consultation is not None and consultation.status != ConsultationStatus.DRAFT


def consultation_documents(session: Session, consultation_id: int) -> list[Document]:
    """Every paragraph of every version, and every public comment; [] for drafts."""
    consultation = session.get(
        Consultation, consultation_id, options=[selectinload(Consultation.topics)]
    )
    if consultation is None or not is_public(consultation):
        return []
    source = _Source.of(consultation)
    versions = list(
        session.scalars(
            select(DraftVersion)
            .where(DraftVersion.consultation_id == consultation_id)
            .options(selectinload(DraftVersion.paragraphs))
            .order_by(DraftVersion.number)
        )
    )
    latest = versions[-1].number if versions else 0
    documents = [
        paragraph_document(source, version, paragraph, current=version.number == latest)
        for version in versions
        for paragraph in version.paragraphs
    ]
    documents.extend(comment_documents(session, source))
    return documents


def paragraph_document(
    source: _Source, version: DraftVersion, paragraph: Paragraph, *, current: bool
) -> Document:
    """A paragraph's permalink: the current draft's anchor, or the old version's page."""
    doc_id = f"paragraph:{source.consultation_id}:{version.number}:{paragraph.key}"
    path = f"/consultations/{source.slug}"
    if not current:
        path += f"/v/{version.number}"
    document = source.base(doc_id, PARAGRAPH, paragraph.text, version.created_at)
    document.update(url=f"{path}#p-{paragraph.key}", current=int(current))
    if current:  # the title's words are needed in the dictionary once, not per paragraph
        title = source.title if paragraph.ordinal == 1 else ""
        document["spell"] = f"{title}\n{paragraph.text}"
    return document


def comment_documents(session: Session, source: _Source) -> Iterator[Document]:
    threads = session.scalars(
        select(Thread)
        .where(Thread.consultation_id == source.consultation_id)
        .options(selectinload(Thread.comments))
        .order_by(Thread.id)
    )
    for thread in threads:
        for comment in thread.comments:
            yield _comment_document(source, thread, comment)


def _comment_document(source: _Source, thread: Thread, comment: Comment) -> Document:
    """Only what `public_author` allows is stored: the label and, if shown, the group."""
    author = public_author(comment)
    text = plain_text(comment.body)
    if comment.suggestion:
        text = f"{text}\n\n{comment.suggestion}"
    document = source.base(comment_doc_id(comment.id), COMMENT, text, comment.created_at)
    document.update(
        url=f"/consultations/{source.slug}/p/{thread.paragraph_key}#c-{comment.id}",
        current=1,
        author=author.label,
        stance=comment.stance.value if comment.stance else None,
    )
    if author.group is not None:
        document["group"] = author.group.value
    return document


def consultation_of_comment(session: Session, comment_id: int) -> int | None:
    query = select(Thread.consultation_id).join(Comment).where(Comment.id == comment_id)
    return session.scalars(query).first()


def comment_document(session: Session, comment_id: int) -> Document | None:
    """The comment's document, or None when it is gone or not (or no longer) public."""
    comment = session.get(Comment, comment_id)
    if comment is None:
        return None
    thread = comment.thread
    consultation = session.get(
        Consultation, thread.consultation_id, options=[selectinload(Consultation.topics)]
    )
    if consultation is None or not is_public(consultation):
        return None
    return _comment_document(_Source.of(consultation), thread, comment)


def brief_documents(session: Session, brief_id: int) -> list[Document]:
    """Every published version of a brief; the latest one is marked current."""
    brief = session.get(Brief, brief_id, options=[selectinload(Brief.topics)])
    if brief is None:
        return []
    versions = list(
        session.scalars(
            select(BriefVersion)
            .where(BriefVersion.brief_id == brief_id, BriefVersion.published_at.is_not(None))
            .order_by(BriefVersion.number)
        )
    )
    latest = versions[-1].number if versions else 0
    return [_brief_document(brief, version, version.number == latest) for version in versions]


def _brief_document(brief: Brief, version: BriefVersion, current: bool) -> Document:
    text = plain_text(CITATION.sub(r"[\1]", version.body_markdown))  # "[42]", as readers see it
    url = f"/briefs/{brief.slug}" if current else f"/briefs/{brief.slug}/v/{version.number}"
    topics = ",".join(topic.slug for topic in brief.topics)
    assert version.published_at is not None  # only published versions are selected
    document: Document = {
        "id": f"brief:{brief.id}:{version.number}",
        "owner": brief_owner(brief.id),
        "type": BRIEF,
        "title": version.title,
        "text": text,
        "url": url,
        "topics": topics,
        "topic_set": topics,
        "language": brief.language.value,
        "date": index_time(version.published_at),
        "current": int(current),
    }
    groups = contributing_groups(version)
    if groups:
        document["group"] = groups
    if current:
        document["spell"] = f"{version.title}\n{text}"
    return document


def contributing_groups(version: BriefVersion) -> str:
    """A brief belongs to the stakeholder groups whose comments it weighed (from its frozen
    annex), so "briefs informed by government comments" is a meaningful filter."""
    rows = version.annex.get("participation", []) if version.annex else []
    return ",".join(row["group"] for row in rows if row.get("comments"))


# -- the whole archive, for rebuilds -------------------------------------------------------


def public_consultation_ids(session: Session) -> list[int]:
    query = select(Consultation.id).where(Consultation.status != ConsultationStatus.DRAFT)
    return list(session.scalars(query.order_by(Consultation.id)))


def published_brief_ids(session: Session) -> list[int]:
    query = (
        select(BriefVersion.brief_id)
        .where(BriefVersion.published_at.is_not(None))
        .distinct()
        .order_by(BriefVersion.brief_id)
    )
    return list(session.scalars(query))


def count_documents(session: Session) -> int:
    """How many documents a rebuild will write (for its progress bar)."""
    public = Consultation.status != ConsultationStatus.DRAFT
    paragraphs = select(func.count(Paragraph.id)).join(DraftVersion).join(Consultation)
    comments = select(func.count(Comment.id)).join(Thread).join(Consultation)
    briefs = select(func.count(BriefVersion.id)).where(BriefVersion.published_at.is_not(None))
    return sum(
        session.scalar(query) or 0
        for query in (paragraphs.where(public), comments.where(public), briefs)
    )
