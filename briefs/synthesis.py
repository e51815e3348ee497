"""The synthesis workspace: an editor weighs every thread, records its disposition with a
rationale, and merges accepted suggestions into the draft as a new version.

Identical comments (a campaign pasting the same text) are grouped so the editor reads them
once; a disposition given to the group is recorded on every thread in it, so the annex of
the brief still accounts for each of them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from accounts.models import User
from accounts.policy import require_editor
from consultations.models import Comment, Consultation, DraftVersion, Paragraph, Thread
from consultations.services import ConsultationService
from core import audit, outbox
from core.clock import Clock
from core.enums import ThreadStatus
from core.errors import Conflict, InvalidInput, NotFound
from core.i18n import N_

if TYPE_CHECKING:  # the decision's module uses this service: a cycle at run time
    from briefs.dispositions import Decision

__all__ = ["QueueItem", "SynthesisService", "normalise", "replace_paragraph"]

_NON_WORD = re.compile(r"[\W_]+")
_MARKERS = {
    "heading": re.compile(r"^ {0,3}#{1,6}[ \t]+"),
    "list_item": re.compile(r"^ {0,3}(?:[-*+]|\d{1,9}[.)])[ \t]+"),
}


@dataclass(frozen=True, slots=True)
class QueueItem:
    """A thread to decide, shown once for itself and the threads that say the same."""

    thread: Thread
    paragraph: Paragraph | None
    duplicates: tuple[Thread, ...] = ()
    in_current: bool = True  # False for orphans: their suggestions have nothing to replace

    @property
    def count(self) -> int:
        return 1 + len(self.duplicates)

    @property
    def decided(self) -> bool:
        return self.thread.disposition is not None


def normalise(body: str) -> str:
    """A comment reduced to its words, so copies differing in case or punctuation match."""
    return " ".join(_NON_WORD.sub(" ", body.casefold()).split())


def _opening_text(thread: Thread) -> str:
    return normalise(thread.comments[0].body) if thread.comments else ""


def _with_block_marker(kind: str, old_source: str, replacement: str) -> str:
    """Keep the block's Markdown marker (``## ``, ``- ``, ``> ``, table pipes): suggestions
    are written against the paragraph's visible text, which has none."""
    text = replacement.strip().replace("\r\n", "\n")
    marker = _MARKERS.get(kind)
    if marker is not None:
        found = marker.match(old_source)
        if found and not marker.match(text):
            indent = "\n" + " " * len(found.group(0))
            return found.group(0) + text.replace("\n", indent)
    if kind == "quote" and not text.startswith(">"):
        return "\n".join(f"> {line}" if line else ">" for line in text.split("\n"))
    if kind == "table_row" and not text.startswith("|"):
        return f"| {text} |"
    return text


def replace_paragraph(
    source: str, paragraphs: Sequence[Paragraph], key: str, replacement: str
) -> str:
    """The version's Markdown with one paragraph's own source slice replaced.

    Paragraphs are located in document order, so of two identical blocks the right one is
    replaced; a block that cannot be found (kramdown markup stripped on parsing) is skipped.
    """
    source = source.replace("\r\n", "\n")
    position = 0
    for paragraph in paragraphs:
        found = source.find(paragraph.source, position)
        if paragraph.key == key:
            if found < 0:
                raise Conflict(N_("The paragraph's text could not be located in the draft source."))
            new = _with_block_marker(paragraph.kind, paragraph.source, replacement)
            return source[:found] + new + source[found + len(paragraph.source) :]
        if found >= 0:
            position = found + len(paragraph.source)
    raise Conflict(N_("The commented paragraph is not in the current version of the draft."))


class SynthesisService:
    def __init__(self, session: Session, *, clock: Clock) -> None:
        self.session = session
        self.clock = clock
        self.consultations = ConsultationService(session, clock=clock)

    def thread(self, consultation: Consultation, thread_id: int) -> Thread:
        """A thread of this consultation (a thread id from another one is not found)."""
        thread = self.session.get(Thread, thread_id)
        if thread is None or thread.consultation_id != consultation.id:
            raise NotFound(N_("No thread %(id)s in this consultation."), id=thread_id)
        return thread

    def decide(self, thread_id: int, *, editor: User | None, decision: Decision) -> Thread:
        """Record what became of a thread (and of its identical copies) and resolve it."""
        editor = require_editor(editor)
        thread = self.session.get(Thread, thread_id)
        if thread is None:
            raise NotFound(N_("No thread %(id)s."), id=thread_id)
        value, rationale = decision.disposition, decision.rationale
        now = self.clock.now()
        for member in self._group_of(thread):
            member.disposition, member.rationale = value, rationale.strip() or None
            member.status, member.decided_at, member.decided_by_id = (
                ThreadStatus.RESOLVED,
                now,
                editor.id,
            )
            audit.record(
                self.session,
                actor_id=editor.id,
                action="thread.disposition",
                subject=("thread", member.id),
                now=now,
                disposition=value.value,
                group_of=thread.id,
            )
        outbox.emit(self.session, outbox.SEARCH, "consultation", now, id=thread.consultation_id)
        return thread

    def apply_suggestion(
        self, comment_id: int, *, editor: User | None, consultation: Consultation | None = None
    ) -> DraftVersion:
        """A new draft version in which the commented paragraph reads as the suggestion
        (with `consultation`, a comment of another consultation is not found)."""
        editor = require_editor(editor)
        comment, suggestion = self._suggestion(comment_id, consultation)
        thread = comment.thread
        current = self.consultations.version(thread.consultation)
        paragraphs = self.consultations.paragraphs(current)
        markdown = replace_paragraph(current.source, paragraphs, thread.paragraph_key, suggestion)
        if markdown == current.source.replace("\r\n", "\n"):
            raise Conflict(N_("The current version already reads as this suggestion."))
        ordinal = next(p.ordinal for p in paragraphs if p.key == thread.paragraph_key)
        # The rewritten paragraph keeps its key even when the suggestion is a rewrite beyond
        # the similarity that keying detects: the editor replaced *this* paragraph, and its
        # threads must stay attached to it rather than wait to be re-anchored.
        version = self.consultations.publish_version(
            thread.consultation,
            editor=editor,
            markdown=markdown,
            change_note=f"Applied suggestion from thread {thread.id}",
            keep=(ordinal, thread.paragraph_key),
        )
        audit.record(
            self.session,
            actor_id=editor.id,
            action="comment.apply_suggestion",
            subject=("comment", comment.id),
            now=self.clock.now(),
            version=version.number,
        )
        return version

    def queue(self, consultation: Consultation) -> list[QueueItem]:
        """Every thread with its comments, undecided first, then in document order."""
        threads = self.consultations.threads(consultation)
        groups: dict[tuple[str, str], list[Thread]] = {}
        for thread in threads:
            text = _opening_text(thread)
            group_key = (thread.paragraph_key, text or f"#{thread.id}")
            groups.setdefault(group_key, []).append(thread)
        keys = {thread.paragraph_key for thread in threads}
        items = self._items(consultation, list(groups.values()), keys)
        return sorted(items, key=_queue_order)

    def item(self, consultation: Consultation, thread_id: int) -> QueueItem:
        """The queue entry that shows a thread, without building the whole queue (htmx
        re-renders one card after each decision)."""
        group = sorted(self._group_of(self.thread(consultation, thread_id)), key=lambda t: t.id)
        return self._items(consultation, [group], {group[0].paragraph_key})[0]

    # -- helpers ---------------------------------------------------------------------------

    def _group_of(self, thread: Thread) -> list[Thread]:
        """The thread and the other threads on its paragraph whose opening says the same."""
        text = _opening_text(thread)
        if not text:
            return [thread]
        query = (
            select(Thread)
            .where(
                Thread.consultation_id == thread.consultation_id,
                Thread.paragraph_key == thread.paragraph_key,
            )
            .options(selectinload(Thread.comments))
        )
        siblings = self.session.scalars(query).all()
        return [thread] + [t for t in siblings if t.id != thread.id and _opening_text(t) == text]

    def _suggestion(
        self, comment_id: int, consultation: Consultation | None
    ) -> tuple[Comment, str]:
        comment = self.session.get(Comment, comment_id)
        if comment is None or (
            consultation is not None and comment.thread.consultation_id != consultation.id
        ):
            raise NotFound(N_("No comment %(id)s."), id=comment_id)
        if not comment.suggestion:
            raise InvalidInput(N_("This comment proposes no replacement text."))
        return comment, comment.suggestion

    def _items(
        self, consultation: Consultation, groups: list[list[Thread]], keys: set[str]
    ) -> list[QueueItem]:
        paragraphs = self._paragraphs_by_key(consultation, keys)
        current_id = self.consultations.version(consultation).id
        items = []
        for first, *others in groups:
            paragraph = paragraphs.get(first.paragraph_key)
            in_current = paragraph is not None and paragraph.version_id == current_id
            items.append(QueueItem(first, paragraph, tuple(others), in_current))
        return items

    def _paragraphs_by_key(
        self, consultation: Consultation, keys: set[str]
    ) -> dict[str, Paragraph]:
        """The current paragraphs, plus the last known text of orphaned ones."""
        current = self.consultations.paragraphs(self.consultations.version(consultation))
        found = {p.key: p for p in current if p.key in keys}
        for key in keys - found.keys():
            found[key] = self.consultations.paragraph(consultation, key)
        return found


def _queue_order(item: QueueItem) -> tuple[bool, int, int]:
    ordinal = item.paragraph.ordinal if item.paragraph else 1_000_000
    return (item.decided, ordinal, item.thread.id)
