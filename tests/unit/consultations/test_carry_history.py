"""Proof on real history: threads survive fourteen revisions of RFC 9518's draft, and a
Ukrainian law revised by hand (a paragraph split, two merged, one deleted, then restored).

Every thread must be accounted for after each version: on a paragraph of the current
version (anchored, outdated, moved) or in the editors' re-anchor queue (orphaned); none
missing. The figures are printed (`pytest -s`) and quoted in the issue's report.
"""

from __future__ import annotations

import json
import re
from collections import Counter

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts.models import User
from consultations import versions
from consultations.commenting import NewComment
from consultations.models import Consultation, Thread
from consultations.services import ConsultationService
from consultations.versions import NewVersion, VersionPublished
from core.clock import FixedClock
from core.enums import Attribution, Stance, ThreadState
from tests.corpora import CORPORA, centralization_draft
from tests.factories import editor, make_user, open_consultation

ON_A_PARAGRAPH = {ThreadState.ANCHORED, ThreadState.OUTDATED, ThreadState.MOVED}


def _comment_everywhere(
    service: ConsultationService, consultation: Consultation, author: User
) -> dict[str, int]:
    """One thread on every paragraph of the current version: thread id by key."""
    threads = {}
    for paragraph in service.paragraphs(service.version(consultation)):
        data = NewComment(
            body=f"On “{paragraph.text[:40]}”: please reconsider.",
            stance=Stance.AMEND,
            attribution=Attribution.NAMED,
        )
        comment = service.post_comment(consultation, paragraph.key, data, author=author)
        threads[paragraph.key] = comment.thread_id
    return threads


def _accounted_for(
    session: Session, service: ConsultationService, consultation: Consultation, total: int
) -> Counter[ThreadState]:
    """Each thread is on a current paragraph, or orphaned on a key the version lacks."""
    keys = {p.key for p in service.paragraphs(service.version(consultation))}
    threads = session.scalars(select(Thread).where(Thread.consultation_id == consultation.id))
    states: Counter[ThreadState] = Counter()
    for thread in threads:
        states[thread.state] += 1
        if thread.state in ON_A_PARAGRAPH:
            assert thread.paragraph_key in keys, thread.id
        else:
            assert thread.state == ThreadState.ORPHANED, thread.id
            assert thread.paragraph_key not in keys, thread.id
    assert sum(states.values()) == total
    return states


def _publish(
    session: Session, clock: FixedClock, by: User, slug: str, markdown: str, note: str
) -> VersionPublished:
    data = NewVersion(markdown=markdown, change_note=note)
    return versions.publish_version(session, clock, by, slug, data)


def test_every_thread_is_accounted_for_across_rfc9518_drafts(
    session: Session, clock: FixedClock
) -> None:
    author = editor(session, clock)
    consultation = open_consultation(session, clock, markdown=centralization_draft(0), by=author)
    service = ConsultationService(session, clock=clock)
    commenter = make_user(session, clock)
    total = len(_comment_everywhere(service, consultation, commenter))
    rows = []
    for revision in range(1, 15):
        published = _publish(
            session,
            clock,
            author,
            consultation.slug,
            centralization_draft(revision),
            f"-{revision:02d}",
        )
        states = _accounted_for(session, service, consultation, total)
        assert published.kept + published.outdated + published.orphaned == total
        assert published.orphaned == states[ThreadState.ORPHANED]
        rows.append((revision, published.kept, published.outdated, published.orphaned))

    carried = (rows[-1][1] + rows[-1][2]) / total
    print(f"\nRFC 9518 drafts, {total} threads written on -00 (one per paragraph)")
    print("revision   kept  outdated  orphaned")
    for revision, kept, outdated, orphaned in rows:
        print(f"-{revision:02d}       {kept:5d}  {outdated:8d}  {orphaned:8d}")
    print(f"carried automatically to -14: {carried:.1%}")
    # -00 → -14 rewrote the document (RFC 9518 shares few sentences with -00, and renamed
    # most headings): 45% of the threads are carried (measured), the rest wait in the queue
    # rather than vanish; a threshold just below guards against a regression in matching.
    assert carried >= 0.4
    assert rows[-1][3] > 0


def _law_paragraphs() -> list[str]:
    law = json.loads((CORPORA / "uk-laws" / "02047-ua-cybersecurity.json").read_text("utf-8"))
    articles = [p for p in law["provisions"] if p["provision_ref"] in ("art2", "art3")]
    paragraphs = []
    for article in articles:
        paragraphs.append(f"## {article['title']}")
        paragraphs += [line.strip() for line in article["content"].splitlines() if line.strip()]
    return paragraphs


def _markdown(paragraphs: list[str]) -> str:
    """Each provision a paragraph of its own, its numbering ("1.", "2)") escaped so that it
    stays text: the blocks read exactly as the provisions."""
    return "\n\n".join(re.sub(r"^(\d+)([.)])", r"\1\\\2", p) for p in paragraphs)


def test_a_ukrainian_law_revised_by_hand(session: Session, clock: FixedClock) -> None:
    original = _law_paragraphs()
    author = editor(session, clock)
    consultation = open_consultation(
        session, clock, markdown=_markdown(original), language="uk", by=author
    )
    service = ConsultationService(session, clock=clock)
    threads = _comment_everywhere(service, consultation, make_user(session, clock))
    by_text = dict(zip(original, threads.values(), strict=True))
    split_at = next(i for i, p in enumerate(original) if len(p) > 500)
    long = original[split_at]
    cut = min(
        (i for i in range(len(long)) if long.startswith(", ", i)),
        key=lambda i: abs(i - len(long) // 2),
    )
    first_half, second_half = long[:cut] + ".", long[cut + 2 :]
    merged = (3, 4)
    deleted, edited = 6, 8
    assert len({split_at, *merged, deleted, edited}) == 5
    revised = list(original)
    revised[edited] = original[edited] + " (з урахуванням міжнародних договорів України)"
    revised[merged[0]] = f"{original[merged[0]]} {original[merged[1]]}"
    revised[split_at : split_at + 1] = [first_half, second_half]
    revised = [p for p in revised if p not in (original[merged[1]], original[deleted])]

    published = _publish(session, clock, author, consultation.slug, _markdown(revised), "Правки")

    states = _accounted_for(session, service, consultation, len(original))
    thread = {text: session.get_one(Thread, thread_id) for text, thread_id in by_text.items()}
    key_of = {p.text: p.key for p in service.paragraphs(service.version(consultation))}
    assert thread[original[edited]].state == ThreadState.OUTDATED
    assert thread[original[deleted]].state == ThreadState.ORPHANED
    on_merged = {thread[original[i]].paragraph_key for i in merged}
    assert on_merged == {key_of[revised[merged[0]]]}
    assert thread[original[split_at]].paragraph_key in {key_of[first_half], key_of[second_half]}
    assert published.orphaned == 1
    assert published.outdated == states[ThreadState.OUTDATED] == 4  # edited, split, 2 merged
    print(f"\nUkrainian law, {len(original)} threads: { {s.value: n for s, n in states.items()} }")

    # The deleted provision comes back in the next version: its thread is home again.
    restored = list(revised)
    restored.insert(deleted - 1, original[deleted])
    again = _publish(session, clock, author, consultation.slug, _markdown(restored), "Повернено")
    assert thread[original[deleted]].state == ThreadState.ANCHORED
    assert again.orphaned == 0
    keys = {p.key for p in service.paragraphs(service.version(consultation))}
    assert thread[original[deleted]].paragraph_key in keys


@pytest.mark.parametrize("bad", ["# Nothing left\n\nAll gone."])
def test_a_bad_version_undone_brings_every_thread_back(
    session: Session, clock: FixedClock, bad: str
) -> None:
    """Version 2 loses every paragraph, version 3 restores version 1: nobody is orphaned."""
    author = editor(session, clock)
    markdown = centralization_draft(3)
    consultation = open_consultation(session, clock, markdown=markdown, by=author)
    service = ConsultationService(session, clock=clock)
    total = len(_comment_everywhere(service, consultation, make_user(session, clock)))
    lost = _publish(session, clock, author, consultation.slug, bad, "Oops")
    assert lost.orphaned == total
    back = _publish(session, clock, author, consultation.slug, markdown, "Undo")
    assert (back.kept, back.outdated, back.orphaned) == (total, 0, 0)
