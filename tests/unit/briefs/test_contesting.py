"""Dispositions are told and contestable: the mail to each commenter (in the consultation's
language), the one contest a thread may have, its answer, and the workspace's filters."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts.models import User
from app.urls import app_urls
from app.worker import translate
from briefs import contesting, notifications
from briefs.contesting import ContestAnswer, NewContest
from briefs.dispositions import Decision
from briefs.services import BriefService
from briefs.synthesis import QueueFilter, SynthesisService
from core.clock import FixedClock
from core.enums import Disposition, Role, StakeholderGroup, Stance
from core.errors import Conflict, NotAllowed, NotFound
from core.outbox import MAIL, OutboxEvent
from tests.factories import comment_on, make_user, open_consultation
from tests.unit.briefs.conftest import Consulted

URLS = app_urls("https://roundtable.example")


def mails(session: Session) -> list[OutboxEvent]:
    """The mail events about dispositions (a reply's own mail is not one)."""
    query = select(OutboxEvent).where(
        OutboxEvent.topic == MAIL, OutboxEvent.kind.in_(notifications.KINDS)
    )
    return list(session.scalars(query))


def decide(session: Session, clock: FixedClock, consulted: Consulted, thread_id: int) -> None:
    SynthesisService(session, clock=clock).decide(
        thread_id, editor=consulted.editor, decision=Decision.of("not_accepted", "Too broad.")
    )


def publish(session: Session, clock: FixedClock, consulted: Consulted) -> None:
    briefs = BriefService(session, clock=clock)
    briefs.create(consulted.editor, "findings", "Findings", "en", [], "Text.", "lawful-access")
    briefs.publish("findings", consulted.editor, app_urls(""))


def test_each_commenter_is_told_once_per_change(
    session: Session, clock: FixedClock, consulted: Consulted
) -> None:
    thread_id = consulted.chatham.thread_id
    comment_on(
        session,
        clock,
        consulted.consultation,
        author=consulted.participant,
        ordinal=2,
        parent=consulted.chatham,
        body="Agreed.",
    )
    decide(session, clock, consulted, thread_id)
    decide(session, clock, consulted, thread_id)  # the same again: nobody is told twice

    told = sorted(event.payload["user_id"] for event in mails(session))
    assert consulted.chatham.author_id is not None
    assert told == sorted([consulted.chatham.author_id, consulted.participant.id])
    mail = notifications.compose(session, mails(session)[0], URLS, translate)
    assert mail is not None
    assert mail.subject == "What became of your comment on “The Internet is for End Users”"
    assert "Not accepted" in mail.text and "Too broad." in mail.text
    assert "https://roundtable.example/consultations/lawful-access/p/" in mail.text


def test_the_mail_is_in_the_recipients_language(session: Session, clock: FixedClock) -> None:
    chief = make_user(session, clock, role=Role.EDITOR)
    consultation = open_consultation(session, clock, slug="english", language="en", by=chief)
    author = make_user(session, clock, email="olena@example.org")
    author.language = "uk"
    comment = comment_on(session, clock, consultation, author=author)
    SynthesisService(session, clock=clock).decide(
        comment.thread_id, editor=chief, decision=Decision.of("accepted", "Так.")
    )
    [event] = mails(session)
    mail = notifications.compose(session, event, URLS, translate)
    assert mail is not None and mail.to == "olena@example.org"
    assert mail.subject.startswith("Що стало з вашим коментарем")
    assert "Враховано" in mail.text and "Читати гілку" in mail.text


def test_a_commenter_contests_once_after_a_brief_and_is_told_the_answer(
    session: Session, clock: FixedClock, consulted: Consulted
) -> None:
    thread_id = consulted.chatham.thread_id
    author = session.get(User, consulted.chatham.author_id)
    assert author is not None
    reason = NewContest(reason="Encryption was the point of our comment.")
    decide(session, clock, consulted, thread_id)
    with pytest.raises(Conflict, match="once a brief"):
        contesting.contest_disposition(session, clock, author, thread_id, reason)
    publish(session, clock, consulted)
    with pytest.raises(NotAllowed):
        contesting.contest_disposition(session, clock, consulted.participant, thread_id, reason)

    contest = contesting.contest_disposition(session, clock, author, thread_id, reason)

    assert (contest.disposition, contest.reason, contest.answer) == (
        Disposition.NOT_ACCEPTED,
        "Encryption was the point of our comment.",
        None,
    )
    with pytest.raises(Conflict, match="contested once"):
        contesting.contest_disposition(session, clock, author, thread_id, reason)
    with pytest.raises(NotAllowed):
        contesting.answer_contest(
            session, clock, author, "lawful-access", thread_id, ContestAnswer(answer="x")
        )
    with pytest.raises(NotFound):
        contesting.answer_contest(
            session,
            clock,
            consulted.editor,
            "lawful-access",
            consulted.named.thread_id,
            ContestAnswer(answer="x"),
        )
    contesting.answer_contest(
        session,
        clock,
        consulted.editor,
        "lawful-access",
        thread_id,
        ContestAnswer(answer="Section 3 protects it."),
    )
    answered = [e for e in mails(session) if e.kind == notifications.CONTEST_ANSWERED]
    assert [e.payload["user_id"] for e in answered] == [author.id]
    mail = notifications.compose(session, answered[0], URLS, translate)
    assert mail is not None and "Section 3 protects it." in mail.text


def test_the_queue_filters_by_each_facet(
    session: Session, clock: FixedClock, consulted: Consulted
) -> None:
    decide(session, clock, consulted, consulted.chatham.thread_id)
    queue = SynthesisService(session, clock=clock).queue(consulted.consultation)

    def kept(**params: str) -> list[int]:
        chosen = QueueFilter.from_params(params)
        return [item.thread.id for item in queue if chosen.keeps(item)]

    everyone = [item.thread.id for item in queue]
    chatham, named = consulted.chatham.thread_id, consulted.named.thread_id
    assert kept() == everyone and not QueueFilter.from_params({}).active
    assert kept(status="decided") == [chatham]
    assert chatham not in kept(status="undecided")
    assert kept(disposition="not_accepted") == [chatham]
    assert kept(suggestion="yes") == [chatham]
    assert kept(group=StakeholderGroup.GOVERNMENT.value) == [named]
    assert kept(stance=Stance.AMEND.value) == [consulted.organisation_only.thread_id]
    assert kept(paragraph="2") == [chatham]
    assert kept(paragraph="two", stance="maybe") == everyone  # not a choice: no filter
    assert QueueFilter.from_params({"status": "decided"}).active
