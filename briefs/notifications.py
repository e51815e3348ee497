"""Emails about dispositions, composed from outbox events when they are sent.

Each commenter of a thread is told when its disposition is recorded or changed (so they
can contest it), and a commenter who contested is told the editor's answer. The mail is in
the recipient's language (`User.language`): `translate` (the worker's, from the
interface catalog) turns a marked message into that language.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from accounts import following
from accounts.identities import is_placeholder_email
from accounts.models import User
from briefs.models import DispositionContest
from consultations.models import Thread
from core.enums import LABELS
from core.i18n import N_
from core.mail import Mail
from core.outbox import OutboxEvent
from core.urls import Urls

DISPOSITION = "disposition"
CONTEST_ANSWERED = "contest_answered"
KINDS = frozenset({DISPOSITION, CONTEST_ANSWERED})

#: (language, message) → the message in that language.
Translate = Callable[[str, str], str]

SUBJECT_DECIDED = N_("What became of your comment on “%(title)s”")
TEXT_DECIDED = N_(
    "Hello %(name)s,\n\n"
    "the editors of “%(title)s” recorded what became of the thread you took part in:\n\n"
    "%(disposition)s\n\n%(rationale)s\n\n"
    "Read the thread: %(url)s\n\n"
    "Once a brief on this consultation is published, you may contest this disposition\n"
    "once, with your reason, from the thread; the editors' answer will be public there.\n"
)
SUBJECT_ANSWERED = N_("The editors answered your objection on “%(title)s”")
TEXT_ANSWERED = N_(
    "Hello %(name)s,\n\n"
    "you contested the disposition of a thread on “%(title)s”. The editors answered:\n\n"
    "%(answer)s\n\n"
    "Your objection and the answer are public on the thread: %(url)s\n"
)


def thread_link(urls: Urls, thread: Thread) -> str:
    paragraph = urls("paragraph", slug=thread.consultation.slug, key=thread.paragraph_key)
    return f"{paragraph}#t-{thread.id}"


def compose(session: Session, event: OutboxEvent, urls: Urls, translate: Translate) -> Mail | None:
    """The mail for a disposition event, or None when there is nobody (left) to tell."""
    user = session.get(User, event.payload.get("user_id"))
    thread = session.get(Thread, event.payload.get("thread_id"))
    if user is None or thread is None or not user.is_active or is_placeholder_email(user.email):
        return None
    if not following.wants_mail(user):
        return None
    language = user.language

    def say(message: str, **values: str) -> str:
        return translate(language, message) % values

    title = thread.consultation.title
    if event.kind == DISPOSITION and thread.disposition is not None:
        text = say(
            TEXT_DECIDED,
            name=user.name,
            title=title,
            disposition=translate(language, LABELS[thread.disposition]),
            rationale=thread.rationale or "",
            url=thread_link(urls, thread),
        )
        return Mail(to=user.email, subject=say(SUBJECT_DECIDED, title=title), text=text)
    contest = session.get(DispositionContest, event.payload.get("contest_id"))
    if event.kind == CONTEST_ANSWERED and contest is not None and contest.answer:
        text = say(
            TEXT_ANSWERED,
            name=user.name,
            title=title,
            answer=contest.answer,
            url=thread_link(urls, thread),
        )
        return Mail(to=user.email, subject=say(SUBJECT_ANSWERED, title=title), text=text)
    return None
