"""Emails about consultations, composed from outbox events when they are sent.

Links are absolute, made from route names by the `Urls` the worker passes in. Mail is
written in the recipient's language (`User.language`), translated by the `Translate` the
worker passes in: the domain only marks the messages.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accounts import following
from accounts.identities import is_placeholder_email
from accounts.models import Notification, User
from consultations.attribution import public_author
from consultations.models import Comment, Consultation, DraftVersion, Paragraph, Thread
from consultations.receipts import receipt_number
from core.enums import ThreadState
from core.i18n import N_
from core.mail import Mail
from core.outbox import OutboxEvent
from core.urls import PathFor, Urls

#: language → gettext of that language (the worker's catalogs); English is the source.
Translate = Callable[[str], Callable[[str], str]]
KINDS = frozenset(
    {"reply", "orphaned", "reanchored", "receipt", "comment_hidden", "comment_restored"}
)

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


REPLY_SUBJECT = N_("New reply on “%(title)s”")
REPLY_TEXT = N_(
    "%(author)s replied to your comment on “%(title)s”:\n\n%(body)s\n\nRead the thread: %(url)s\n"
)


def compose_reply(
    session: Session, event: OutboxEvent, urls: Urls, translate: Translate = _english
) -> Mail | None:
    """“Someone replied to your comment”, attributed as the replier chose, in the
    recipient's language."""
    reply = session.get(Comment, event.payload["comment_id"])
    if reply is None or reply.parent_id is None or reply.hidden:
        return None
    parent = session.get(Comment, reply.parent_id)
    recipient = session.get(User, parent.author_id) if parent and parent.author_id else None
    if recipient is None or not recipient.is_active or not following.wants_mail(recipient):
        return None
    _ = translate(recipient.language)
    values = {
        "author": public_author(reply).label,
        "title": reply.thread.consultation.title,
        "body": reply.body,
        "url": thread_url(urls, reply),
    }
    return Mail(to=recipient.email, subject=_(REPLY_SUBJECT) % values, text=_(REPLY_TEXT) % values)


RECEIPT_SUBJECT = N_("Receipt %(receipt)s: your comment on “%(title)s”")
RECEIPT_TEXT = N_(
    "Hello %(name)s,\n\nyour comment on paragraph %(ordinal)s of “%(title)s” was received on "
    "%(date)s, shown as: %(shown_as)s.\n\nReceipt number: %(receipt)s\n\n"
    "%(body)s\n\nRead it in its thread: %(url)s\nAll your comments, with what became of "
    "them: %(mine)s\n\nQuote the receipt number to the editors if you have a question "
    "about this comment.\n"
)


def compose_receipt(
    session: Session, event: OutboxEvent, urls: Urls, translate: Translate = _english
) -> Mail | None:
    """The author's copy of what they posted, with its receipt number: sent whatever their
    notification settings (it answers their own action, as a shop's receipt does)."""
    comment = session.get(Comment, event.payload["comment_id"])
    author = session.get(User, comment.author_id) if comment and comment.author_id else None
    if comment is None or author is None or not author.is_active:
        return None
    if is_placeholder_email(author.email):
        return None
    _ = translate(author.language)
    values = {
        "name": author.name,
        "title": comment.thread.consultation.title,
        "ordinal": _ordinal(session, comment.thread, comment.thread.version_number),
        "date": following.local_time(author, comment.created_at),
        "shown_as": public_author(comment).label,
        "receipt": receipt_number(comment.id),
        "body": comment.body,
        "url": f"{thread_url(urls, comment).rsplit('#', 1)[0]}#c-{comment.id}",
        "mine": urls("my_comments"),
    }
    return Mail(to=author.email, subject=_(RECEIPT_SUBJECT) % values, text=_(RECEIPT_TEXT) % values)


def compose_anchoring(
    session: Session, event: OutboxEvent, urls: Urls, translate: Translate
) -> Mail | None:
    """To one commenter: their thread lost its paragraph, or an editor moved or closed it."""
    thread = session.get(Thread, event.payload.get("thread_id"))
    recipient = session.get(User, event.payload.get("user_id"))
    if thread is None or recipient is None or not recipient.is_active:
        return None
    if not following.wants_mail(recipient):
        return None
    if is_placeholder_email(recipient.email):
        return None
    consultation: Consultation = thread.consultation
    _ = translate(recipient.language)
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
        values |= {
            "number": thread.moved_in_version,
            "ordinal": _ordinal(session, thread, thread.moved_in_version),
        }
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


def _ordinal(session: Session, thread: Thread, number: int | None) -> int | str:
    """The ordinal of the thread's paragraph in version `number` (the one it was written
    on, or the one it was moved to)."""
    query = (
        select(Paragraph.ordinal)
        .join(DraftVersion)
        .where(
            DraftVersion.consultation_id == thread.consultation_id,
            DraftVersion.number == number,
            Paragraph.key == thread.paragraph_key,
        )
    )
    return session.scalar(query) or "?"


HIDDEN_SUBJECT = N_("A moderator hid your comment on “%(title)s”")
HIDDEN_TEXT = N_(
    "Hello %(name)s,\n\na moderator hid your comment on “%(title)s” for this reason:\n\n"
    "%(reason)s\n\nIt keeps its place in the thread, and its replies stay; everyone reads "
    "“hidden by a moderator” and the reason instead of your text:\n\n%(url)s\n"
)
RESTORED_SUBJECT = N_("A moderator restored your comment on “%(title)s”")
RESTORED_TEXT = N_(
    "Hello %(name)s,\n\na moderator restored your comment on “%(title)s”, which everyone "
    "can read again, for this reason:\n\n%(reason)s\n\n%(url)s\n"
)


def compose_moderation(
    session: Session, event: OutboxEvent, urls: Urls, translate: Translate
) -> Mail | None:
    """To the author: a moderator hid or restored their comment, and why."""
    comment = session.get(Comment, event.payload.get("comment_id"))
    recipient = session.get(User, comment.author_id) if comment and comment.author_id else None
    if comment is None or recipient is None or not _reachable(recipient):
        return None
    if not following.wants_mail(recipient):
        return None
    _ = translate(recipient.language)
    values = {
        "name": recipient.name,
        "title": comment.thread.consultation.title,
        "reason": event.payload.get("reason", ""),
        "url": f"{thread_url(urls, comment).split('#')[0]}#c-{comment.id}",
    }
    hidden = event.kind == "comment_hidden"
    subject, text = (HIDDEN_SUBJECT, HIDDEN_TEXT) if hidden else (RESTORED_SUBJECT, RESTORED_TEXT)
    return Mail(to=recipient.email, subject=_(subject) % values, text=_(text) % values)


def compose(
    session: Session, event: OutboxEvent, urls: Urls, translate: Translate = _english
) -> Mail | None:
    if event.kind in ("comment_hidden", "comment_restored"):
        return compose_moderation(session, event, urls, translate)
    if event.kind == "reply":
        return compose_reply(session, event, urls, translate)
    if event.kind in ("orphaned", "reanchored"):
        return compose_anchoring(session, event, urls, translate)
    if event.kind == "receipt":
        return compose_receipt(session, event, urls, translate)
    return None


# -- notifications of what people follow (accounts/following.py) -------------------------

FOLLOW_KINDS = frozenset({following.NOTIFICATION_MAIL, following.DIGEST_MAIL})

#: One line per notification kind, in the mail and in the in-app list.
LINES = {
    "reply": N_("New reply in a thread on “%(title)s”"),
    "comment": N_("New comment in a thread on “%(title)s”"),
    "version": N_("Version %(number)s of “%(title)s” was published"),
    "disposition": N_("The editors recorded what became of a thread on “%(title)s”"),
    "contest": N_("A disposition was contested on “%(title)s”"),
    "contest_answered": N_("The editors answered an objection on “%(title)s”"),
    "orphaned": N_("A thread on “%(title)s” lost its paragraph"),
    "reanchored": N_("A thread on “%(title)s” was moved or closed"),
    "comment_hidden": N_("A moderator hid a comment on “%(title)s”"),
    "comment_restored": N_("A moderator restored a comment on “%(title)s”"),
}
NOTIFICATION_TEXT = N_(
    "Hello %(name)s,\n\n%(line)s.\n\n%(url)s\n\n"
    "You receive this because you follow it. Stop these emails about it: %(unsubscribe)s\n"
    "Stop all notification emails: %(all)s\n"
)
DIGEST_SUBJECT = N_("Roundtable: %(count)s new notifications")
DIGEST_TEXT = N_(
    "Hello %(name)s,\n\nhere is what happened since your last digest:\n\n%(lines)s\n"
    "All your notifications: %(list)s\n\n"
    "Stop all notification emails: %(all)s\n"
)


def describe(
    session: Session, notification: Notification, urls: PathFor
) -> tuple[str, dict[str, object], str]:
    """(marked line, its values, link) for a notification; for the mail and the list."""
    consultation = session.get(Consultation, notification.consultation_id)
    title = consultation.title if consultation else "?"
    values: dict[str, object] = {"title": title, "number": notification.payload.get("number", "")}
    link = urls("notifications")
    thread = session.get(Thread, notification.thread_id) if notification.thread_id else None
    if thread is not None:
        paragraph = urls("paragraph", slug=thread.consultation.slug, key=thread.paragraph_key)
        link = f"{paragraph}#t-{thread.id}"
    elif consultation is not None:
        link = urls("consultation", slug=consultation.slug)
    return LINES.get(notification.kind, N_("News on “%(title)s”")), values, link


def compose_following(
    session: Session, event: OutboxEvent, urls: Urls, translate: Translate, secret: str
) -> Mail | None:
    """One notification, or a digest of several, in the recipient's language."""
    if event.kind == following.DIGEST_MAIL:
        return _digest(session, event, urls, translate, secret)
    notification = session.get(Notification, event.payload.get("notification_id"))
    if notification is None:
        return None
    user = session.get(User, notification.user_id)
    if not _reachable(user) or user is None or user.notify_frequency == following.NEVER:
        return None
    _ = translate(user.language)
    line, values, link = describe(session, notification, urls)
    via = notification.payload.get("via")
    kind, target = (via[0], via[1]) if via else (following.ALL, 0)
    unsubscribe = urls(
        "unsubscribe", token=following.unsubscribe_token(secret, user.id, kind, target)
    )
    everything = urls(
        "unsubscribe", token=following.unsubscribe_token(secret, user.id, following.ALL, 0)
    )
    subject = _(line) % values
    text = _(NOTIFICATION_TEXT) % {
        "name": user.name,
        "line": subject,
        "url": link,
        "unsubscribe": unsubscribe,
        "all": everything,
    }
    return Mail.unsubscribable(user.email, subject, text, unsubscribe)


def _digest(
    session: Session, event: OutboxEvent, urls: Urls, translate: Translate, secret: str
) -> Mail | None:
    user = session.get(User, event.payload.get("user_id"))
    if not _reachable(user) or user is None or user.notify_frequency == following.NEVER:
        return None
    ids = [int(i) for i in event.payload.get("notification_ids", [])]
    notifications = list(
        session.scalars(
            select(Notification).where(Notification.id.in_(ids)).order_by(Notification.id)
        )
    )
    if not notifications:
        return None
    _ = translate(user.language)
    lines = []
    for notification in notifications:
        line, values, link = describe(session, notification, urls)
        lines.append(f"- {_(line) % values}\n  {link}\n")
    everything = urls(
        "unsubscribe", token=following.unsubscribe_token(secret, user.id, following.ALL, 0)
    )
    subject = _(DIGEST_SUBJECT) % {"count": len(notifications)}
    text = _(DIGEST_TEXT) % {
        "name": user.name,
        "lines": "".join(lines),
        "list": urls("notifications"),
        "all": everything,
    }
    return Mail.unsubscribable(user.email, subject, text, everything)


def _reachable(user: User | None) -> bool:
    return user is not None and user.is_active and not is_placeholder_email(user.email)
