"""Emails about consultations, composed from outbox events when they are sent.

Links are absolute, made from route names by the `Urls` the worker passes in. Mail about a
thread's anchoring is written in the consultation's language (its commenters took part in
it; accounts have no language of their own), translated by the `Translate` the worker
passes in: the domain only marks the messages.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accounts.identities import is_placeholder_email
from accounts.models import User
from consultations.attribution import public_author
from consultations.models import Comment, Consultation, DraftVersion, Paragraph, Thread
from core.enums import ThreadState
from core.i18n import N_
from core.mail import Mail
from core.outbox import OutboxEvent
from core.urls import Urls

#: language → gettext of that language (the worker's catalogs); English is the source.
Translate = Callable[[str], Callable[[str], str]]
KINDS = frozenset({"reply", "orphaned", "reanchored"})

ORPHANED_SUBJECT = N_("Your thread on “%(title)s” waits to be re-anchored")
ORPHANED_TEXT = N_(
    "Hello %(name)s,\n\nversion %(number)s of “%(title)s” no longer has the paragraph your "
    "thread was written on: it was rewritten beyond recognition or removed. An editor will "
    "move your thread to where the text went, or close it with a reason; you will be told."
    "\n\nYour thread: %(thread)s\nWhat changed: %(diff)s\n"
)
MOVED_SUBJECT = N_("Your thread on “%(title)s” was moved")
MOVED_TEXT = N_(
    "Hello %(name)s,\n\nthe paragraph your thread was written on is no longer in the draft "
    "of “%(title)s”. An editor moved your thread, with its comments, to paragraph "
    "%(ordinal)s of version %(number)s, where the text went:\n\n%(thread)s\n"
)
CLOSED_SUBJECT = N_("Your thread on “%(title)s” was closed")
CLOSED_TEXT = N_(
    "Hello %(name)s,\n\nthe paragraph your thread was written on is no longer in the draft "
    "of “%(title)s”, and an editor closed your thread for this reason:\n\n%(reason)s\n\n"
    "The thread stays readable: %(thread)s\n"
)


def _english(language: str) -> Callable[[str], str]:
    return lambda message: message


def thread_url(urls: Urls, comment: Comment) -> str:
    thread = comment.thread
    paragraph = urls("paragraph", slug=thread.consultation.slug, key=thread.paragraph_key)
    return f"{paragraph}#t-{thread.id}"


def compose_reply(session: Session, event: OutboxEvent, urls: Urls) -> Mail | None:
    """“Someone replied to your comment”, attributed as the replier chose."""
    reply = session.get(Comment, event.payload["comment_id"])
    if reply is None or reply.parent_id is None:
        return None
    parent = session.get(Comment, reply.parent_id)
    recipient = session.get(User, parent.author_id) if parent and parent.author_id else None
    if recipient is None or not recipient.is_active:
        return None
    title = reply.thread.consultation.title
    text = (
        f"{public_author(reply).label} replied to your comment on “{title}”:\n\n"
        f"{reply.body}\n\n"
        f"Read the thread: {thread_url(urls, reply)}\n"
    )
    return Mail(to=recipient.email, subject=f"New reply on “{title}”", text=text)


def compose_anchoring(
    session: Session, event: OutboxEvent, urls: Urls, translate: Translate
) -> Mail | None:
    """To one commenter: their thread lost its paragraph, or an editor moved or closed it."""
    thread = session.get(Thread, event.payload.get("thread_id"))
    recipient = session.get(User, event.payload.get("user_id"))
    if thread is None or recipient is None or not recipient.is_active:
        return None
    if is_placeholder_email(recipient.email):
        return None
    consultation: Consultation = thread.consultation
    _ = translate(consultation.language.value)
    slug = consultation.slug
    link = f"{urls('paragraph', slug=slug, key=thread.paragraph_key)}#t-{thread.id}"
    values: dict[str, object] = {
        "name": recipient.name,
        "title": consultation.title,
        "thread": link,
    }
    if event.kind == "orphaned":
        number = _current_number(session, consultation)
        values |= {
            "number": number,
            "diff": urls("consultation_diff", slug=slug, old=number - 1, new=number),
        }
        subject, text = ORPHANED_SUBJECT, ORPHANED_TEXT
    elif thread.state == ThreadState.MOVED:
        values |= {"number": thread.moved_in_version, "ordinal": _ordinal(session, thread)}
        subject, text = MOVED_SUBJECT, MOVED_TEXT
    elif thread.state == ThreadState.CLOSED:
        values["reason"] = thread.closed_reason or ""
        subject, text = CLOSED_SUBJECT, CLOSED_TEXT
    else:
        return None  # re-anchored again since: nothing true left to say
    return Mail(to=recipient.email, subject=_(subject) % values, text=_(text) % values)


def _current_number(session: Session, consultation: Consultation) -> int:
    query = select(func.max(DraftVersion.number)).where(
        DraftVersion.consultation_id == consultation.id
    )
    return session.scalar(query) or 1


def _ordinal(session: Session, thread: Thread) -> int | str:
    """The ordinal of the paragraph the thread was moved to, in the version it was moved in."""
    query = (
        select(Paragraph.ordinal)
        .join(DraftVersion)
        .where(
            DraftVersion.consultation_id == thread.consultation_id,
            DraftVersion.number == thread.moved_in_version,
            Paragraph.key == thread.paragraph_key,
        )
    )
    return session.scalar(query) or "?"


def compose(
    session: Session, event: OutboxEvent, urls: Urls, translate: Translate = _english
) -> Mail | None:
    if event.kind == "reply":
        return compose_reply(session, event, urls)
    if event.kind in ("orphaned", "reanchored"):
        return compose_anchoring(session, event, urls, translate)
    return None
