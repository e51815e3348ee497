"""Consultation lifecycle: drafts and versions, the comment period, comments and threads."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, NamedTuple

from sqlalchemy import Integer, Select, bindparam, func, select
from sqlalchemy.orm import Session, aliased, selectinload

from accounts import following
from accounts.models import User
from accounts.policy import Person, require_editor
from accounts.registration import require_verified_email
from consultations import carry, policy
from consultations.models import (
    Comment,
    Consultation,
    DraftVersion,
    Paragraph,
    Thread,
    Topic,
)
from consultations.paragraphs import (
    Block,
    KeyedBlock,
    assign_keys,
    block_starts,
    new_paragraph_key,
    split_blocks,
)
from consultations.quotes import locate, normalize, occurs_in
from core import audit, outbox
from core.clock import Clock, as_utc
from core.db import insert_one
from core.enums import Attribution, ConsultationStatus, Language, Phase, ThreadState
from core.errors import Conflict, InvalidInput, NotFound, NotSignedIn
from core.i18n import N_

if TYPE_CHECKING:  # the input models use this service: a cycle at run time
    from consultations.commenting import NewComment

SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_DRAFT_CHARS = 2_000_000
MAX_DRAFT_PARAGRAPHS = 2_000
NOT_CREATED = N_("The consultation could not be created.")
NOT_POSTED = N_("The comment could not be posted.")


def topic_named(session: Session, slug: str) -> Topic | None:
    """The topic with this slug, if there is one (a follow button needs its id)."""
    return session.scalars(select(Topic).where(Topic.slug == slug)).first()


def topics_by_slug(session: Session, slugs: Sequence[str]) -> list[Topic]:
    """The topics named (one vocabulary for consultations and briefs), created on first use."""
    cleaned = [slug.strip().lower() for slug in slugs if slug.strip()]
    bad = [slug for slug in cleaned if not SLUG_PATTERN.match(slug) or len(slug) > 80]
    if bad:
        raise InvalidInput(
            N_("Topics use lowercase letters, digits and hyphens, such as “%(example)s”."),
            example="net-neutrality",
            fields={"topics": N_("not a list of topics")},
        )
    topics = []
    for slug in dict.fromkeys(cleaned):
        topic = session.scalars(select(Topic).where(Topic.slug == slug)).first()
        if topic is None:
            topic = Topic(slug=slug, name=slug.replace("-", " ").capitalize())
            session.add(topic)
        topics.append(topic)
    return topics


def _current_number_with_key() -> Select[int]:
    """The current version's number, if that version has the paragraph (bound: the
    consultation id and the key). Built once: it runs for every comment."""
    consultation_id = bindparam("consultation_id", type_=Integer)
    current = (
        select(func.max(DraftVersion.number))
        .where(DraftVersion.consultation_id == consultation_id)
        .scalar_subquery()
    )
    return (
        select(DraftVersion.number)
        .join(Paragraph, Paragraph.version_id == DraftVersion.id)
        .where(
            DraftVersion.consultation_id == consultation_id,
            DraftVersion.number == current,
            Paragraph.key == bindparam("key"),
        )
    )


_CURRENT_NUMBER_WITH_KEY = _current_number_with_key()


def _commentable_with_number() -> Select[Consultation, int]:
    """A consultation by slug, with what `_current_number_with_key` would answer for it
    (bound: the slug and the key), in one statement."""
    current = (
        select(func.max(DraftVersion.number))
        .where(DraftVersion.consultation_id == Consultation.id)
        .correlate(Consultation)
        .scalar_subquery()
    )
    number = (
        select(DraftVersion.number)
        .join(Paragraph, Paragraph.version_id == DraftVersion.id)
        .where(
            DraftVersion.consultation_id == Consultation.id,
            DraftVersion.number == current,
            Paragraph.key == bindparam("key"),
        )
        .correlate(Consultation)
        .scalar_subquery()
    )
    return select(Consultation, number).where(Consultation.slug == bindparam("slug"))


_COMMENTABLE_WITH_NUMBER = _commentable_with_number()


class Listed(NamedTuple):
    """A consultation of a listing, and its phase when listed."""

    consultation: Consultation
    status: Phase


def _too_many_paragraphs() -> InvalidInput:
    return InvalidInput(
        # The limit is MAX_DRAFT_PARAGRAPHS, spelled out so the message can be translated.
        N_(
            "A draft is limited to 2,000 paragraphs (each heading, list item"
            " and table row counts as one); this one has more."
        ),
        fields={"markdown": N_("too many paragraphs")},
    )


def _kept(keyed: list[KeyedBlock], ordinal: int, key: str) -> list[KeyedBlock]:
    """`keyed` with block `ordinal` (from 1) keyed `key`, unless some block has it already."""
    if any(item.key == key for item in keyed) or not 1 <= ordinal <= len(keyed):
        return keyed
    kept = list(keyed)
    kept[ordinal - 1] = replace(keyed[ordinal - 1], key=key, change="edited", previous_key=key)
    return kept


class ConsultationService:
    def __init__(self, session: Session, *, clock: Clock) -> None:
        self.session = session
        self.clock = clock
        # (consultation id, key) -> current version number, from `commentable`, used once
        self._numbers: dict[tuple[int, str], int | None] = {}

    # -- reading ---------------------------------------------------------------------------

    def get(self, slug: str) -> Consultation:
        query = (
            select(Consultation)
            .where(Consultation.slug == slug)
            .options(selectinload(Consultation.topics))
        )
        consultation = self.session.scalars(query).first()
        if consultation is None:
            raise NotFound(N_("No consultation called “%(slug)s”."), slug=slug)
        return consultation

    def visible(self, slug: str, person: Person | None) -> Consultation:
        """The consultation called `slug` if `person` may see it (nobody: the public, as
        the API, search and feeds are); a draft is as absent as a slug that names nothing,
        and a malformed slug is never sent to the database."""
        if not SLUG_PATTERN.match(slug) or len(slug) > 120:
            raise NotFound(N_("No consultation called “%(slug)s”."), slug=slug)
        consultation = self.get(slug)
        if not policy.can_view(person, consultation):
            raise NotFound(N_("No consultation called “%(slug)s”."), slug=slug)
        return consultation

    def commentable(self, slug: str, key: str) -> Consultation | None:
        """The consultation called `slug`, or None, for a comment on paragraph `key` that
        `post_comment` is about to write: the same query also finds the current version's
        number if it has that paragraph, so the comment costs one round trip less."""
        row = self.session.execute(_COMMENTABLE_WITH_NUMBER, {"slug": slug, "key": key}).first()
        if row is None:
            return None
        consultation, number = row
        self._numbers[(consultation.id, key)] = number
        return consultation

    def listing(
        self, *, topic: str | None = None, status: str | None = None, include_drafts: bool = False
    ) -> list[Listed]:
        """Consultations, newest first, each with its phase now (`status`: only that phase),
        both from `policy.phase_sql`: what the filter picks is what every item says."""
        phase = policy.phase_sql(self.clock.now())
        query = select(Consultation, phase).options(selectinload(Consultation.topics))
        if topic:
            query = query.where(Consultation.topics.any(Topic.slug == topic))
        if status:
            query = query.where(phase == status)
        if not include_drafts:
            query = query.where(policy.public())
        rows = self.session.execute(query.order_by(Consultation.created_at.desc()))
        return [Listed(consultation, Phase(value)) for consultation, value in rows]

    def version(self, consultation: Consultation, number: int | None = None) -> DraftVersion:
        """A given version, or the current (latest) one."""
        query = select(DraftVersion).where(DraftVersion.consultation_id == consultation.id)
        if number is None:
            query = query.order_by(DraftVersion.number.desc()).limit(1)
        else:
            query = query.where(DraftVersion.number == number)
        version = self.session.scalars(query).first()
        if version is None:
            raise NotFound(
                N_("Version %(number)s of this consultation does not exist."), number=number
            )
        return version

    def paragraphs(self, version: DraftVersion) -> list[Paragraph]:
        query = select(Paragraph).where(Paragraph.version_id == version.id)
        return list(self.session.scalars(query.order_by(Paragraph.ordinal)))

    def paragraph(self, consultation: Consultation, key: str) -> Paragraph:
        """The paragraph in the latest version that has it (so orphans stay readable)."""
        query = (
            select(Paragraph)
            .join(DraftVersion)
            .where(DraftVersion.consultation_id == consultation.id, Paragraph.key == key)
            .order_by(DraftVersion.number.desc())
            .limit(1)
        )
        paragraph = self.session.scalars(query).first()
        if paragraph is None:
            raise NotFound(N_("No paragraph “%(key)s” in this consultation."), key=key)
        return paragraph

    def thread_counts(self, consultation: Consultation) -> dict[str, int]:
        """Margin counts: threads per paragraph key (orphaned and closed ones are on no
        paragraph of the current version; they are counted in the re-anchor queue)."""
        query = (
            select(Thread.paragraph_key, func.count(Thread.id))
            .where(
                Thread.consultation_id == consultation.id,
                Thread.state.not_in([ThreadState.ORPHANED, ThreadState.CLOSED]),
            )
            .group_by(Thread.paragraph_key)
        )
        return dict(self.session.execute(query).all())

    def state_counts(self, consultation: Consultation) -> Counter[ThreadState]:
        """The consultation's threads by anchor state."""
        query = (
            select(Thread.state, func.count(Thread.id))
            .where(Thread.consultation_id == consultation.id)
            .group_by(Thread.state)
        )
        return Counter(dict(self.session.execute(query).all()))

    def outdated(self, consultation: Consultation) -> dict[str, list[tuple[int, str, int]]]:
        """For the draft's margins, in one query: per current key, the versions its outdated
        threads were written on, with the paragraph's text (HTML) then, and how many."""
        written = aliased(Paragraph)
        version = aliased(DraftVersion)
        base_key = func.coalesce(Thread.origin_key, Thread.paragraph_key)
        query = (
            select(Thread.paragraph_key, Thread.version_number, written.html, func.count(Thread.id))
            .join(
                version,
                (version.consultation_id == Thread.consultation_id)
                & (version.number == Thread.version_number),
            )
            .join(written, (written.version_id == version.id) & (written.key == base_key))
            .where(
                Thread.consultation_id == consultation.id,
                Thread.state == ThreadState.OUTDATED,
                Thread.moved_in_version.is_(None),
            )
            .group_by(Thread.paragraph_key, Thread.version_number, written.html)
            .order_by(Thread.paragraph_key, Thread.version_number)
        )
        found: dict[str, list[tuple[int, str, int]]] = {}
        for key, number, html, threads in self.session.execute(query):
            found.setdefault(key, []).append((number, html, threads))
        return found

    def is_accepting_comments(self, consultation: Consultation) -> bool:
        """Deadlines are enforced here, on the server, whatever the page showed."""
        return policy.accepts_comments(consultation, self.clock.now())

    def effective_status(self, consultation: Consultation) -> Phase:
        """The phase a reader sees now (`policy.phase`: the times applied to the status)."""
        return policy.phase(consultation, self.clock.now())

    # -- editing ---------------------------------------------------------------------------

    def create(
        self,
        *,
        editor: User | None,
        slug: str,
        title: str,
        markdown: str,
        language: str = "en",
        summary: str = "",
        topics: Sequence[str] = (),
        opens_at: datetime | None = None,
        closes_at: datetime | None = None,
    ) -> Consultation:
        """Persist a consultation `creating.NewConsultation` has checked (only the database
        knows whether the slug is taken), with its first version."""
        editor = require_editor(editor)
        if self.session.scalars(select(Consultation.id).where(Consultation.slug == slug)).first():
            raise InvalidInput(NOT_CREATED, fields={"slug": N_("This slug is taken.")})
        consultation = Consultation(
            slug=slug,
            title=title.strip(),
            summary=summary.strip(),
            language=Language(language),
            opens_at=opens_at,
            closes_at=closes_at,
            created_by_id=editor.id,
            created_at=self.clock.now(),
            topics=topics_by_slug(self.session, topics),
        )
        self.session.add(consultation)
        self.session.flush()
        self._add_version(consultation, editor, markdown, "Initial draft")
        self._audit(editor, "consultation.create", consultation, title=consultation.title)
        return consultation

    def publish_version(
        self,
        consultation: Consultation,
        *,
        editor: User | None,
        markdown: str,
        change_note: str,
        keep: Mapping[int, str] | None = None,
    ) -> DraftVersion:
        """A new version; threads are carried over to it against the whole history (see
        `consultations.carry`). `keep` = {ordinal: key}: those blocks of the new version keep
        those keys whatever keying finds (an editor replaced *those* paragraphs)."""
        editor = require_editor(editor)
        if consultation.status in (ConsultationStatus.PUBLISHED, ConsultationStatus.ARCHIVED):
            raise Conflict(N_("A published consultation cannot be revised."))
        version = self._add_version(consultation, editor, markdown, change_note, keep)
        self._audit(editor, "consultation.version", consultation, number=version.number)
        following.fan_out(
            self.session,
            "version",
            self.clock.now(),
            actor_id=editor.id,
            targets=[(following.CONSULTATION, consultation.id)]
            + [(following.TOPIC, topic.id) for topic in consultation.topics],
            consultation_id=consultation.id,
            number=version.number,
        )
        return version

    def set_comment_rules(
        self,
        consultation: Consultation,
        *,
        editor: User | None,
        opens_at: datetime | None,
        closes_at: datetime | None,
        allow_anonymous: bool,
    ) -> None:
        """The comment period and whether comments may be anonymous (existing comments keep
        the attribution they were posted with)."""
        editor = require_editor(editor)
        self._validate_period(opens_at, closes_at)
        consultation.opens_at, consultation.closes_at = opens_at, closes_at
        consultation.allow_anonymous = allow_anonymous
        self._reindex(consultation)  # an opening time announces a draft (`policy.can_view`)
        self._audit(
            editor,
            "consultation.rules",
            consultation,
            opens_at=str(opens_at),
            closes_at=str(closes_at),
            allow_anonymous=allow_anonymous,
        )

    def set_status(
        self, consultation: Consultation, status: ConsultationStatus, *, editor: User | None
    ) -> None:
        """Move along draft → open → closed → synthesis → published → archived."""
        editor = require_editor(editor)
        order = list(ConsultationStatus)
        if order.index(status) < order.index(consultation.status) and not (
            consultation.status == ConsultationStatus.CLOSED and status == ConsultationStatus.OPEN
        ):
            raise Conflict(
                N_("A consultation cannot go back from %(current)s to %(status)s."),
                current=consultation.status.value,
                status=status.value,
            )
        now = self.clock.now()
        if status == ConsultationStatus.OPEN and consultation.opens_at is None:
            consultation.opens_at = now
        closes = consultation.closes_at
        if status == ConsultationStatus.OPEN and closes and as_utc(closes) <= now:
            consultation.closes_at = None  # reopened: it runs until closed again
        if status == ConsultationStatus.CLOSED:
            consultation.closes_at = min(
                as_utc(consultation.closes_at or self.clock.now()), self.clock.now()
            )
        consultation.status = status
        self._audit(editor, f"consultation.{status.value}", consultation)
        self._reindex(consultation)

    # -- comments --------------------------------------------------------------------------

    def post_comment(
        self, consultation: Consultation, key: str, data: NewComment, *, author: User | None
    ) -> Comment:
        """Validate everything first, then write the thread, comment and outbox row together."""
        if author is None:
            raise NotSignedIn(N_("Sign in to comment."))
        require_verified_email(author)
        if not self.is_accepting_comments(consultation):
            raise Conflict(N_("This consultation is not open for comments."))
        if author.stakeholder_group is None:
            raise InvalidInput(
                N_("Choose your stakeholder group on your profile before commenting."),
                fields={"stakeholder_group": N_("required")},
            )
        fields = self._comment_problems(consultation, data)
        if fields:
            raise InvalidInput(NOT_POSTED, fields=fields)
        thread = self._thread_for(consultation, key, data)
        comment = insert_one(
            self.session,
            Comment,
            related={"thread": thread},
            thread_id=thread.id,
            parent_id=data.parent_id,
            author_id=author.id,
            body=data.body.strip(),
            stance=data.stance,
            suggestion=(data.suggestion or "").strip() or None,
            attribution=data.attribution,
            author_name=author.name,
            organisation=author.organisation,
            stakeholder_group=author.stakeholder_group,
            verified=author.affiliation_verified_at is not None,
            created_at=self.clock.now(),
        )
        # Indexed for search, its receipt mailed to the author and, for a thread's opening,
        # placed among the campaigns (consultations/campaigns.py), in one statement.
        events = [
            (outbox.SEARCH, "comment", {"id": comment.id}),
            (outbox.MAIL, "receipt", {"comment_id": comment.id}),
        ]
        if comment.parent_id is None:
            events.append((outbox.CAMPAIGN, "comment", {"id": comment.id}))
        outbox.emit_all(self.session, self.clock.now(), *events)
        self._tell_followers(comment, mailed=self._notify_reply(comment))
        return comment

    def threads(self, consultation: Consultation, key: str | None = None) -> list[Thread]:
        query = (
            select(Thread)
            .where(Thread.consultation_id == consultation.id)
            .options(selectinload(Thread.comments))
            .order_by(Thread.id)
        )
        if key is not None:
            query = query.where(Thread.paragraph_key == key)
        return list(self.session.scalars(query))

    # -- helpers ---------------------------------------------------------------------------

    def _comment_problems(self, consultation: Consultation, data: NewComment) -> dict[str, str]:
        """What the input's type cannot know: the consultation's own rules."""
        if data.attribution == Attribution.ANONYMOUS and not consultation.allow_anonymous:
            return {"attribution": N_("This consultation does not accept anonymous comments.")}
        return {}

    def _thread_for(self, consultation: Consultation, key: str, data: NewComment) -> Thread:
        if data.parent_id is None:
            version_number = self._current_number_with(consultation, key)
            if version_number is None:
                raise NotFound(N_("No paragraph “%(key)s” in the current version."), key=key)
            return insert_one(
                self.session,
                Thread,
                consultation_id=consultation.id,
                paragraph_key=key,
                origin_key=key,
                version_number=version_number,
                quote=self._checked_quote(consultation, key, data.quote),
                created_at=self.clock.now(),
            )
        parent = self.session.get(Comment, data.parent_id)
        if parent is None or parent.thread.consultation_id != consultation.id:
            raise NotFound(N_("The comment you reply to does not exist."))
        if parent.thread.paragraph_key != key:
            # Replies live on their parent's paragraph: on this one, there is no such comment.
            raise NotFound(N_("The comment you reply to is not on this paragraph."))
        return parent.thread

    def _checked_quote(self, consultation: Consultation, key: str, quote: str | None) -> str | None:
        """The quote as kept (`quotes.normalize`d), if it is words of the paragraph's text:
        a span that is not there could never be shown, nor re-found in later versions."""
        wanted = normalize(quote or "")
        if not wanted:
            return None
        text = self.session.scalar(
            select(Paragraph.text)
            .join(DraftVersion)
            .where(DraftVersion.consultation_id == consultation.id, Paragraph.key == key)
            .order_by(DraftVersion.number.desc())
            .limit(1)
        )
        if text is None or not occurs_in(wanted, text):
            raise InvalidInput(
                NOT_POSTED,
                fields={"quote": N_("The quoted passage is not in the text of this paragraph.")},
            )
        return wanted

    def quote_spans(
        self, consultation: Consultation, threads: Sequence[Thread], current_text: str
    ) -> dict[int, str | None]:
        """For each quoting thread, the words of `current_text` its quote stands for now
        (`quotes.locate`), or None when they are no longer found. Computed when shown: it
        follows every later version and the re-anchoring of threads without a stored copy."""
        quoting = [t for t in threads if t.quote]
        if not quoting:
            return {}
        keys = {t.origin_key or t.paragraph_key for t in quoting}
        rows = self.session.execute(
            select(Paragraph.key, DraftVersion.number, Paragraph.text)
            .join(DraftVersion)
            .where(DraftVersion.consultation_id == consultation.id, Paragraph.key.in_(keys))
        )
        written = {(key, number): text for key, number, text in rows}
        current = normalize(current_text)
        spans: dict[int, str | None] = {}
        for thread in quoting:
            assert thread.quote is not None
            origin = (thread.origin_key or thread.paragraph_key, thread.version_number)
            was = normalize(written.get(origin, ""))
            span = locate(thread.quote, was, current)
            spans[thread.id] = current[span[0] : span[1]] if span else None
        return spans

    def in_current_version(self, consultation: Consultation, key: str) -> bool:
        """Whether the current draft still has paragraph `key` (else its threads are orphans)."""
        params = {"consultation_id": consultation.id, "key": key}
        return self.session.scalar(_CURRENT_NUMBER_WITH_KEY, params) is not None

    def _current_number_with(self, consultation: Consultation, key: str) -> int | None:
        """The current version's number if it has paragraph `key` (one small query: this is
        on the hot path of every comment), unless `commentable` has just read it."""
        if (consultation.id, key) in self._numbers:
            return self._numbers.pop((consultation.id, key))
        return self.session.scalar(
            _CURRENT_NUMBER_WITH_KEY, {"consultation_id": consultation.id, "key": key}
        )

    def _notify_reply(self, comment: Comment) -> int | None:
        """Tell the parent's author by email (through the outbox) that someone replied;
        returns whom it told."""
        if comment.parent_id is None:
            return None
        parent = self.session.get(Comment, comment.parent_id)
        if parent is None or parent.author_id in (None, comment.author_id):
            return None
        outbox.emit(self.session, outbox.MAIL, "reply", self.clock.now(), comment_id=comment.id)
        return parent.author_id

    def _tell_followers(self, comment: Comment, mailed: int | None) -> None:
        """The thread's followers hear of a reply; then its author follows the thread (who
        starts a thread or takes part in it wants to hear of its replies). A comment that
        is not a reply has just started its thread, which nobody can follow yet."""
        now = self.clock.now()
        if comment.parent_id is not None:
            following.fan_out(
                self.session,
                "reply",
                now,
                actor_id=comment.author_id,
                targets=[(following.THREAD, comment.thread_id)],
                mailed=[mailed] if mailed else [],
                consultation_id=comment.thread.consultation_id,
                thread_id=comment.thread_id,
                comment_id=comment.id,
            )
        if comment.author_id is not None:
            following.follow(
                self.session, comment.author_id, following.THREAD, comment.thread_id, now
            )

    def _add_version(
        self,
        consultation: Consultation,
        editor: User,
        markdown: str,
        change_note: str,
        keep: Mapping[int, str] | None = None,
    ) -> DraftVersion:
        blocks = self._parse(markdown)
        previous = self.session.scalars(
            select(DraftVersion)
            .where(DraftVersion.consultation_id == consultation.id)
            .order_by(DraftVersion.number.desc())
            .limit(1)
        ).first()
        old = [(p.key, p.text) for p in self.paragraphs(previous)] if previous else []
        version = DraftVersion(
            consultation_id=consultation.id,
            number=previous.number + 1 if previous else 1,
            source=markdown,
            change_note=change_note.strip(),
            created_by_id=editor.id,
            created_at=self.clock.now(),
        )
        self.session.add(version)
        self.session.flush()
        keyed = assign_keys(old, blocks, new_paragraph_key)
        for ordinal, key in (keep or {}).items():
            keyed = _kept(keyed, ordinal, key)
        history = self._history(consultation) if previous is not None else []
        if any(item.change == "new" for item in keyed):
            keyed = carry.restore_keys(keyed, history)
        self.session.add_all(
            Paragraph(
                version_id=version.id,
                key=item.key,
                ordinal=ordinal,
                kind=item.block.kind,
                source=item.block.source,
                text=item.block.text,
                html=item.block.html,
                change=item.change,
            )
            for ordinal, item in enumerate(keyed, start=1)
        )
        self.session.flush()
        if previous is not None:
            current = [(item.key, item.block.text) for item in keyed]
            self._carry_threads(consultation, current, dict(history))
        self._reindex(consultation)
        return version

    def _history(self, consultation: Consultation) -> list[tuple[str, str]]:
        """Every earlier version's (key, text) pairs, oldest version first."""
        query = (
            select(Paragraph.key, Paragraph.text)
            .join(DraftVersion)
            .where(DraftVersion.consultation_id == consultation.id)
            .order_by(DraftVersion.number, Paragraph.ordinal)
        )
        return [(key, text) for key, text in self.session.execute(query)]

    def _carry_threads(
        self, consultation: Consultation, current: list[tuple[str, str]], last: dict[str, str]
    ) -> None:
        """Place every thread not closed in the new version (`carry.carry_threads`),
        comparing it with the text it was written on (or was moved to), read in one query,
        and with its key's `last` text in earlier versions."""
        base = aliased(Paragraph)
        version = aliased(DraftVersion)
        base_key = func.coalesce(Thread.origin_key, Thread.paragraph_key)
        moved = Thread.moved_in_version.is_not(None)
        query = (
            select(Thread, base.text)
            .join(version, version.consultation_id == Thread.consultation_id)
            .join(base, (base.version_id == version.id))
            .where(
                Thread.consultation_id == consultation.id,
                Thread.state != ThreadState.CLOSED,
                (
                    moved
                    & (version.number == Thread.moved_in_version)
                    & (base.key == Thread.paragraph_key)
                )
                | (~moved & (version.number == Thread.version_number) & (base.key == base_key)),
            )
        )
        rows = self.session.execute(query).all()
        threads = {thread.id: thread for thread, _text in rows}
        anchors = [
            carry.ThreadAnchor(
                thread.id, thread.paragraph_key, text, thread.state, last.get(thread.paragraph_key)
            )
            for thread, text in rows
        ]
        orphaned = []
        for placed in carry.carry_threads(anchors, current):
            thread = threads[placed.id]
            if placed.state == ThreadState.ORPHANED != thread.state:
                orphaned.append(thread.id)
            thread.paragraph_key, thread.state = placed.key, placed.state
        self.notify_commenters(orphaned, "orphaned")

    def notify_commenters(self, thread_ids: Sequence[int], kind: str) -> None:
        """One mail event per commenter of each thread (`kind`: "orphaned" when a version
        lost its paragraph, "reanchored" when an editor moved or closed it)."""
        if not thread_ids:
            return
        query = (
            select(Comment.thread_id, Comment.author_id)
            .where(Comment.thread_id.in_(thread_ids), Comment.author_id.is_not(None))
            .distinct()
            .order_by(Comment.thread_id, Comment.author_id)
        )
        now = self.clock.now()
        told: dict[int, list[int]] = {}
        for thread_id, author_id in self.session.execute(query):
            outbox.emit(
                self.session, outbox.MAIL, kind, now, thread_id=thread_id, user_id=author_id
            )
            if author_id is not None:
                told.setdefault(thread_id, []).append(author_id)
        for thread_id in thread_ids:
            thread = self.session.get(Thread, thread_id)
            following.fan_out(
                self.session,
                kind,
                now,
                actor_id=None,
                targets=[(following.THREAD, thread_id)]
                + ([(following.CONSULTATION, thread.consultation_id)] if thread else []),
                mailed=told.get(thread_id, []),
                consultation_id=thread.consultation_id if thread else None,
                thread_id=thread_id,
            )

    def _parse(self, markdown: str) -> list[Block]:
        """The draft's blocks, within the paragraph limits (the input models state the
        others: no NUL, at most MAX_DRAFT_CHARS)."""
        # Twice the limit in possible block starts: room for wrapped list items, while
        # what is split below stays a second's work at most.
        if block_starts(markdown, stop=2 * MAX_DRAFT_PARAGRAPHS) > 2 * MAX_DRAFT_PARAGRAPHS:
            raise _too_many_paragraphs()
        blocks = split_blocks(markdown)
        if not blocks:
            raise InvalidInput(N_("The draft has no text."), fields={"markdown": N_("empty")})
        if len(blocks) > MAX_DRAFT_PARAGRAPHS:
            raise _too_many_paragraphs()
        return blocks

    @staticmethod
    def _validate_period(opens_at: datetime | None, closes_at: datetime | None) -> None:
        if opens_at and closes_at and closes_at <= opens_at:
            raise InvalidInput(
                N_("The comment period must close after it opens."),
                fields={"closes_at": N_("before opens_at")},
            )

    def _audit(
        self, editor: User, action: str, consultation: Consultation, **details: object
    ) -> None:
        audit.record(
            self.session,
            actor_id=editor.id,
            action=action,
            subject=("consultation", consultation.id),
            now=self.clock.now(),
            **details,
        )

    def _reindex(self, consultation: Consultation) -> None:
        outbox.emit(
            self.session, outbox.SEARCH, "consultation", self.clock.now(), id=consultation.id
        )
