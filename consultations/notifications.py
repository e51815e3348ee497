"""Emails about consultations, composed from outbox events when they are sent.

Links are absolute, made from route names by the `Urls` the worker passes in.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from accounts.models import User
from consultations.attribution import public_author
from consultations.models import Comment
from core.mail import Mail
from core.outbox import OutboxEvent
from core.urls import Urls


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


def compose(session: Session, event: OutboxEvent, urls: Urls) -> Mail | None:
    if event.kind == "reply":
        return compose_reply(session, event, urls)
    return None
