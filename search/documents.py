"""What the public archive holds, as Whoosh documents derived from the database.

The database is the source of truth; everything here is a pure function of its current
state, so re-deriving a document is always safe (the index can be rebuilt at any time).

Attribution holds inside the index itself: a comment's author is stored only as
`public_author(comment)` allows, so a hidden name or organisation never reaches a field
that a query, a snippet or a leaked index file could reveal.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple

from sqlalchemy import Column, func, select
from sqlalchemy.orm import Session, selectinload
from whoosh import columns, fields
from whoosh.analysis import LowercaseFilter, RegexTokenizer
from whoosh.util.times import datetime_to_long, long_to_datetime

from briefs.citations import CITATION
from briefs.models import Brief, BriefVersion, brief_topics
from consultations import policy
from consultations.attribution import public_author
from consultations.models import (
    Comment,
    Consultation,
    DraftVersion,
    Paragraph,
    Thread,
    Topic,
    consultation_topics,
)
from core.markdown import plain_text
from search.analyzers import ApostropheFilter, multilingual_analyzer

Document = dict[str, Any]

PARAGRAPH, COMMENT, BRIEF = "paragraph", "comment", "brief"
TYPES = (PARAGRAPH, COMMENT, BRIEF)
SCHEMA_VERSION = 4
SPELLING_WORD = r"\w+(?:['\u2019\u02bc`]\w+)*"
_SPELLING_WORD = re.compile(SPELLING_WORD)


def make_schema() -> fields.Schema:
    """The index schema.

    `spell` holds the unstemmed words for "did you mean", from the current edited texts
    only (paragraphs and briefs: commenters' typos must not become suggestions, and old
    versions add few new words but much indexing time), each word once on one document
    per consultation or brief (see `spelling_vocabulary`); `title` and `text` keep word
    positions for phrase queries but no character offsets (snippets re-analyse the few
    texts shown); `owner` groups every document derived from one consultation or brief,
    so they can be replaced together; `topic_set` is the topics as one column value, so
    topic facets are counted without walking the whole index. `date` (see `date_value`)
    and `current` (1 for the latest version) are columns only: searches filter, sort and
    rank by them on arrays (see `search.columns`), never through terms; so is `tie` (see
    `tie_key`), which orders equal-ranked hits. A hit's page is stored by name (`route`,
    `params`, `anchor`; see `stored_page`) and its URL made by the router a search is
    given, so the index never spells a path.

    Bump `SCHEMA_VERSION` with any change here or in what documents hold: a node then
    builds a new generation instead of reading one it no longer understands.
    """
    text = multilingual_analyzer()
    return fields.Schema(
        id=fields.ID(unique=True, stored=True),
        owner=fields.ID(),
        type=fields.ID(stored=True, sortable=_few_values()),
        title=fields.TEXT(analyzer=text, phrase=True, stored=True),
        text=fields.TEXT(analyzer=text, phrase=True, stored=True),
        spell=fields.TEXT(analyzer=_spelling_analyzer(), phrase=False),
        route=fields.STORED(),
        params=fields.STORED(),
        anchor=fields.STORED(),
        topics=fields.KEYWORD(stored=True, commas=True, lowercase=True, scorable=False),
        topic_set=fields.ID(sortable=_few_values()),
        group=fields.KEYWORD(stored=True, commas=True, sortable=_few_values()),
        language=fields.ID(stored=True, sortable=_few_values()),
        date=fields.COLUMN(columns.NumericColumn("q")),
        current=fields.COLUMN(columns.NumericColumn("B")),
        tie=fields.COLUMN(columns.NumericColumn("q")),
        paragraph=fields.STORED(),
        version=fields.STORED(),
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


def date_value(moment: datetime) -> int:
    """A date as the `date` column holds it: microseconds in UTC (Whoosh's own encoding)."""
    naive = moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment
    return int(datetime_to_long(naive))


def date_of(value: int) -> datetime:
    moment: datetime = long_to_datetime(int(value))
    return moment.replace(tzinfo=UTC)


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
            "tie": tie_key(doc_id),
            "owner": consultation_owner(self.consultation_id),
            "type": kind,
            "title": self.title,
            "text": text,
            "topics": self.topics,
            "topic_set": self.topics,
            "language": self.language,
            "date": date_value(when),
        }


def stored_page(route: str, anchor: str = "", **params: str | int) -> Document:
    """The stored fields naming a hit's page: a route of the web layer, its path parameters
    and a fragment (`search.engine` makes the URL from them with the router it is given)."""
    return {"route": route, "params": params, "anchor": anchor}


def tie_key(doc_id: str) -> int:
    """Equal-ranked hits are ordered by this number, the same for a document in every
    generation and on every node, so a query always gives the same page (index order
    changes with every re-indexed document, merge and rebuild)."""
    digest = hashlib.blake2b(doc_id.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def is_public(consultation: Consultation | None) -> bool:
    """Drafts are visible to editors only, so nothing of theirs is searchable."""
    return consultation is not None and policy.can_view(None, consultation)


def consultation_documents(session: Session, consultation_id: int) -> list[Document]:
    """Every paragraph of every version, and every public comment; [] for drafts."""
    return list(consultations_documents(session, [consultation_id]))


def consultations_documents(
    session: Session, consultation_ids: Sequence[int]
) -> Iterator[Document]:
    """The documents of each public consultation of `consultation_ids`, in that order.

    A few queries for all of them, reading plain columns: a rebuild derives 100,000
    paragraphs, and a query and an ORM object per paragraph cost more than indexing it.
    """
    sources = _consultation_sources(session, consultation_ids)
    paragraphs = _paragraph_documents(session, sources)
    comments = _comment_documents(session, sources)
    for consultation_id in consultation_ids:
        yield from paragraphs.get(consultation_id, [])
        yield from comments.get(consultation_id, [])


def _consultation_sources(session: Session, consultation_ids: Sequence[int]) -> dict[int, _Source]:
    topics = _topic_slugs(session, consultation_topics.c.consultation_id, consultation_ids)
    query = select(Consultation.id, Consultation.slug, Consultation.title, Consultation.language)
    query = query.where(Consultation.id.in_(consultation_ids), policy.public())
    return {
        id_: _Source(id_, slug, title, topics.get(id_, ""), language.value)
        for id_, slug, title, language in session.execute(query)
    }


def _topic_slugs(session: Session, owner: Column[int], owner_ids: Sequence[int]) -> dict[int, str]:
    """Each owner's topics as one "a,b" value, in slug order; `owner` is the owner column of
    a topic link table (consultations' or briefs')."""
    query = (
        select(owner, Topic.slug)
        .join(Topic, Topic.id == owner.table.c.topic_id)
        .where(owner.in_(owner_ids))
        .order_by(owner, Topic.slug)
    )
    slugs: defaultdict[int, list[str]] = defaultdict(list)
    for owner_id, slug in session.execute(query):
        slugs[owner_id].append(slug)
    return {owner_id: ",".join(values) for owner_id, values in slugs.items()}


def _paragraph_documents(
    session: Session, sources: dict[int, _Source]
) -> dict[int, list[Document]]:
    """Each consultation's paragraph documents, versions in order; the latest version's
    first paragraph also carries the consultation's spelling vocabulary. One statement, so
    which version is the latest is decided on the same rows (a version without paragraphs
    included, as an outer join row)."""
    query = (
        select(
            DraftVersion.consultation_id,
            DraftVersion.number,
            DraftVersion.created_at,
            Paragraph.key,
            Paragraph.ordinal,
            Paragraph.text,
        )
        .outerjoin(Paragraph, Paragraph.version_id == DraftVersion.id)
        .where(DraftVersion.consultation_id.in_(list(sources)))
        .order_by(DraftVersion.consultation_id, DraftVersion.number, Paragraph.ordinal)
    )
    rows = session.execute(query).all()
    latest = {row[0]: row[1] for row in rows}  # numbers ascend: the last one wins
    documents: defaultdict[int, list[Document]] = defaultdict(list)
    for consultation_id, number, created_at, key, ordinal, text in rows:
        if key is None:  # a version without paragraphs
            continue
        source = sources[consultation_id]
        current = number == latest[consultation_id]
        version = _Version(number, created_at)
        documents[consultation_id].append(
            paragraph_document(source, version, key, ordinal, text, current=current)
        )
    for consultation_id, paragraphs in documents.items():
        _add_spelling(sources[consultation_id].title, paragraphs)
    return documents


def _add_spelling(title: str, paragraphs: list[Document]) -> None:
    current = [paragraph for paragraph in paragraphs if paragraph["current"]]
    if current:
        texts = (paragraph["text"] for paragraph in current)
        current[0]["spell"] = spelling_vocabulary(title, *texts)


def spelling_vocabulary(*texts: str) -> str:
    """Each word of `texts` once. "Did you mean" only needs a word to be in the `spell`
    field's lexicon, so one document per consultation carries its whole vocabulary, found
    by one C-level regex pass instead of analysing every paragraph a second time. (Words
    are dropped only when spelt exactly alike, so the field's analyzer sees every form.)"""
    return " ".join(dict.fromkeys(_SPELLING_WORD.findall("\n".join(texts))))


def paragraph_document(
    source: _Source, version: _Version, key: str, ordinal: int, text: str, *, current: bool
) -> Document:
    """A paragraph's permalink: the current draft's anchor, or the old version's page; and
    its number in that version, as readers cite it ("¶ 12")."""
    doc_id = f"paragraph:{source.consultation_id}:{version.number}:{key}"
    anchor = f"p-{key}"
    document = source.base(doc_id, PARAGRAPH, text, version.created_at)
    if current:
        document.update(stored_page("consultation", anchor, slug=source.slug))
    else:
        document.update(
            stored_page("consultation_version", anchor, slug=source.slug, number=version.number)
        )
    document.update(current=int(current), paragraph=ordinal, version=version.number)
    return document


class _Version(NamedTuple):
    number: int
    created_at: datetime


def _comment_documents(session: Session, sources: dict[int, _Source]) -> dict[int, list[Document]]:
    """Each consultation's comments, thread by thread. Whole `Comment` objects, as
    `public_author` decides from them what may be stored (there are few comments)."""
    query = (
        select(Thread.consultation_id, Thread.paragraph_key, Comment)
        .join(Comment.thread)
        .where(Thread.consultation_id.in_(list(sources)), Comment.hidden_at.is_(None))
        .order_by(Thread.id, Comment.id)
    )
    documents: defaultdict[int, list[Document]] = defaultdict(list)
    for consultation_id, paragraph_key, comment in session.execute(query):
        source = sources[consultation_id]
        documents[consultation_id].append(_comment_document(source, paragraph_key, comment))
    return documents


def _comment_document(source: _Source, paragraph_key: str, comment: Comment) -> Document:
    """Only what `public_author` allows is stored: the label and, if shown, the group."""
    author = public_author(comment)
    text = plain_text(comment.body)
    if comment.suggestion:
        text = f"{text}\n\n{comment.suggestion}"
    document = source.base(comment_doc_id(comment.id), COMMENT, text, comment.created_at)
    anchor = f"c-{comment.id}"
    document.update(stored_page("paragraph", anchor, slug=source.slug, key=paragraph_key))
    document.update(
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
    if comment is None or comment.hidden:  # a moderator hid it: out of the index
        return None
    thread = comment.thread
    consultation = session.get(
        Consultation, thread.consultation_id, options=[selectinload(Consultation.topics)]
    )
    if consultation is None or not is_public(consultation):
        return None
    return _comment_document(_Source.of(consultation), thread.paragraph_key, comment)


@dataclass(frozen=True, slots=True)
class _BriefSource:
    """What every version of one brief shares."""

    brief_id: int
    slug: str
    language: str
    topics: str


@dataclass(frozen=True, slots=True)
class _BriefVersion:
    """The columns of a published brief version that its document needs."""

    number: int
    title: str
    body_markdown: str
    annex: dict[str, Any] | None
    published_at: datetime


def brief_documents(session: Session, brief_id: int) -> list[Document]:
    """Every published version of a brief; the latest one is marked current."""
    return list(briefs_documents(session, [brief_id]))


def briefs_documents(session: Session, brief_ids: Sequence[int]) -> Iterator[Document]:
    """The published versions of each brief of `brief_ids`, in that order, in three queries
    for all of them."""
    topics = _topic_slugs(session, brief_topics.c.brief_id, brief_ids)
    briefs = {
        id_: _BriefSource(id_, slug, language.value, topics.get(id_, ""))
        for id_, slug, language in session.execute(
            select(Brief.id, Brief.slug, Brief.language).where(Brief.id.in_(brief_ids))
        )
    }
    query = (
        select(
            BriefVersion.brief_id,
            BriefVersion.number,
            BriefVersion.title,
            BriefVersion.body_markdown,
            BriefVersion.annex,
            BriefVersion.published_at,
        )
        .where(BriefVersion.brief_id.in_(list(briefs)), BriefVersion.published_at.is_not(None))
        .order_by(BriefVersion.brief_id, BriefVersion.number)
    )
    versions: defaultdict[int, list[_BriefVersion]] = defaultdict(list)
    for brief_id, number, title, body, annex, published_at in session.execute(query):
        assert published_at is not None  # only published versions are selected
        versions[brief_id].append(_BriefVersion(number, title, body, annex, published_at))
    for brief_id in brief_ids:
        published = versions.get(brief_id, [])
        for version in published:
            yield _brief_document(briefs[brief_id], version, version is published[-1])


def _brief_document(brief: _BriefSource, version: _BriefVersion, current: bool) -> Document:
    text = plain_text(CITATION.sub(r"[\1]", version.body_markdown))  # "[42]", as readers see it
    link = (
        stored_page("brief", slug=brief.slug)
        if current
        else stored_page("brief_version", slug=brief.slug, number=version.number)
    )
    doc_id = f"brief:{brief.brief_id}:{version.number}"
    document: Document = {
        "id": doc_id,
        "tie": tie_key(doc_id),
        "owner": brief_owner(brief.brief_id),
        "type": BRIEF,
        "title": version.title,
        "text": text,
        **link,
        "topics": brief.topics,
        "topic_set": brief.topics,
        "language": brief.language,
        "date": date_value(version.published_at),
        "version": version.number,
        "current": int(current),
    }
    groups = contributing_groups(version.annex)
    if groups:
        document["group"] = groups
    if current:
        document["spell"] = spelling_vocabulary(version.title, text)
    return document


def contributing_groups(annex: dict[str, Any] | None) -> str:
    """A brief belongs to the stakeholder groups whose comments it weighed (from its frozen
    annex), so "briefs informed by government comments" is a meaningful filter."""
    rows = annex.get("participation", []) if annex else []
    return ",".join(row["group"] for row in rows if row.get("comments"))


# -- the whole archive, for rebuilds -------------------------------------------------------


def public_consultation_ids(session: Session) -> list[int]:
    query = select(Consultation.id).where(policy.public())
    return list(session.scalars(query.order_by(Consultation.id)))


def published_brief_ids(session: Session) -> list[int]:
    query = (
        select(BriefVersion.brief_id)
        .where(BriefVersion.published_at.is_not(None))
        .distinct()
        .order_by(BriefVersion.brief_id)
    )
    return list(session.scalars(query))


ARCHIVE_CHUNK = 100


def archive_chunks(session: Session) -> Iterator[list[Document]]:
    """Every public document, a hundred consultations or briefs at a time: a few queries
    per chunk, and only one chunk's documents in memory."""
    for derive, ids in (
        (consultations_documents, public_consultation_ids(session)),
        (briefs_documents, published_brief_ids(session)),
    ):
        for start in range(0, len(ids), ARCHIVE_CHUNK):
            yield list(derive(session, ids[start : start + ARCHIVE_CHUNK]))


def count_documents(session: Session) -> int:
    """How many documents a rebuild will write (for its progress bar)."""
    public = policy.public()
    paragraphs = select(func.count(Paragraph.id)).join(DraftVersion).join(Consultation)
    comments = select(func.count(Comment.id)).join(Thread).join(Consultation)
    briefs = select(func.count(BriefVersion.id)).where(BriefVersion.published_at.is_not(None))
    return sum(
        session.scalar(query) or 0
        for query in (paragraphs.where(public), comments.where(public), briefs)
    )
