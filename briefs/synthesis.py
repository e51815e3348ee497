"""The synthesis workspace: an editor weighs every thread and records its disposition with a
rationale (accepted suggestions are merged into the draft by briefs/suggestions.py).

Threads whose openings say nearly the same, on any paragraph (a campaign letter sent with
small edits: consultations/campaigns.py, or copies identical after normalising that the
worker has not placed yet), are grouped so the editor reads them once; a disposition given
to the group is recorded on every thread in it, so the annex of the brief still accounts for
each of them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from accounts import following
from accounts.models import User
from accounts.policy import require_editor
from consultations import campaigns
from consultations.attribution import public_author
from consultations.campaigns import normalise
from consultations.models import Consultation, Paragraph, Thread
from consultations.services import ConsultationService
from core import audit, outbox
from core.clock import Clock
from core.enums import Disposition, StakeholderGroup, Stance, ThreadStatus
from core.errors import Conflict, NotFound
from core.i18n import N_

if TYPE_CHECKING:  # the decision's module uses this service: a cycle at run time
    from briefs.dispositions import Decision

__all__ = ["QueueFilter", "QueueItem", "SynthesisService", "normalise", "replace_paragraph"]

_MARKERS = {
    "heading": re.compile(r"^ {0,3}#{1,6}[ \t]+"),
    "list_item": re.compile(r"^ {0,3}(?:[-*+]|\d{1,9}[.)])[ \t]+"),
}


@dataclass(frozen=True, slots=True)
class QueueItem:
    """A thread to decide, shown once for itself and the threads that say (nearly) the same."""

    thread: Thread
    paragraph: Paragraph | None
    duplicates: tuple[Thread, ...] = ()
    in_current: bool = True  # False for orphans: their suggestions have nothing to replace

    @property
    def count(self) -> int:
        return 1 + len(self.duplicates)

    @property
    def identical(self) -> bool:
        """Every opening of the group reads the same once normalised."""
        return len({_opening_text(t) for t in (self.thread, *self.duplicates)}) == 1

    @property
    def decided(self) -> bool:
        """Every thread of the group has a disposition (a campaign letter that came after the
        decision puts the card back among the undecided)."""
        return all(t.disposition is not None for t in (self.thread, *self.duplicates))


@dataclass(frozen=True, slots=True)
class QueueFilter:
    """Which cards of the queue the editor looks at; read leniently from the page's query
    (a value that is not one of the choices filters nothing)."""

    group: StakeholderGroup | None = None
    stance: Stance | None = None
    status: str | None = None  # "decided" or "undecided"
    paragraph: int | None = None  # the paragraph's number in the current version
    suggestion: str | None = None  # "yes" or "no"
    disposition: Disposition | None = None

    @classmethod
    def from_params(cls, params: Mapping[str, str]) -> QueueFilter:
        def choice(name: str, values: Iterable[str]) -> str | None:
            value = params.get(name, "").strip()
            return value if value in set(values) else None

        group, stance = choice("group", StakeholderGroup), choice("stance", Stance)
        disposition = choice("disposition", Disposition)
        number = params.get("paragraph", "").strip()
        return cls(
            group=StakeholderGroup(group) if group else None,
            stance=Stance(stance) if stance else None,
            status=choice("status", ("decided", "undecided")),
            paragraph=int(number) if number.isascii() and number.isdigit() else None,
            suggestion=choice("suggestion", ("yes", "no")),
            disposition=Disposition(disposition) if disposition else None,
        )

    @property
    def active(self) -> bool:
        return any(getattr(self, name) is not None for name in self.__slots__)

    def keeps(self, item: QueueItem) -> bool:
        opening = item.thread.comments[0] if item.thread.comments else None
        author = public_author(opening) if opening else None
        suggests = any(c.suggestion for c in item.thread.comments)
        checks = (
            self.group is None or (author is not None and author.group == self.group),
            self.stance is None or (opening is not None and opening.stance == self.stance),
            self.status is None or item.decided == (self.status == "decided"),
            self.paragraph is None
            or (
                item.in_current
                and item.paragraph is not None
                and item.paragraph.ordinal == self.paragraph
            ),
            self.suggestion is None or suggests == (self.suggestion == "yes"),
            self.disposition is None or item.thread.disposition == self.disposition,
        )
        return all(checks)


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
        """Record what became of a thread (and of the others of its campaign) and resolve it."""
        editor = require_editor(editor)
        thread = self.session.get(Thread, thread_id)
        if thread is None:
            raise NotFound(N_("No thread %(id)s."), id=thread_id)
        value, rationale = decision.disposition, decision.rationale
        now = self.clock.now()
        for member in self._group_of(thread):
            changed = (member.disposition, member.rationale) != (value, rationale.strip() or None)
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
            if changed:
                self._tell_commenters(member, editor, now)
        outbox.emit(self.session, outbox.SEARCH, "consultation", now, id=thread.consultation_id)
        return thread

    def queue(self, consultation: Consultation) -> list[QueueItem]:
        """Every thread with its comments, a campaign as one item (its earliest thread
        first), undecided first, then in document order."""
        threads = {thread.id: thread for thread in self.consultations.threads(consultation)}
        groups = [
            [threads[i] for i in ids if i in threads]
            for ids in campaigns.thread_groups(self.session, consultation.id)
        ]
        groups = [group for group in groups if group]
        keys = {group[0].paragraph_key for group in groups}
        items = self._items(consultation, groups, keys)
        return sorted(items, key=_queue_order)

    def item(self, consultation: Consultation, thread_id: int) -> QueueItem:
        """The queue entry that shows a thread, without building the whole queue (htmx
        re-renders one card after each decision)."""
        group = self._group_of(self.thread(consultation, thread_id))
        return self._items(consultation, [group], {group[0].paragraph_key})[0]

    # -- helpers ---------------------------------------------------------------------------

    def _tell_commenters(self, thread: Thread, editor: User, now: datetime) -> None:
        """One mail per commenter of the thread (through the outbox) saying what became of
        it: a disposition nobody hears of cannot be contested."""
        authors = {c.author_id for c in thread.comments if c.author_id not in (None, editor.id)}
        for author_id in sorted(a for a in authors if a is not None):
            outbox.emit(
                self.session,
                outbox.MAIL,
                "disposition",
                now,
                thread_id=thread.id,
                user_id=author_id,
            )
        following.fan_out(
            self.session,
            "disposition",
            now,
            actor_id=editor.id,
            targets=[
                (following.THREAD, thread.id),
                (following.CONSULTATION, thread.consultation_id),
            ],
            mailed=[a for a in authors if a is not None],
            consultation_id=thread.consultation_id,
            thread_id=thread.id,
        )

    def _group_of(self, thread: Thread) -> list[Thread]:
        """The threads of the thread's campaign (or of its copies), earliest opening first."""
        ids = next(
            (ids for ids in campaigns.thread_groups(self.session, thread.consultation_id)
             if thread.id in ids),
            [thread.id],
        )  # fmt: skip
        query = select(Thread).where(Thread.id.in_(ids)).options(selectinload(Thread.comments))
        found = {t.id: t for t in self.session.scalars(query)}
        return [found[i] for i in ids if i in found] or [thread]

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


def _opening_text(thread: Thread) -> str:
    return normalise(thread.comments[0].body) if thread.comments else ""


def _queue_order(item: QueueItem) -> tuple[bool, int, int]:
    ordinal = item.paragraph.ordinal if item.paragraph else 1_000_000
    return (item.decided, ordinal, item.thread.id)
