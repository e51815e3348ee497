"""Composing and publishing policy briefs.

A brief has versions. The one with ``published_at`` null is the editor's working copy; the
others are published, immutable, and each keeps its permalink forever, so a diplomat who cited
version 1 still finds version 1 after version 2 corrects it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Select, and_, func, select
from sqlalchemy.orm import Session, selectinload

from accounts.models import User
from accounts.policy import require_editor
from briefs.annex import build_annex
from briefs.citations import cited_thread_ids, references
from briefs.models import Brief, BriefVersion, brief_citations
from consultations import policy as consultations_policy
from consultations.models import Consultation, Thread, Topic
from consultations.services import SLUG_PATTERN, topics_by_slug
from core import audit, outbox
from core.clock import Clock
from core.enums import Language
from core.errors import Conflict, InvalidInput, NotFound
from core.i18n import N_
from core.urls import PathFor

__all__ = ["MAX_BRIEF_CHARS", "BriefService", "CitedIn"]

MAX_BRIEF_CHARS = 500_000
MAX_NOTE_CHARS = 2_000


@dataclass(frozen=True, slots=True)
class CitedIn:
    """Where a thread landed: a published brief version that cites it."""

    slug: str
    title: str
    number: int
    #: The brief's paragraph that first cites the thread (its anchor, `paragraph_anchor`).
    paragraph: int | None = None


class BriefService:
    def __init__(self, session: Session, *, clock: Clock) -> None:
        self.session = session
        self.clock = clock

    # -- reading ---------------------------------------------------------------------------

    def get(self, slug: str) -> Brief:
        brief = self.session.scalars(select(Brief).where(Brief.slug == slug)).first()
        if brief is None:
            raise NotFound(N_("No brief called “%(slug)s”."), slug=slug)
        return brief

    def working_copy(self, brief: Brief) -> BriefVersion | None:
        query = select(BriefVersion).where(
            BriefVersion.brief_id == brief.id, BriefVersion.published_at.is_(None)
        )
        return self.session.scalars(query).first()

    def published(self, slug: str, number: int | None = None) -> BriefVersion:
        """The latest published version, or the given one; drafts are never public."""
        query = (
            select(BriefVersion)
            .join(Brief)
            .where(Brief.slug == slug, BriefVersion.published_at.is_not(None))
            .options(
                selectinload(BriefVersion.cited_threads).selectinload(Thread.consultation),
                selectinload(BriefVersion.brief).selectinload(Brief.topics),
            )
        )
        if number is None:
            query = query.order_by(BriefVersion.number.desc()).limit(1)
        else:
            query = query.where(BriefVersion.number == number)
        version = self.session.scalars(query).first()
        if version is None:
            if number:
                message = N_("Version %(number)s of the brief “%(slug)s” is not published.")
                raise NotFound(message, number=number, slug=slug)
            raise NotFound(N_("The brief “%(slug)s” is not published."), slug=slug)
        return version

    def published_numbers(self, brief: Brief) -> list[int]:
        query = select(BriefVersion.number).where(
            BriefVersion.brief_id == brief.id, BriefVersion.published_at.is_not(None)
        )
        return sorted(self.session.scalars(query))

    def listing(self, *, topic: str | None = None) -> list[BriefVersion]:
        """The latest published version of every brief, newest first."""
        latest = (
            select(BriefVersion.brief_id, func.max(BriefVersion.number).label("number"))
            .where(BriefVersion.published_at.is_not(None))
            .group_by(BriefVersion.brief_id)
            .subquery()
        )
        query = select(BriefVersion).join(
            latest,
            and_(
                BriefVersion.brief_id == latest.c.brief_id, BriefVersion.number == latest.c.number
            ),
        )
        return self._published_query(query, topic, limit=None)

    def consultations_to_cite(self) -> list[Consultation]:
        """The consultations a new brief may draw on: those anyone may see, newest first."""
        query = select(Consultation).where(consultations_policy.public())
        return list(self.session.scalars(query.order_by(Consultation.created_at.desc())))

    def recent_versions(self, *, topic: str | None = None, limit: int = 50) -> list[BriefVersion]:
        """Every published version, newest first: a correction is news for a feed too."""
        query = select(BriefVersion).where(BriefVersion.published_at.is_not(None))
        return self._published_query(query, topic, limit=limit)

    def citations_of_thread(self, thread_id: int) -> list[BriefVersion]:
        """The published brief versions that cite a thread, oldest first."""
        query = (
            select(BriefVersion)
            .join(brief_citations, brief_citations.c.version_id == BriefVersion.id)
            .where(brief_citations.c.thread_id == thread_id, BriefVersion.published_at.is_not(None))
            .options(selectinload(BriefVersion.brief))
            .order_by(BriefVersion.published_at, BriefVersion.id)
        )
        return list(self.session.scalars(query))

    def citations_for_threads(self, thread_ids: Sequence[int]) -> dict[int, list[CitedIn]]:
        """For a page of threads at once: thread id → where it is cited (one query)."""
        if not thread_ids:
            return {}
        query = (
            select(
                brief_citations.c.thread_id,
                Brief.slug,
                BriefVersion.title,
                BriefVersion.number,
                BriefVersion.body_markdown,
            )
            .join(BriefVersion, brief_citations.c.version_id == BriefVersion.id)
            .join(Brief, BriefVersion.brief_id == Brief.id)
            .where(
                brief_citations.c.thread_id.in_(list(thread_ids)),
                BriefVersion.published_at.is_not(None),
            )
            .order_by(Brief.slug, BriefVersion.number)
        )
        result: dict[int, list[CitedIn]] = {}
        for thread_id, slug, title, number, body in self.session.execute(query):
            paragraphs = {ref.thread_id: ref.paragraph for ref in references(body)}
            cited = CitedIn(slug, title, number, paragraphs.get(thread_id))
            result.setdefault(thread_id, []).append(cited)
        return result

    def threads_by_id(self, thread_ids: Sequence[int]) -> dict[int, Thread]:
        """Threads (with their consultation) for rendering citations of a working copy."""
        if not thread_ids:
            return {}
        query = (
            select(Thread)
            .where(Thread.id.in_(list(thread_ids)))
            .options(selectinload(Thread.consultation))
        )
        return {thread.id: thread for thread in self.session.scalars(query)}

    # -- editing ---------------------------------------------------------------------------

    def create(
        self,
        editor: User | None,
        slug: str,
        title: str,
        language: str,
        topics: Sequence[str],
        body_markdown: str,
        consultation_slug: str | None = None,
    ) -> Brief:
        """A new brief with its working copy, version 1; nothing is public until published."""
        editor = require_editor(editor)
        consultation = self._validate_new(slug, title, language, body_markdown, consultation_slug)
        brief = Brief(
            slug=slug,
            language=Language(language),
            consultation_id=consultation.id if consultation else None,
            created_at=self.clock.now(),
            topics=topics_by_slug(self.session, topics),
        )
        self.session.add(brief)
        self.session.flush()
        self._working_copy(brief, 1, title.strip(), body_markdown)
        self._audit(editor, "brief.create", brief, title=title.strip())
        return brief

    def update_draft(
        self, slug: str, editor: User | None, title: str, body_markdown: str, change_note: str
    ) -> BriefVersion:
        editor = require_editor(editor)
        brief = self.get(slug)
        draft = self._require_working_copy(brief)
        fields = _text_problems(title, body_markdown)
        if len(change_note) > MAX_NOTE_CHARS:
            fields["change_note"] = N_("Up to 2,000 characters.")  # MAX_NOTE_CHARS
        if fields:
            raise InvalidInput(N_("The brief could not be saved."), fields=fields)
        draft.title, draft.body_markdown = title.strip(), body_markdown
        draft.change_note = change_note.strip()
        self._audit(editor, "brief.edit", brief, number=draft.number)
        return draft

    def publish(self, slug: str, editor: User | None, paths: PathFor) -> BriefVersion:
        """Freeze the working copy: its citations, its annex and its publication time;
        `paths` (the router's) makes the annex's permalinks."""
        editor = require_editor(editor)
        brief = self.get(slug)
        draft = self._require_working_copy(brief)
        fields = _text_problems(draft.title, draft.body_markdown)
        if fields:
            raise InvalidInput(N_("The brief is not ready to publish."), fields=fields)
        draft.cited_threads = self._resolve_citations(brief, draft.body_markdown)
        draft.annex = build_annex(self.session, brief.consultation, paths)
        draft.published_at = self.clock.now()
        draft.published_by_id = editor.id
        self.session.flush()
        self._audit(editor, "brief.publish", brief, number=draft.number)
        outbox.emit(self.session, outbox.SEARCH, "brief", self.clock.now(), id=brief.id)
        return draft

    def revise(self, slug: str, editor: User | None) -> BriefVersion:
        """A new working copy from the latest published version (or the existing one)."""
        editor = require_editor(editor)
        brief = self.get(slug)
        existing = self.working_copy(brief)
        if existing is not None:
            return existing
        latest = self.published(slug)
        draft = self._working_copy(brief, latest.number + 1, latest.title, latest.body_markdown)
        self._audit(editor, "brief.revise", brief, number=draft.number)
        return draft

    # -- helpers ---------------------------------------------------------------------------

    def _published_query(
        self, query: Select[BriefVersion], topic: str | None, limit: int | None
    ) -> list[BriefVersion]:
        if topic:
            query = query.join(Brief, BriefVersion.brief_id == Brief.id).where(
                Brief.topics.any(Topic.slug == topic)
            )
        query = query.options(selectinload(BriefVersion.brief).selectinload(Brief.topics))
        query = query.order_by(BriefVersion.published_at.desc(), BriefVersion.id.desc())
        return list(self.session.scalars(query.limit(limit)))

    def _working_copy(self, brief: Brief, number: int, title: str, body: str) -> BriefVersion:
        draft = BriefVersion(
            brief_id=brief.id,
            number=number,
            title=title,
            body_markdown=body,
            change_note="",
            annex={},
            created_at=self.clock.now(),
        )
        self.session.add(draft)
        self.session.flush()
        return draft

    def _require_working_copy(self, brief: Brief) -> BriefVersion:
        draft = self.working_copy(brief)
        if draft is None:
            raise Conflict(N_("Every version of this brief is published; start a revision first."))
        return draft

    def _resolve_citations(self, brief: Brief, markdown: str) -> list[Thread]:
        """The cited threads; citing one that is missing, or from another consultation, fails."""
        ids = cited_thread_ids(markdown)
        threads = self.threads_by_id(ids)
        home = brief.consultation_id
        bad = [
            thread_id
            for thread_id in ids
            if thread_id not in threads or (home and threads[thread_id].consultation_id != home)
        ]
        if bad:
            raise InvalidInput(
                N_("The brief cites threads that are not in its consultation: %(names)s."),
                names=", ".join(f"[[thread:{thread_id}]]" for thread_id in bad[:10]),
                fields={"body_markdown": N_("cites threads that are not in its consultation")},
            )
        return [threads[thread_id] for thread_id in sorted(ids)]

    def _validate_new(
        self,
        slug: str,
        title: str,
        language: str,
        body_markdown: str,
        consultation_slug: str | None,
    ) -> Consultation | None:
        fields = _text_problems(title, body_markdown)
        if not SLUG_PATTERN.match(slug) or len(slug) > 120:
            fields["slug"] = N_("Use lowercase letters, digits and single hyphens.")
        if language not in set(Language):
            fields["language"] = N_("Language must be en or uk.")
        consultation = None
        if consultation_slug:
            query = select(Consultation).where(Consultation.slug == consultation_slug)
            consultation = self.session.scalars(query).first()
            if consultation is None:
                fields["consultation"] = N_("no consultation has this slug")
        if fields:
            raise InvalidInput(N_("The brief could not be created."), fields=fields)
        if self.session.scalars(select(Brief.id).where(Brief.slug == slug)).first():
            # Valid input, but the state forbids it: another brief holds this address.
            raise Conflict(
                N_("A brief called “%(slug)s” already exists."),
                slug=slug,
                fields={"slug": N_("This slug is taken.")},
            )
        return consultation

    def _audit(self, editor: User, action: str, brief: Brief, **details: object) -> None:
        audit.record(
            self.session,
            actor_id=editor.id,
            action=action,
            subject=("brief", brief.id),
            now=self.clock.now(),
            **details,
        )


def _text_problems(title: str, body_markdown: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    if not title.strip() or len(title) > 300:
        fields["title"] = N_("A title of up to 300 characters is required.")
    if not body_markdown.strip():
        fields["body_markdown"] = N_("The brief has no text.")
    elif len(body_markdown) > MAX_BRIEF_CHARS:
        fields["body_markdown"] = N_("Briefs are limited to 500,000 characters.")  # MAX_BRIEF_CHARS
    return fields
