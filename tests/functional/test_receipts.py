"""Onboarding and receipts: every comment gets a receipt number, shown to its author and
emailed in their language, and "My comments" lists them with what became of them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy.orm import Session, sessionmaker

from accounts.models import User
from briefs.dispositions import Decision
from briefs.synthesis import SynthesisService
from consultations.models import Comment
from consultations.receipts import comment_of_receipt, receipt_number
from consultations.services import ConsultationService
from core.clock import FixedClock
from core.enums import ConsultationStatus
from tests.factories import editor, make_user, open_consultation
from tests.functional.conftest import Browser, page, text_of
from tests.functional.test_reply_mail import mail_app
from tests.smtp import Inbox, smtp_server

HOSTILE = '<script>alert(1)</script>" hx-get="/x'


@pytest.fixture
def smtp() -> Iterator[tuple[str, Inbox]]:
    with smtp_server() as server:
        yield server


def test_a_comment_gets_a_receipt_on_screen_by_mail_and_in_my_comments(
    sessions: sessionmaker[Session],
    session: Session,
    clock: FixedClock,
    tmp_path: Path,
    smtp: tuple[str, Inbox],
) -> None:
    url, inbox = smtp
    consultation = open_consultation(session, clock, slug="end-users")
    olena = make_user(session, clock, email="olena@example.org", name="Олена")
    olena.language = "uk"
    chief = editor(session, clock)
    key = consultation.versions[-1].paragraphs[3].key
    session.commit()
    app = mail_app(sessions, clock, tmp_path, url)

    with Browser(app, base_url="https://testserver", follow_redirects=False) as browser:
        browser.sign_in(olena.email)
        empty = page(browser.get("/account/comments"))
        assert "You have not commented yet" in text_of(empty, "main")
        posted = browser.form(
            f"/consultations/end-users/p/{key}/comments",
            {"body": HOSTILE, "stance": "oppose", "attribution": "group"},
        )
        assert posted.status_code == 303
        location = posted.headers["location"]
        comment_id = int(parse_qs(urlsplit(location).query)["posted"][0])
        receipt = receipt_number(comment_id)
        shown = page(browser.get(location.split("#")[0]))
        assert receipt in text_of(shown, f"#c-{comment_id} .receipt")
        assert not shown.select("[hx-get='/x']"), "the comment is text, not markup"

        htmx = browser.form(
            f"/consultations/end-users/p/{key}/comments",
            {"body": "Second thought.", "stance": "amend", "attribution": "named"},
            headers={"HX-Request": "true"},
        )
        assert htmx.status_code == 200
        second = int(str(page(htmx).select(".comment")[-1]["id"]).removeprefix("c-"))
        assert receipt_number(second) in text_of(page(htmx), f"#c-{second} .receipt")

        app.state.worker.run_once()
        _decide(session, clock, chief, comment_id)
        mine = page(browser.get("/account/comments"))
        items = mine.select(".my-comment")
        assert [text_of(item, ".receipt-number") for item in items] == [
            receipt_number(second),
            receipt,
        ], "newest first"
        assert HOSTILE in items[1].get_text(), "the text as typed, as text"
        assert "Disposition Noted" in text_of(items[1], ".my-comment-outcome")
        assert "Disposition Not decided yet" in text_of(items[0], ".my-comment-outcome")
        assert not mine.select("[hx-get='/x']")

    with Browser(app, base_url="https://testserver", follow_redirects=False) as other:
        other.sign_in(chief.email)
        theirs = page(other.get(location.split("#")[0]))
        assert not theirs.select(".receipt"), "only the author is shown the receipt"

    receipts = {m["To"]: m for m in inbox.messages if receipt in m["Subject"]}
    mail = receipts["olena@example.org"]
    assert mail["Subject"].startswith("Квитанція RT-"), "in the author's language"
    body = mail.get_content()
    assert receipt in body and HOSTILE in body
    assert f"https://roundtable.example/consultations/end-users/p/{key}#c-{comment_id}" in body
    assert "https://roundtable.example/account/comments" in body
    assert comment_of_receipt(receipt) == comment_id


def _decide(session: Session, clock: FixedClock, chief: User, comment_id: int) -> None:
    """The comment period ends and the editors note the first comment's thread."""
    comment = session.get_one(Comment, comment_id)
    ConsultationService(session, clock=clock).set_status(
        comment.thread.consultation, ConsultationStatus.CLOSED, editor=chief
    )
    SynthesisService(session, clock=clock).decide(
        comment.thread_id, editor=chief, decision=Decision.of("noted", "Weighed.")
    )
    session.commit()
