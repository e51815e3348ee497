"""Emails about consultations, composed from outbox events when they are sent."""

from __future__ import annotations

from sqlalchemy.orm import Session

from accounts.models import User
from consultations.attribution import public_author
from consultations.models import Comment
from core.mail import Mail
from core.outbox import OutboxEvent


def thread_url(base_url: str, comment: Comment) -> str:
    thread = comment.thread
    return (
        f"{base_url}/consultations/{thread.consultation.slug}"
        f"/p/{thread.paragraph_key}#t-{thread.id}"
    )


def compose_reply(session: Session, event: OutboxEvent, base_url: str) -> Mail | None:
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
        f"Read the thread: {thread_url(base_url, reply)}\n"
    )
    return Mail(to=recipient.email, subject=f"New reply on “{title}”", text=text)


def compose(session: Session, event: OutboxEvent, base_url: str) -> Mail | None:
    if event.kind == "reply":
        return compose_reply(session, event, base_url)
    return None
